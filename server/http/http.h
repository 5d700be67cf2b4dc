/*
 * http: the libmicrohttpd daemons, the request lifecycle and the reply helpers.
 *
 * Owns listening, limits (431/413/414/503, idle and request timeouts), path normalisation
 * before routing, the request id, security headers, the access log, metrics of every request,
 * and graceful shutdown. Does not own what any route means.
 *
 * Threads: workers (config threads) each run one event loop: a libmicrohttpd daemon per
 * listening socket in external epoll mode, and an upstream engine of its own
 * (http_request_engine) for proxied requests, so a request and its upstream call stay on one
 * thread. Handlers run on the worker of their connection and must answer without waiting on the
 * network. A reaper thread closes connections whose client is too slow.
 * The only place that talks to libmicrohttpd: nothing else includes microhttpd.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/config.h"
#include "server/http/router.h"

struct http_server;
struct http_request;
struct sockaddr;

#define HTTP_ERROR_MAX      256
#define HTTP_REQUEST_ID_MAX 64

struct identity;

/*
 * The gate every route without ROUTE_PUBLIC passes: it finds out who the client is and either
 * replies itself (401, 302, 403) or calls http_request_run_route, now or after resuming.
 */
typedef void (*http_gate_fn)(struct http_request *r);

/* Creates the server for a route table that must outlive it; gate guards non-public routes;
 * app is what handlers reach through http_request_app (server/kfdash.h). */
int http_server_new(const struct config *c, const struct route *routes, size_t n_routes,
                    http_gate_fn gate, void *app, struct http_server **ret);
/* Which requests came to the other hosts this server serves (server/gate/apps.h). */
typedef bool (*http_host_fn)(const struct http_request *r);
/* Before starting: the route table's first n_own routes serve kfdash's own origin, the rest
 * serve the requests for which other_host says true. */
void http_server_serve_hosts(struct http_server *s, size_t n_own, http_host_fn other_host);
/* Opens every listening address and starts serving. -errno with a reason in err. */
int http_server_start(struct http_server *s, char err[HTTP_ERROR_MAX]);
/* Stops accepting connections; requests already received go on. */
void http_server_quiesce(struct http_server *s);
/* True once quiesced: readiness reports it, responses ask clients to close. */
bool http_server_draining(const struct http_server *s);
/* Waits until no request is in flight or timeout_ms passed; returns those still in flight. */
int64_t http_server_drain(struct http_server *s, int64_t timeout_ms);
/* Stops the daemons (closing any connection left) and frees; NULL-safe. */
void http_server_free(struct http_server *s);

/* ---- for handlers: the request (borrowed strings live until the reply completes) ---- */

const char *http_request_method(const struct http_request *r);
/* Normalised and percent-decoded: what routing and access checks see. */
const char *http_request_path(const struct http_request *r);
/* The same segments still percent-encoded: what a proxy forwards. */
const char *http_request_raw_path(const struct http_request *r);
/* The raw query string after '?', "" if none. */
const char *http_request_raw_query(const struct http_request *r);
/* A path parameter of the matched route (":name", or "*" for the rest); NULL if absent. */
const char *http_request_param(const struct http_request *r, const char *name);
/* The first query parameter called name, decoded; NULL if absent or malformed. */
const char *http_request_query(struct http_request *r, const char *name);
/* A request header; NULL for any header that claims an identity (see auth/headers.h). */
const char *http_request_header(const struct http_request *r, const char *name);
const char *http_request_id(const struct http_request *r);
/* The client's address (the gateway's, behind one). */
const struct sockaddr *http_request_peer(const struct http_request *r);
/*
 * A header as the client sent it, identity headers included. Only auth's trusted-header mode
 * may read one, and only after checking the peer is a trusted gateway.
 */
const char *http_request_trusted_header(const struct http_request *r, const char *name);
const struct http_server *http_request_server(const struct http_request *r);
/* What the server was made with for its handlers (kfdash_of in server/kfdash.h). */
void *http_request_app(const struct http_request *r);
struct upstream;
/* The upstream engine driven by the thread serving r (lib/upstream.h: upstream_new_driven):
 * a call made on it from that thread, and the answer's way back, never change threads. NULL
 * when the thread has none (the caller uses a shared engine). */
struct upstream *http_request_engine(const struct http_request *r);
struct metrics;
/* The server's request metrics (server/http/metrics.h). */
const struct metrics *http_server_metrics(const struct http_server *s);
/* The buffered request body (bounded by limits.max_body_bytes). */
const char *http_request_body(const struct http_request *r, size_t *ret_len);
/* A cookie the client sent; NULL if absent. */
const char *http_request_cookie(const struct http_request *r, const char *name);
/* The URL the client used for this server: "http://host[:port]", or https and the gateway's
 * host when a trusted proxy says so (X-Forwarded-Proto / X-Forwarded-Host). -EINVAL for a Host
 * that is not a plain host[:port]. */
int http_request_origin(const struct http_request *r, char *out, size_t size);
/* True when the client reached us over TLS (by a trusted proxy's word). */
bool http_request_is_https(const struct http_request *r);

/* Runs the handler of the request's route (for the gate, once it admitted the request). */
void http_request_run_route(struct http_request *r);
/* Who the request is, once the gate knows; NULL on public routes. */
const struct identity *http_request_identity(const struct http_request *r);
/* Sets it (taken, freed with the request by identity_free). */
void http_request_set_identity(struct http_request *r, struct identity *who);

/*
 * Parks the request while its handler waits on another server (see upstream.h): the handler
 * returns without a reply. Later, from any thread, http_request_resume makes next run on an HTTP
 * thread, where it replies (or parks again). Call suspend only from a handler or a `next`.
 */
typedef void (*http_next_fn)(struct http_request *r);
void http_request_suspend(struct http_request *r);
void http_request_resume(struct http_request *r, http_next_fn next);

/*
 * Routes with ROUTE_STREAM_BODY: the handler gives the body to fn as it arrives, instead of
 * replying. fn runs on an HTTP thread with each piece and returns how much it took; taking less
 * must come with http_request_hold_body (from fn), and then nothing more is read from the client
 * until http_request_release_body (any thread, once). At the end fn gets (NULL, 0) and must
 * reply or park the request. fn may reply early (the rest of the body is then dropped).
 */
typedef size_t (*http_body_fn)(void *ctx, const char *data, size_t len);
void http_request_take_body(struct http_request *r, http_body_fn fn, void *ctx);
bool http_request_streams_body(const struct http_request *r);
/* The matched route's ROUTE_* flags (0 before routing). */
unsigned http_request_route_flags(const struct http_request *r);
void http_request_hold_body(struct http_request *r);
void http_request_release_body(struct http_request *r);
/* A pointer the handler keeps with the request while it is parked; free_fn (may be NULL) runs
 * when the request ends or another context replaces it. */
void http_request_set_context(struct http_request *r, void *ctx, void (*free_fn)(void *));
void *http_request_context(const struct http_request *r);
/* Hands the context back to the caller (who frees it) and leaves none. */
void *http_request_take_context(struct http_request *r);

/* fn(ctx) runs once when the request ends (answered, or its connection gone), after the context
 * is freed; one per request (a second replaces the first). */
void http_request_on_end(struct http_request *r, void (*fn)(void *), void *ctx);
/* Adds a header to whatever reply comes next (e.g. a refreshed Set-Cookie). Copied. */
int http_request_add_reply_header(struct http_request *r, const char *name, const char *value);

/* ---- replies: exactly one per request. headers: NULL or {name, value, ..., NULL} ---- */

/* body must stay valid for the life of the process (embedded or start-up data). */
void http_reply_static(struct http_request *r, unsigned status, const char *content_type,
                       const void *body, size_t len, const char *const *headers);
/* body is copied. */
void http_reply_copy(struct http_request *r, unsigned status, const char *content_type,
                     const void *body, size_t len, const char *const *headers);
/* body (malloc'd) is taken and freed once sent. */
void http_reply_take(struct http_request *r, unsigned status, const char *content_type, void *body,
                     size_t len, const char *const *headers);
/* The file behind fd (taken, closed once sent), size bytes from its start. */
void http_reply_fd(struct http_request *r, unsigned status, const char *content_type, int fd,
                   uint64_t size, const char *const *headers);
struct cJSON;
/* j (taken) as JSON, not to be cached; 500 when it cannot be printed. */
void http_reply_json(struct http_request *r, unsigned status, struct cJSON *j);
/* {"error": message} with the given status. */
void http_reply_error(struct http_request *r, unsigned status, const char *message);
/* The same, with extra headers. */
void http_reply_error_with(struct http_request *r, unsigned status, const char *message,
                           const char *const *headers);
/*
 * A reply whose body comes piece by piece (a proxied answer). read(ctx, buf, max) returns the
 * bytes it wrote, HTTP_STREAM_END at the end, HTTP_STREAM_ERROR to cut the connection, or 0
 * after calling http_stream_sleep when nothing is there yet. size is the body's length or
 * HTTP_SIZE_UNKNOWN (chunked). kfdash's own security headers are not added: the body is another
 * application's, with its own.
 */
#define HTTP_SIZE_UNKNOWN UINT64_MAX
#define HTTP_STREAM_END   (-1)
#define HTTP_STREAM_ERROR (-2)
typedef long (*http_stream_read_fn)(void *ctx, char *buf, size_t max);
void http_reply_stream(struct http_request *r, unsigned status, uint64_t size,
                       const char *const *headers, http_stream_read_fn read, void *ctx);
/* Another application's answer that is all in already: sent as http_reply_stream would send it
 * (its headers, not kfdash's security headers), head and body in one write; takes body (heap). */
void http_reply_relayed(struct http_request *r, unsigned status, const char *const *headers,
                        char *body, size_t len);
/* From read only: the connection sleeps (costing no thread) until http_stream_wake. */
void http_stream_sleep(struct http_request *r);
/* From any thread, once per sleep: read will be called again. */
void http_stream_wake(struct http_request *r);
/* For read: the client hung up while the stream slept (then it woke): end it with
 * HTTP_STREAM_ERROR. */
bool http_request_client_gone(const struct http_request *r);
/* Calls fn for each request header a proxy may pass on: identity headers left out. */
void http_request_each_header(const struct http_request *r,
                              void (*fn)(void *cls, const char *name, const char *value),
                              void *cls);

/*
 * Switches the connection to another protocol (101, a WebSocket): headers must name it in
 * Upgrade. Once sent, upgraded(ctx, fd, extra, n, handle) runs on an HTTP thread with the
 * client's socket and any bytes already read from it; it must not block. The socket then
 * belongs to the caller until http_upgraded_close(handle), which also ends the request.
 */
struct http_upgraded;
typedef void (*http_upgraded_fn)(void *ctx, int fd, const char *extra, size_t n,
                                 struct http_upgraded *handle);
void http_reply_upgrade(struct http_request *r, const char *const *headers,
                        http_upgraded_fn upgraded, void *ctx);
void http_upgraded_close(struct http_upgraded *handle);

/* A redirect (302) to location. */
void http_reply_redirect(struct http_request *r, const char *location, const char *const *headers);
