/* api_workgroup: see api_workgroup.h. */
#include "server/api_workgroup.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "auth/identity.h"
#include "k8s/access.h"
#include "server/config.h"
#include "server/http.h"
#include "server/kube.h"
#include "version.h"

#define MEMBERSHIPS_MAX 4096

static const struct config *cfg; /* borrowed for the process life */

void api_workgroup_init(const struct config *c)
{
    cfg = c;
}

static void reply_json(struct http_request *r, cJSON *j)
{
    char *body = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!body) {
        http_reply_error(r, 500, "out of memory");
        return;
    }
    const char *headers[] = {"Cache-Control", "no-store", NULL};
    http_reply_take(r, 200, "application/json", body, strlen(body), headers);
}

/* The caller's memberships from the current snapshot (heap; *ret_n entries); NULL and a reply
 * sent when there is no API server or no memory. */
static struct k8s_membership *memberships(struct http_request *r, size_t *ret_n)
{
    const struct k8s_snapshot *s = kube_snapshot();
    if (!s) {
        http_reply_error(r, 503, "no Kubernetes API server is configured (kube.api)");
        return NULL;
    }
    const struct identity *who = http_request_identity(r);
    struct k8s_membership *m = calloc(MEMBERSHIPS_MAX, sizeof(*m));
    if (!m) {
        http_reply_error(r, 500, "out of memory");
        return NULL;
    }
    size_t n = k8s_snapshot_memberships(s, who->email, (const char *const *)who->groups,
                                        who->n_groups, m, MEMBERSHIPS_MAX);
    *ret_n = n < MEMBERSHIPS_MAX ? n : MEMBERSHIPS_MAX;
    return m;
}

/* Kubeflow's names for the roles of env-info. */
static const char *kubeflow_role(enum k8s_role role)
{
    return role == K8S_ROLE_OWNER ? "owner" : role == K8S_ROLE_VIEW ? "viewer" : "contributor";
}

void api_workgroup_exists(struct http_request *r)
{
    size_t n;
    struct k8s_membership *m = memberships(r, &n);
    if (!m) return;
    bool owns = false;
    for (size_t i = 0; i < n; i++) owns = owns || m[i].role == K8S_ROLE_OWNER;
    free(m);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "user", http_request_identity(r)->email);
    cJSON_AddBoolToObject(j, "hasAuth", true);
    cJSON_AddBoolToObject(j, "hasWorkgroup", owns);
    cJSON_AddBoolToObject(j, "registrationFlowAllowed", cfg->registration_flow);
    reply_json(r, j);
}

void api_workgroup_env_info(struct http_request *r)
{
    size_t n;
    struct k8s_membership *m = memberships(r, &n);
    if (!m) return;
    const struct identity *who = http_request_identity(r);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "user", who->email);
    cJSON *platform = cJSON_AddObjectToObject(j, "platform");
    cJSON_AddStringToObject(platform, "provider", "other://");
    cJSON_AddStringToObject(platform, "providerName", "other");
    cJSON_AddStringToObject(platform, "kubeflowVersion", "kfdash " KFDASH_VERSION);
    cJSON_AddStringToObject(platform, "logoutUrl",
                            *cfg->logout_url ? cfg->logout_url : "/auth/logout");
    cJSON *list = cJSON_AddArrayToObject(j, "namespaces");
    for (size_t i = 0; list && i < n; i++) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "namespace", m[i].ns);
        cJSON_AddStringToObject(item, "role", kubeflow_role(m[i].role));
        cJSON_AddStringToObject(item, "user", who->email);
        cJSON_AddItemToArray(list, item);
    }
    cJSON_AddBoolToObject(j, "isClusterAdmin", kube_is_cluster_admin(who));
    free(m);
    reply_json(r, j);
}

void api_namespaces(struct http_request *r)
{
    size_t n;
    struct k8s_membership *m = memberships(r, &n);
    if (!m) return;
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; list && i < n; i++) {
        cJSON *ns = cJSON_CreateObject();
        cJSON_AddStringToObject(ns, "apiVersion", "v1");
        cJSON_AddStringToObject(ns, "kind", "Namespace");
        cJSON *meta = cJSON_AddObjectToObject(ns, "metadata");
        cJSON_AddStringToObject(meta, "name", m[i].ns);
        if (m[i].owner)
            cJSON_AddStringToObject(cJSON_AddObjectToObject(meta, "annotations"), "owner",
                                    m[i].owner);
        cJSON_AddItemToArray(list, ns);
    }
    free(m);
    reply_json(r, list);
}
