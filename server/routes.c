/* routes: the route table; see routes.h. Read it as the map of the server. */
#include "server/routes.h"

#include "server/api_admin.h"
#include "server/app_proxy.h"
#include "server/api_diagnostics.h"
#include "server/api_k8s.h"
#include "server/api_mlflow.h"
#include "server/api_kserve.h"
#include "server/api_notebooks.h"
#include "server/api_spark.h"
#include "server/api_tokens.h"
#include "server/api_workgroup.h"
#include "server/authz.h"
#include "server/dashboard.h"
#include "server/health.h"
#include "server/http.h"
#include "server/login.h"
#include "server/serving.h"
#include "server/sidecar.h"
#include "server/static.h"

static void api_not_found(struct http_request *r)
{
    http_reply_error(r, 404, "no such API route");
}

#define PUBLIC ROUTE_PUBLIC
/* Another application behind kfdash: its bodies stream, its CSRF is checked by Origin. */
#define APP (ROUTE_STREAM_BODY | ROUTE_PROXIED)

/* Routes without PUBLIC pass the gate first (gate.h): they know who is asking. */
const struct route routes[] = {
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
    {"GET", "/api/workgroup/exists", api_workgroup_exists, 0},
    {"GET", "/api/workgroup/env-info", api_workgroup_env_info, 0},
    {"POST", "/api/workgroup/create", api_workgroup_create, 0},
    {"GET", "/api/workgroup/get-contributors/:namespace", api_workgroup_get_contributors, 0},
    {"POST", "/api/workgroup/add-contributor/:namespace", api_workgroup_add_contributor, 0},
    {"POST", "/api/workgroup/add-viewer/:namespace", api_workgroup_add_viewer, 0},
    {"DELETE", "/api/workgroup/remove-contributor/:namespace", api_workgroup_remove_contributor, 0},
    {"DELETE", "/api/workgroup/remove-viewer/:namespace", api_workgroup_remove_viewer, 0},
    {"GET", "/api/workgroup/get-all-namespaces", api_workgroup_get_all_namespaces, 0},
    {"DELETE", "/api/workgroup/nuke-self", api_workgroup_nuke_self, 0},
    {"GET", "/api/namespaces", api_namespaces, 0},
    {"GET", "/api/activities/:namespace", api_activities, 0},
    {"GET", "/api/rules/:namespace", api_rules, 0},
    {"GET", "/api/admin/users", api_admin_users_list, 0},
    {"POST", "/api/admin/users", api_admin_users_create, 0},
    {"PUT", "/api/admin/users/:email/password", api_admin_users_password, 0},
    {"POST", "/api/admin/users/:email/disable", api_admin_users_disable, 0},
    {"POST", "/api/admin/users/:email/enable", api_admin_users_enable, 0},
    {"DELETE", "/api/admin/users/:email", api_admin_users_delete, 0},
    {"GET", "/api/diagnostics", api_diagnostics, 0},
    {NULL, "/api/k8s/*", api_k8s_forward, 0},
    {"GET", "/api/tokens", api_tokens_list, 0},
    {"POST", "/api/tokens", api_tokens_create, 0},
    {"DELETE", "/api/tokens/:id", api_tokens_delete, 0},
    {"GET", "/api/spark/templates", api_spark_templates, 0},
    {"GET", "/api/namespaces/:namespace/sparkapplications", api_spark_list, 0},
    {"POST", "/api/namespaces/:namespace/sparkapplications", api_spark_create, 0},
    {"GET", "/api/namespaces/:namespace/sparkapplications/:app", api_spark_get, 0},
    {"DELETE", "/api/namespaces/:namespace/sparkapplications/:app", api_spark_delete, 0},
    {"GET", "/api/namespaces/:namespace/sparkapplications/:app/logs", api_spark_logs, 0},
    {"GET", "/api/config", api_notebooks_config, 0},
    {"GET", "/api/gpus", api_notebooks_gpus, 0},
    {"GET", "/api/namespaces/:namespace/notebooks", api_notebooks_list, 0},
    {"POST", "/api/namespaces/:namespace/notebooks", api_notebooks_create, 0},
    {"GET", "/api/namespaces/:namespace/notebooks/:notebook", api_notebooks_get, 0},
    {"PATCH", "/api/namespaces/:namespace/notebooks/:notebook", api_notebooks_patch, 0},
    {"DELETE", "/api/namespaces/:namespace/notebooks/:notebook", api_notebooks_delete, 0},
    {"GET", "/api/namespaces/:namespace/notebooks/:notebook/pod", api_notebooks_pod, 0},
    {"GET", "/api/namespaces/:namespace/notebooks/:notebook/pod/:pod/logs", api_notebooks_logs, 0},
    {"GET", "/api/namespaces/:namespace/notebooks/:notebook/events", api_notebooks_events, 0},
    {"GET", "/api/namespaces/:namespace/pvcs", api_notebooks_pvcs, 0},
    {"GET", "/api/namespaces/:namespace/poddefaults", api_notebooks_poddefaults, 0},
    {"POST", "/api/namespaces/:namespace/poddefaults/mlflow", api_notebooks_mlflow, 0},
    {"GET", "/api/namespaces/:namespace/inferenceservices", api_kserve_list, 0},
    {"POST", "/api/namespaces/:namespace/inferenceservices", api_kserve_create, 0},
    {"GET", "/api/namespaces/:namespace/inferenceservices/:name", api_kserve_get, 0},
    {"DELETE", "/api/namespaces/:namespace/inferenceservices/:name", api_kserve_delete, 0},
    {"GET", "/api/namespaces/:namespace/mlflow-model-versions", api_kserve_mlflow_versions, 0},
    {NULL, "/api/*", api_not_found, PUBLIC},
    /* Applications in a profile namespace, for its members; bodies stream through. */
    {NULL, "/notebook/:namespace/:name/*", app_proxy_notebook, APP},
    {NULL, "/spark/:namespace/:name/*", app_proxy_spark, APP},
    {NULL, "/mlflow/*", api_mlflow_proxy, APP}, /* also /mlflow: 302 to /mlflow/ */
    {NULL, "/serving/:namespace/:name/*", serving_forward, APP},
    /* The web app itself: it asks /api/whoami and sends strangers to sign in. */
    {"GET", "/*", static_serve, PUBLIC},
};

const size_t n_routes = sizeof(routes) / sizeof(routes[0]);

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
