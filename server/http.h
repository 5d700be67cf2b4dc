/*
 * http: the libmicrohttpd daemons, the request lifecycle and the reply helpers.
 *
 * Owns listening, limits (431/413/414/503, idle and request timeouts), path normalisation
 * before routing, the request id, security headers, the access log, metrics of every request,
 * and graceful shutdown. Does not own what any route means.
 *
 * Threads: libmicrohttpd's internal epoll thread pool calls handlers; a handler must answer
 * without waiting on the network. A reaper thread closes connections whose client is too slow.
 * The only place that talks to libmicrohttpd: nothing else includes microhttpd.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/config.h"
#include "server/router.h"

struct http_server;
struct http_request;
struct sockaddr;

#define HTTP_ERROR_MAX      256
#define HTTP_REQUEST_ID_MAX 64

/* Creates the server for a route table that must outlive it. */
int http_server_new(const struct config *c, const struct route *routes, size_t n_routes,
                    struct http_server **ret);
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
/* The buffered request body (bounded by limits.max_body_bytes). */
const char *http_request_body(const struct http_request *r, size_t *ret_len);

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
/* {"error": message} with the given status. */
void http_reply_error(struct http_request *r, unsigned status, const char *message);
/* The same, with extra headers. */
void http_reply_error_with(struct http_request *r, unsigned status, const char *message,
                           const char *const *headers);
