/* routes: the route table; see routes.h. Read it as the map of the server. */
#include "server/routes.h"

#include "server/authz.h"
#include "server/dashboard.h"
#include "server/health.h"
#include "server/http.h"
#include "server/static.h"

static void api_not_found(struct http_request *r)
{
    http_reply_error(r, 404, "no such API route");
}

const struct route routes[] = {
    {"GET", "/healthz", health_healthz},
    {"GET", "/readyz", health_readyz},
    {"GET", "/metrics", health_metrics},
    {NULL, "/auth/check", authz_check},
    {"GET", "/api/dashboard-links", dashboard_get_links},
    {"GET", "/api/dashboard-settings", dashboard_get_settings},
    {NULL, "/api/*", api_not_found},
    {"GET", "/*", static_serve},
};

const size_t n_routes = sizeof(routes) / sizeof(routes[0]);
