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
/* Sensitive (a token that outlives the session, contributors, users, deleting a profile): a
 * browser session or Dex ID token must come from a sign-in at Dex within tokens.max_auth_age_s,
 * so a page that rides on an old session cannot do it. */
#define ROUTE_RECENT_SIGNIN 8u

/* The least a caller needs to reach a route, kept in the top bits of its flags; the gate checks
 * it before the handler runs, so no handler can forget. The namespace roles apply to the route's
 * :namespace. */
enum route_role {
    ROUTE_ANYONE = 0,    /* any signed-in user (on public routes: anyone at all) */
    ROUTE_VIEWER,        /* a role in :namespace (view, edit, admin or owner) */
    ROUTE_CONTRIBUTOR,   /* edit, admin or owner in :namespace */
    ROUTE_OWNER,         /* the owner of the profile :namespace */
    ROUTE_CLUSTER_ADMIN, /* named in kubeflow.cluster_admins (or one of their groups) */
};
#define ROUTE_ROLE_SHIFT 8
#define ROUTE_ROLE(role) ((unsigned)(role) << ROUTE_ROLE_SHIFT)

struct route {
    const char *method;  /* "GET", "POST", ...; NULL matches any method */
    const char *pattern; /* e.g. "/api/activities/:namespace"; also the metrics label */
    route_handler_fn handler;
    /* ROUTE_* | ROUTE_ROLE(least role); without ROUTE_PUBLIC the server's gate must admit the
     * request first */
    unsigned flags;
};

static inline enum route_role route_role(const struct route *r)
{
    return (enum route_role)(r->flags >> ROUTE_ROLE_SHIFT);
}

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
