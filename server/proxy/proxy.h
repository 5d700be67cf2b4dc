/*
 * proxy: forwards an admitted request to another HTTP server and streams its answer back.
 *
 * The request goes out with the user's identity (USERID_HEADER, kubeflow-groups,
 * X-Forwarded-User/-Email/-Groups), X-Forwarded-For/-Proto/-Host, and without hop-by-hop
 * headers or kfdash's own credentials (its cookies, the bearer token that proved the user).
 * The answer streams through a bounded buffer: a slow client pauses the upstream, a slow
 * upstream parks the client's connection; neither holds a thread. Failures before the answer
 * starts are 502 (cannot connect, bad answer) or 504 (no answer in time), JSON or HTML as the
 * client prefers. The request body is the one http.c buffered (limits.max_body_bytes), or on
 * ROUTE_STREAM_BODY routes streams through a bounded buffer as well (target->max_body_bytes).
 *
 * Threads: handlers call proxy_forward on an HTTP worker; the upstream call runs on that worker's
 * own engine (http_request_engine), so the answer is fed on the same thread, and a complete
 * small answer goes out with its head in one write. The settings are the request's server's
 * (server/kfdash.h); a request without a worker engine uses the shared one.
 */
#pragma once

#include <stdbool.h>

struct http_request;
struct upstream_tls;

struct proxy_target {
    const char *base_url; /* scheme://host[:port][/prefix], no trailing slash */
    bool keep_host;       /* send the client's Host (apps that check Origin against it) */
    long connect_timeout_ms;
    long idle_timeout_s; /* an answer that stalls this long is cut */
    /* The Kubernetes API server: the user travels as Impersonate-User/-Group, the client's
     * cookies stay behind, and kfdash's own credentials (below) prove the call. */
    bool impersonate;
    const char *authorization;      /* "Authorization: ..." line to send, or NULL */
    const struct upstream_tls *tls; /* TLS to the upstream; NULL: the system's CAs */
    /* Routes with ROUTE_STREAM_BODY: the body streams through, at most this many bytes (413). */
    long long max_body_bytes;
    /* The application serves at / but is reached under this prefix ("/spark/ns/app"): a
     * Location path outside it gets it in front; NULL for none. */
    const char *location_prefix;
    /* One more "Name: value" line to send (X-Forwarded-Context), or NULL. */
    const char *extra_header;
    /* Sent as Accept instead of the client's, or NULL. */
    const char *accept;
    /* Client headers not passed on (NULL-terminated names, e.g. an Origin kfdash checked and the
     * application would judge again), or NULL. */
    const char *const *drop_headers;
    /* The answer is data, never a page: it goes out with Content-Security-Policy: sandbox and
     * X-Content-Type-Options: nosniff in place of the upstream's own, so a browser that opens it
     * runs no script of it, whatever its Content-Type says. */
    bool sandbox;
};

/* Forwards r to target->base_url + path_and_query ("/..."). r must have passed the gate. */
void proxy_forward(struct http_request *r, const struct proxy_target *target,
                   const char *path_and_query);
