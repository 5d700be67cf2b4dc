/*
 * auth/oidc: kfdash as a client of one OpenID provider (Dex): its discovery document and its
 * signing keys, kept fresh by a thread of its own, and the verification of its ID tokens.
 *
 * Threads: a refresher thread does all network I/O (libcurl, bounded timeouts and sizes); it
 * fetches the keys again when their Cache-Control max-age runs out, and early (at most once per
 * OIDC_REFETCH_MIN_S) when a token names a key it does not know, which is how a provider's key
 * rotation shows. Request threads only verify, under a read lock, never waiting on the network.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "auth/token.h"

struct oidc;
struct upstream;

/* The endpoints a discovery document names. */
struct oidc_endpoints {
    char authorization[1024]; /* where the browser signs in */
    char token[1024];         /* where codes and refresh tokens are exchanged */
};

/* Earliest refetch after the previous one when an unknown key id shows up. */
#define OIDC_REFETCH_MIN_S 2

/* The provider at issuer, for tokens issued to client_id; starts the refresher thread, which
 * fetches through engine (it must outlive the refresher: oidc_stop first). */
int oidc_new(const char *issuer, const char *client_id, struct upstream *engine, struct oidc **ret);
/* Stops the refresher (before the engine goes); what was fetched stays usable. Idempotent. */
void oidc_stop(struct oidc *o);
/* Stops the refresher and frees; NULL-safe. */
void oidc_free(struct oidc *o);

/*
 * Verifies a bearer ID token (no nonce: not bound to a login attempt). As token_verify, plus
 * -EAGAIN while no keys have been fetched yet. An unknown key id asks for a refetch.
 */
int oidc_verify(struct oidc *o, const char *token, struct token_claims *ret);

/*
 * Verifies the ID token a login (nonce: the attempt's) or a refresh (nonce NULL) got from the
 * token endpoint. As oidc_verify, without remembering the token.
 */
int oidc_verify_login(struct oidc *o, const char *token, const char *nonce,
                      struct token_claims *ret);

/*
 * After oidc_verify said -ENOKEY (a key this process has not fetched yet, as right after the
 * provider rotated its keys): fn(ctx) runs once, on the refresher thread, after its next fetch
 * (which the -ENOKEY already asked for), or after OIDC_WAIT_MAX_MS if that takes longer.
 * -EBUSY when OIDC_WAITERS_MAX are waiting already.
 */
#define OIDC_WAITERS_MAX 256
#define OIDC_WAIT_MAX_MS 5000
typedef void (*oidc_waiter_fn)(void *ctx);
int oidc_wait_for_keys(struct oidc *o, oidc_waiter_fn fn, void *ctx);
/* Runs every waiter now (at shutdown, before the requests they belong to go away). */
void oidc_release_waiters(struct oidc *o);

const char *oidc_issuer(const struct oidc *o);
const char *oidc_client_id(const struct oidc *o);

/* The endpoints of the last discovery document fetched; -EAGAIN before the first. */
int oidc_cached_endpoints(struct oidc *o, struct oidc_endpoints *ret);
/* Parses the discovery document of issuer (its `issuer` must match). -EPROTO otherwise. */
int oidc_parse_discovery(const char *issuer, const char *doc, size_t len,
                         struct oidc_endpoints *ret);

/* For /readyz: true once keys are held; detail says how many, or the last fetch error. */
bool oidc_ready(struct oidc *o, char *detail, size_t size);
