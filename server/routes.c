/* routes: the route table; see routes.h. Read it as the map of the server. */
#include "server/routes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/api/admin.h"
#include "server/api/dashboard.h"
#include "server/api/diagnostics.h"
#include "server/api/k8s.h"
#include "server/api/kserve.h"
#include "server/api/mlflow.h"
#include "server/api/monitoring.h"
#include "server/api/notebooks.h"
#include "server/api/quota.h"
#include "server/api/spark.h"
#include "server/api/tokens.h"
#include "server/api/workgroup.h"
#include "server/gate/apps.h"
#include "server/gate/authz.h"
#include "server/gate/login.h"
#include "server/http/health.h"
#include "server/http/http.h"
#include "server/http/static.h"
#include "server/proxy/app_proxy.h"
#include "server/proxy/serving.h"
#include "server/proxy/sidecar.h"

static void api_not_found(struct http_request *r)
{
    http_reply_error(r, 404, "no such API route");
}

#define PUBLIC ROUTE_PUBLIC
/* Another application behind kfdash: its bodies stream, its CSRF is checked by Origin. */
#define APP    (ROUTE_STREAM_BODY | ROUTE_PROXIED)
#define STREAM ROUTE_STREAM_BODY
#define RECENT ROUTE_RECENT_SIGNIN
/* The least role a route needs (router.h); the gate checks it before the handler runs. */
#define VIEWER      ROUTE_ROLE(ROUTE_VIEWER)
#define CONTRIBUTOR ROUTE_ROLE(ROUTE_CONTRIBUTOR)
#define OWNER       ROUTE_ROLE(ROUTE_OWNER)
#define ADMIN       ROUTE_ROLE(ROUTE_CLUSTER_ADMIN)

/* Routes without PUBLIC pass the gate first (gate.h): they know who is asking, and that the
 * caller holds the route's least role in its :namespace. kfdash's own API, then (below) the
 * applications as the mode has them, then the web app. */
static const struct route routes[] = {
    {"GET", "/healthz", health_healthz, PUBLIC},
    {"GET", "/readyz", health_readyz, PUBLIC},
    {"GET", "/metrics", health_metrics, PUBLIC},
    {"GET", "/auth/login", login_start, PUBLIC},
    {"GET", "/auth/callback", login_callback, PUBLIC},
    {"GET", "/auth/logout", login_logout, PUBLIC},
    /* The authorizer asks the gate itself: its refusals are answers, not errors. */
    {NULL, "/auth/check", authz_check, PUBLIC},
    {NULL, "/auth/check/*", authz_check, PUBLIC},
    /* The menu of the dashboard-config ConfigMap: no user data, needed to draw the shell. */
    {"GET", "/api/dashboard-links", dashboard_get_links, PUBLIC},
    {"GET", "/api/dashboard-settings", dashboard_get_settings, PUBLIC},
    {"GET", "/api/whoami", api_whoami, 0},
    /* Kubeflow's own profile routes, in Kubeflow's shapes (docs/kubeflow.md)... */
    {"GET", "/api/workgroup/exists", api_workgroup_exists, 0},
    {"GET", "/api/workgroup/env-info", api_workgroup_env_info, 0},
    {"POST", "/api/workgroup/create", api_workgroup_create, 0},
    {"GET", "/api/workgroup/get-contributors/:namespace", api_workgroup_get_contributors, VIEWER},
    {"POST", "/api/workgroup/add-contributor/:namespace", api_workgroup_add_contributor,
     RECENT | OWNER},
    {"DELETE", "/api/workgroup/remove-contributor/:namespace", api_workgroup_remove_contributor,
     RECENT | OWNER},
    {"GET", "/api/workgroup/get-all-namespaces", api_workgroup_get_all_namespaces, ADMIN},
    {"DELETE", "/api/workgroup/nuke-self", api_workgroup_nuke_self, RECENT},
    /* ...and kfdash's, with viewers and roles (the web app's). */
    {"POST", "/api/profiles", api_profiles_create, 0},
    {"DELETE", "/api/profiles/:namespace", api_profiles_delete, RECENT | OWNER},
    {"GET", "/api/profiles/:namespace/contributors", api_profiles_contributors, VIEWER},
    {"POST", "/api/profiles/:namespace/contributors", api_profiles_add_contributor, RECENT | OWNER},
    {"DELETE", "/api/profiles/:namespace/contributors", api_profiles_remove_contributor,
     RECENT | OWNER},
    {"GET", "/api/namespaces", api_namespaces, 0},
    {"GET", "/api/activities/:namespace", api_activities, VIEWER},
    {"GET", "/api/rules/:namespace", api_rules, VIEWER},
    {"GET", "/api/admin/users", api_admin_users_list, ADMIN},
    {"POST", "/api/admin/users", api_admin_users_create, RECENT | ADMIN},
    {"PUT", "/api/admin/users/:email/password", api_admin_users_password, RECENT | ADMIN},
    {"POST", "/api/admin/users/:email/disable", api_admin_users_disable, RECENT | ADMIN},
    {"POST", "/api/admin/users/:email/enable", api_admin_users_enable, RECENT | ADMIN},
    {"DELETE", "/api/admin/users/:email", api_admin_users_delete, RECENT | ADMIN},
    {"GET", "/api/diagnostics", api_diagnostics, 0},
    /* The namespace is inside the Kubernetes path: the handler checks the role there. */
    {NULL, "/api/k8s/*", api_k8s_forward, 0},
    {"GET", "/api/tokens", api_tokens_list, 0},
    {"POST", "/api/tokens", api_tokens_create, RECENT},
    {"DELETE", "/api/tokens/:id", api_tokens_delete, 0},
    {"GET", "/api/spark/templates", api_spark_templates, 0},
    {"GET", "/api/namespaces/:namespace/sparkapplications", api_spark_list, VIEWER},
    {"POST", "/api/namespaces/:namespace/sparkapplications", api_spark_create, CONTRIBUTOR},
    {"GET", "/api/namespaces/:namespace/sparkapplications/:app", api_spark_get, VIEWER},
    {"DELETE", "/api/namespaces/:namespace/sparkapplications/:app", api_spark_delete, CONTRIBUTOR},
    {"GET", "/api/namespaces/:namespace/sparkapplications/:app/logs", api_spark_logs, VIEWER},
    {"GET", "/api/config", api_notebooks_config, 0},
    {"GET", "/api/gpus", api_notebooks_gpus, 0},
    {"GET", "/api/namespaces/:namespace/notebooks", api_notebooks_list, VIEWER},
    {"POST", "/api/namespaces/:namespace/notebooks", api_notebooks_create, CONTRIBUTOR},
    {"GET", "/api/namespaces/:namespace/notebooks/:notebook", api_notebooks_get, VIEWER},
    {"PATCH", "/api/namespaces/:namespace/notebooks/:notebook", api_notebooks_patch, CONTRIBUTOR},
    {"DELETE", "/api/namespaces/:namespace/notebooks/:notebook", api_notebooks_delete, CONTRIBUTOR},
    {"GET", "/api/namespaces/:namespace/notebooks/:notebook/pod", api_notebooks_pod, VIEWER},
    {"GET", "/api/namespaces/:namespace/notebooks/:notebook/pod/:pod/logs", api_notebooks_logs,
     VIEWER},
    {"GET", "/api/namespaces/:namespace/notebooks/:notebook/events", api_notebooks_events, VIEWER},
    {"GET", "/api/namespaces/:namespace/pvcs", api_notebooks_pvcs, VIEWER},
    {"GET", "/api/namespaces/:namespace/poddefaults", api_notebooks_poddefaults, VIEWER},
    {"POST", "/api/namespaces/:namespace/poddefaults/mlflow", api_notebooks_mlflow, CONTRIBUTOR},
    {"GET", "/api/namespaces/:namespace/inferenceservices", api_kserve_list, VIEWER},
    {"POST", "/api/namespaces/:namespace/inferenceservices", api_kserve_create, CONTRIBUTOR},
    {"GET", "/api/namespaces/:namespace/inferenceservices/:name", api_kserve_get, VIEWER},
    {"DELETE", "/api/namespaces/:namespace/inferenceservices/:name", api_kserve_delete,
     CONTRIBUTOR},
    {"GET", "/api/namespaces/:namespace/mlflow-model-versions", api_kserve_mlflow_versions, VIEWER},
    /* Charts from Prometheus: kfdash writes every query (server/api/charts.h). Kubeflow's node
     * chart is of the whole cluster: admins only; podcpu/podmem are scoped by the handler. */
    {"GET", "/api/charts", api_monitoring_charts, 0},
    {"GET", "/api/namespaces/:namespace/charts/:chart", api_monitoring_chart, VIEWER},
    {"GET", "/api/cluster/charts/:chart", api_monitoring_cluster_chart, ADMIN},
    {"GET", "/api/metrics", api_monitoring_metrics, 0},
    {"GET", "/api/metrics/node", api_monitoring_kubeflow_node, ADMIN},
    {"GET", "/api/metrics/:type", api_monitoring_kubeflow, 0},
    {"GET", "/api/namespaces/:namespace/quota", api_quota_get, VIEWER},
    {NULL, "/api/*", api_not_found, PUBLIC},
};

/* The applications in a profile namespace, their bodies streamed through: on kfdash's origin
 * without apps.domain (path mode: least_role.h then lets only a namespace's owner and contributors
 * in), on their own hosts with it. A notebook runs code as the namespace: contributors only.
 * Viewers read a Spark UI but never press its kill links. The workspace of an MLflow call is a
 * header or a cookie: the handler checks it (server/proxy/mlflow_access.h). */
static const struct route applications[] = {
    {NULL, "/notebook/:namespace/:name/*", app_proxy_notebook, APP | CONTRIBUTOR},
    {NULL, "/spark/:namespace/:name/jobs/job/kill/*", app_proxy_spark, APP | CONTRIBUTOR},
    {NULL, "/spark/:namespace/:name/stages/stage/kill/*", app_proxy_spark, APP | CONTRIBUTOR},
    {"GET", "/spark/:namespace/:name/*", app_proxy_spark, APP | VIEWER},
    {NULL, "/spark/:namespace/:name/*", app_proxy_spark, APP | CONTRIBUTOR},
    {NULL, "/mlflow/*", api_mlflow_proxy, APP}, /* also /mlflow: 302 to /mlflow/ */
};

/* Predictions are data, never pages: their answers are neutralised wherever they are served
 * (serving.c), so on kfdash's origin they stay for the web app's test panel and for scripts,
 * with the CSRF token for a browser session. */
static const struct route predictions[] = {
    {NULL, "/serving/:namespace/:name/*", serving_forward, STREAM | VIEWER},
};

/* apps.domain set: kfdash's origin serves no application content. An application's address
 * sends the browser to its own host (with a one-time code for a signed-in browser), after the
 * same role check; the web app's own MLflow pages keep MLflow's JSON API here. */
static const struct route opening_apps[] = {
    {NULL, "/notebook/:namespace/:name/*", apps_open, CONTRIBUTOR},
    {NULL, "/spark/:namespace/:name/*", apps_open, VIEWER},
    {NULL, "/mlflow/ajax-api/*", api_mlflow_proxy, STREAM},
    {NULL, "/mlflow/api/*", api_mlflow_proxy, STREAM},
    {NULL, "/mlflow/*", apps_open, 0}, /* also /mlflow */
};

/* The web app itself: it asks /api/whoami and sends strangers to sign in. */
static const struct route web_app[] = {
    {"GET", "/*", static_serve, PUBLIC},
};

/* An application's own host (apps.h): kfdash's hand-over, then that one application. */
static const struct route app_host_entry[] = {
    {"GET", "/healthz", health_healthz, PUBLIC},
    {"GET", APPS_ENTER_PATH, apps_enter, PUBLIC},
    /* A gateway's authorizer asks about this host's requests by its Host too. */
    {NULL, "/auth/check", authz_check, PUBLIC},
    {NULL, "/auth/check/*", authz_check, PUBLIC},
    {NULL, "/serving/:namespace/:name/*", serving_forward, APP | VIEWER},
};
static const struct route app_host_rest[] = {
    {NULL, "/*", apps_elsewhere, PUBLIC},
};

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A slice of routes the assembled table takes whole. */
struct part {
    const struct route *routes;
    size_t n;
};

/* Copies the parts one after another into t; returns how many routes. */
static size_t copy_parts(struct route *t, const struct part *parts, size_t n_parts)
{
    size_t n = 0;
    for (size_t i = 0; i < n_parts; i++) {
        memcpy(t + n, parts[i].routes, parts[i].n * sizeof(*t));
        n += parts[i].n;
    }
    return n;
}

int routes_assemble(bool apps, struct route **ret, size_t *ret_n_own, size_t *ret_n)
{
    const struct part path_mode[] = {{routes, LEN(routes)},
                                     {applications, LEN(applications)},
                                     {predictions, LEN(predictions)},
                                     {web_app, LEN(web_app)}};
    const struct part own[] = {{routes, LEN(routes)},
                               {opening_apps, LEN(opening_apps)},
                               {predictions, LEN(predictions)},
                               {web_app, LEN(web_app)}};
    const struct part hosts[] = {{app_host_entry, LEN(app_host_entry)},
                                 {applications, LEN(applications)},
                                 {app_host_rest, LEN(app_host_rest)}};
    struct route *t =
        malloc((LEN(routes) + LEN(applications) + LEN(opening_apps) + LEN(predictions) +
                LEN(web_app) + LEN(app_host_entry) + LEN(applications) + LEN(app_host_rest)) *
               sizeof(*t));
    if (!t) return -ENOMEM;
    size_t n_own = apps ? copy_parts(t, own, LEN(own)) : copy_parts(t, path_mode, LEN(path_mode));
    *ret = t;
    *ret_n_own = n_own;
    *ret_n = n_own + (apps ? copy_parts(t + n_own, hosts, LEN(hosts)) : 0);
    return 0;
}

/* Sidecar mode (`upstream` set): kfdash keeps its own few paths, the application gets the rest. */
const struct route sidecar_routes[] = {
    {"GET", "/healthz", health_healthz, PUBLIC},
    {"GET", "/readyz", health_readyz, PUBLIC},
    {"GET", "/metrics", health_metrics, PUBLIC},
    {"GET", "/auth/login", login_start, PUBLIC},
    {"GET", "/auth/callback", login_callback, PUBLIC},
    {"GET", "/auth/logout", login_logout, PUBLIC},
    {NULL, "/auth/check", authz_check, PUBLIC},
    {NULL, "/auth/check/*", authz_check, PUBLIC},
    {NULL, "/*", sidecar_forward, APP},
};

const size_t n_sidecar_routes = sizeof(sidecar_routes) / sizeof(sidecar_routes[0]);
