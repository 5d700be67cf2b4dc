/*
 * fake_http: http.h's request side without libmicrohttpd, for unit tests of what handles a
 * request (the gate, the handlers, the proxy's and tunnel's refusals). A test makes a request
 * as a client would send it, runs the code under test on it, and reads the reply the code gave:
 * status, headers, body, or that it parked the request (and then lets it go on).
 *
 * What the real server does before a handler runs is the test's to say: the route (its flags
 * and parameters), the peer, and the identity the gate would have set. The reply helpers
 * (http_reply_json, _error, _redirect) are the real ones (server/http/reply.c).
 *
 * Single-threaded: a parked request is resumed by whatever thread finishes the work it waits
 * for; fake_wait waits for that, then runs its next step on the test's thread.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "server/http/router.h"

struct http_request;
struct identity;
struct kfdash;

/* A request to the server k (its parts are what handlers reach). target: path and query, as a
 * client sends it ("/api/x?y=1"); the path must already be canonical. */
struct http_request *fake_request(const struct kfdash *k, const char *method, const char *target);
void fake_free(struct http_request *r);

/* ---- what the client sent ---- */
void fake_header(struct http_request *r, const char *name, const char *value);
/* "name=value" into the Cookie header. */
void fake_cookie(struct http_request *r, const char *name, const char *value);
void fake_body(struct http_request *r, const char *body);
/* The client's address, "1.2.3.4" (127.0.0.1 by default). */
void fake_peer(struct http_request *r, const char *ip);

/* ---- what routing and the gate decided ---- */
/* The matched route (its flags, its handler for http_request_run_route); params are
 * {"name", "value", ..., NULL}. */
void fake_route(struct http_request *r, const struct route *route, const char *const *params);
/* The identity the gate would have set (taken). */
void fake_identity(struct http_request *r, struct identity *who);

/* ---- what the code under test answered ---- */
/* 0 while there is no reply. */
unsigned fake_status(const struct http_request *r);
/* The reply's body ("" when none), NUL-terminated. */
const char *fake_reply_body(const struct http_request *r);
/* A header of the reply (the first of that name, case-insensitive); NULL when absent. The
 * Content-Type and headers added with http_request_add_reply_header count too. */
const char *fake_reply_header(const struct http_request *r, const char *name);
/* The n-th header of that name (Set-Cookie comes more than once); NULL past the last. */
const char *fake_reply_header_at(const struct http_request *r, const char *name, size_t n);
/* The request waits on something (suspended, not yet resumed). */
bool fake_parked(const struct http_request *r);
/* Waits up to timeout_ms for a parked request to be resumed, then runs its next step (which
 * may park it again); false when it was not resumed in time. */
bool fake_wait(struct http_request *r, long timeout_ms);
/* Lets a parked request go on (fake_wait) until it is answered; false when it stays parked
 * past timeout_ms at some step, or ends unanswered. */
bool fake_settle(struct http_request *r, long timeout_ms);
/* The reply's body, parsed (NULL when it is not JSON); the caller deletes it. */
struct cJSON *fake_reply_json(const struct http_request *r);
