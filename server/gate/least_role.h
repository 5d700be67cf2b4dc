/*
 * least_role: does a caller hold the least role a route names (server/http/router.h)?
 *
 * The gate asks this for every admitted request, with the caller's highest role in the route's
 * :namespace (k8s/access.h) and whether they are a cluster admin. Cluster admins pass the
 * namespace roles, except on the applications kfdash carries while those share its own origin
 * (path mode): there a page of the application runs with the visitor's session, so only the
 * namespace's own owners and contributors may open it, whatever the route asks of others (a
 * viewer may read a Spark UI on its own host, not on kfdash's). Pure, thread-safe.
 */
#pragma once

#include <stdbool.h>

#include "k8s/access.h"
#include "server/http/router.h"

struct least_role_refusal {
    unsigned status;     /* 403 */
    const char *message; /* for {"error": ...} */
};

/* True when the caller may go on; else *ret says why not. app_on_shared_origin: the route
 * carries an application (ROUTE_PROXIED) that is served on kfdash's own origin. */
bool least_role_met(enum route_role need, enum k8s_role have, bool cluster_admin,
                    bool app_on_shared_origin, struct least_role_refusal *ret);
