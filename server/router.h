/*
 * router: method + path patterns with parameters.
 *
 * A pattern is a path whose segments are literal, ":name" (one non-empty segment) or a final
 * "*" (zero or more segments, the rest of the path). The first route whose pattern and method
 * match wins. Matching is pure and allocation-free; the table is read-only and thread-safe.
 */
#pragma once

#include <stddef.h>

struct http_request;
typedef void (*route_handler_fn)(struct http_request *req);

/* Route flags. */
#define ROUTE_PUBLIC 1u /* answered without asking who the client is */
/* The handler runs as soon as the head is in and takes the body as it arrives
 * (http_request_take_body); the body is not buffered, nor bounded by limits.max_body_bytes. */
#define ROUTE_STREAM_BODY 2u
/* Another application's pages and API (notebooks, Spark UIs, MLflow, models): they cannot echo
 * kfdash's CSRF token, so a cookie-proved state change there is checked by its Origin (or
 * Sec-Fetch-Site) alone. */
#define ROUTE_PROXIED 4u

struct route {
    const char *method;  /* "GET", "POST", ...; NULL matches any method */
    const char *pattern; /* e.g. "/api/activities/:namespace"; also the metrics label */
    route_handler_fn handler;
    unsigned flags; /* ROUTE_*; 0: the server's gate must admit the request first */
};

#define ROUTER_MAX_PARAMS 8

struct route_param {
    const char *name; /* points into the pattern, after ':' ("*" for the rest) */
    size_t name_len;
    const char *value; /* points into the matched path */
    size_t value_len;
};

struct route_match {
    const struct route *route;
    size_t n_params;
    struct route_param params[ROUTER_MAX_PARAMS];
};

/*
 * Finds the route for method and path (already normalised).
 * 0: *ret filled. -ENOENT: no pattern matches the path. -EPERM: a pattern matches but not for
 * this method; *ret_allow (if given) lists the methods that would ("GET, POST").
 */
int router_match(const struct route *routes, size_t n_routes, const char *method, const char *path,
                 struct route_match *ret, char *ret_allow, size_t allow_size);
