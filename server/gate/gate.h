/*
 * gate: who is this request? Every route that is not public passes here first (http.c calls
 * gate_admit), and the authorizer answer (/auth/check) asks the same question.
 *
 * Sources, first match wins: Authorization: Bearer (a Dex ID token, a kfdash personal access
 * token, or a Kubernetes service-account token checked by TokenReview), the session cookie
 * (renewed at Dex when due), then a trusted gateway's USERID_HEADER. State-changing requests
 * proved by a cookie or a gateway must also pass the CSRF checks. Waiting on Dex or the
 * apiserver parks the request (upstream.h); nothing here blocks an HTTP thread on the network.
 */
#pragma once

#include <stdbool.h>
#include <time.h>

#include "server/http/http.h"
#include "server/http/router.h"

struct config;
struct http_request;
struct identity;
struct oidc;
struct seal_keys;
struct session;
struct store;
struct upstream;

struct gate;

/* The gate's own state (server/kfdash.h): the trusted gateways' addresses, the service-account
 * tokens the API server vouched for (a minute), the session renewals under way. */
int gate_new(const struct config *cfg, struct gate **ret);
void gate_free(struct gate *g);

/*
 * Dex's discovery answer, remembered for a moment (2 s) so that a burst of sign-ins asks Dex
 * once. gate_discovery: 0 with *ret when a fresh answer is there, else -ENOENT (ask again).
 * gate_discovery_set: what Dex said (NULL: it did not answer; nothing is kept).
 */
struct oidc_endpoints;
int gate_discovery(struct gate *g, struct oidc_endpoints *ret);
void gate_discovery_set(struct gate *g, const struct oidc_endpoints *ep);

/* The http_gate_fn: runs the request's route, or answers 401 / 302 to login / 403. */
void gate_admit(struct http_request *r);

/*
 * Finds who the request is; done gets the identity (taken; NULL when none) or, when none,
 * an RFC 6750 error code (NULL when no credentials were sent) and a message. done may run
 * after the request was parked and resumed.
 */
typedef void (*gate_done_fn)(struct http_request *r, struct identity *who, const char *error,
                             const char *message);
/* The error of a resolution refused because its address tries too many new credentials: the
 * answer is 429, not 401. */
#define GATE_RATE_LIMITED "rate_limited"
void gate_resolve(struct http_request *r, gate_done_fn done);

/* Answers a request that proved no identity: a browser's page load goes to the login page
 * (coming back to rd) when may_redirect, anything else gets 401 JSON with WWW-Authenticate. */
void gate_refuse(struct http_request *r, const char *rd, bool may_redirect, const char *error,
                 const char *message);

/* Adds the Set-Cookie headers of a new or renewed session to the request's reply. */
int gate_set_session_cookies(struct http_request *r, const struct session *s, time_t now);
/* Adds Set-Cookie headers that delete the session cookies. */
void gate_clear_session_cookies(struct http_request *r);
/* The session cookie's value (named __Host-kfdash_session over TLS); NULL when not sent. */
const char *gate_session_cookie(const struct http_request *r);
/* Adds the Set-Cookie of an application host's own cookie (server/gate/apps.h): s sealed for
 * label. */
int gate_set_app_cookie(struct http_request *r, const struct session *s, const char *label,
                        time_t now);
struct upstream_result;
/*
 * Parks r on a POST of form (url-encoded grant parameters) to Dex's token endpoint with
 * kfdash's client credentials (HTTP Basic); *answer is filled, then next runs. -ENOMEM when
 * the call cannot be built (r is not parked then).
 */
int gate_call_token_endpoint(struct http_request *r, const char *endpoint, const char *form,
                             struct upstream_result *answer, http_next_fn next);
/* Seals refresh tokens for the store (purpose-bound, so they cannot pass for a session). */
int gate_seal_refresh_token(const struct http_request *r, const char *token, char **ret);
