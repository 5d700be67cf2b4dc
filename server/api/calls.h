/*
 * calls: a handler's request waits on the API server. The call is built by the cluster adapter
 * (server/cluster/kube.h), the request is parked on it (server/http/park.h), and the failures a
 * user should understand are answered here, the same way for every handler.
 *
 * Threads: HTTP threads (a handler or its `next`).
 */
#pragma once

#include "server/http/http.h"

struct identity;
struct k8s_snapshot;
struct upstream_result;

/* As the user `as` (NULL: as kfdash itself, through the write guard). Parks r; *answer is
 * filled, then next runs. body (JSON) may be NULL; PATCH sends it as a JSON merge patch. A call
 * that cannot start is answered at once: 403 (the guard refused, with why), 503 (no API
 * server), 500. */
void api_kube_call_as(struct http_request *r, const struct identity *as, const char *method,
                      const char *path, const char *body, struct upstream_result *answer,
                      http_next_fn next);
/* The same as kfdash itself. */
void api_kube_call(struct http_request *r, const char *method, const char *path, const char *body,
                   struct upstream_result *answer, http_next_fn next);
/* Answers a failed call: the API server's own message (4xx passed on, else 502). */
void api_kube_failure(struct http_request *r, const struct upstream_result *a, const char *doing);
/* The route's :namespace, which the gate checked against the route's least role (routes.c);
 * NULL after replying 503 without an API server. *ret_s (may be NULL): the current snapshot. */
const char *api_namespace(struct http_request *r, const struct k8s_snapshot **ret_s);
