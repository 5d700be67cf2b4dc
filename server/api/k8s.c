/* k8s: the checked Kubernetes API forwarder; see k8s.h. */
#include "server/api/k8s.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/identity.h"
#include "k8s/access.h"
#include "k8s/client.h"
#include "k8s/target.h"
#include "server/cluster/kube.h"
#include "server/cluster/sar.h"
#include "server/config.h"
#include "server/http/http.h"
#include "server/kfdash.h"
#include "server/proxy/proxy.h"

#define PREFIX          "/api/k8s"
#define WATCH_IDLE_S    600 /* watches send bookmarks well within this */
#define CONNECT_MS      5000
#define TARGET_PATH_MAX (8192 + 2)

struct api_k8s {
    struct k8s_allowlist *allowed; /* k8s.allowed_resources */
};

int api_k8s_new(const struct config *cfg, struct api_k8s **ret, char err[128])
{
    *ret = calloc(1, sizeof(**ret));
    if (!*ret) {
        snprintf(err, 128, "out of memory");
        return -ENOMEM;
    }
    int e = k8s_allowlist_parse(cfg->k8s_allowed_resources, &(*ret)->allowed, err);
    if (e < 0) {
        free(*ret);
        *ret = NULL;
    }
    return e;
}

void api_k8s_free(struct api_k8s *a)
{
    if (!a) return;
    k8s_allowlist_free(a->allowed);
    free(a);
}

/* kfdash's own refusal, as the API server would put it (a Status object kubectl prints), with
 * kfdash's usual {"error"} beside it. */
static void refuse(struct http_request *r, unsigned status, const char *message)
{
    const char *reason = status == 403   ? "Forbidden"
                         : status == 404 ? "NotFound"
                         : status == 405 ? "MethodNotAllowed"
                         : status == 414 ? "RequestEntityTooLarge"
                         : status == 503 ? "ServiceUnavailable"
                                         : "InternalError";
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "kind", "Status");
    cJSON_AddStringToObject(j, "apiVersion", "v1");
    cJSON_AddObjectToObject(j, "metadata");
    cJSON_AddStringToObject(j, "status", "Failure");
    cJSON_AddStringToObject(j, "message", message);
    cJSON_AddStringToObject(j, "reason", reason);
    cJSON_AddNumberToObject(j, "code", status);
    cJSON_AddStringToObject(j, "error", message);
    http_reply_json(r, status, j);
}

/* A call waiting for its review, kept with the parked request. */
struct pending_call {
    struct http_request *r;
    int allowed;                /* the review's answer */
    char reason[512];           /* its reason */
    char path[TARGET_PATH_MAX]; /* API server path and query, still encoded */
};

void api_k8s_forward_as_user(struct http_request *r, const char *path, const char *accept)
{
    struct k8s_client *c = kube_client(kfdash_of(r)->kube);
    char auth[K8S_AUTH_HEADER_MAX];
    if (k8s_client_auth_header(c, auth, sizeof(auth)) < 0 && !auth[0]) {
        refuse(r, 503, "kfdash cannot read its own Kubernetes credentials");
        return;
    }
    struct proxy_target target = {.base_url = k8s_client_api(c),
                                  .connect_timeout_ms = CONNECT_MS,
                                  .idle_timeout_s = WATCH_IDLE_S,
                                  .impersonate = true,
                                  .authorization = auth,
                                  .tls = k8s_client_tls(c),
                                  .accept = accept};
    proxy_forward(r, &target, path);
}

static void reviewed(struct http_request *r)
{
    struct pending_call *p = http_request_take_context(r);
    if (p->allowed < 0) {
        refuse(r, 503, "the Kubernetes API server could not check this request");
    } else if (!p->allowed) {
        char message[600];
        snprintf(message, sizeof(message), "forbidden by the cluster's RBAC%s%.500s",
                 *p->reason ? ": " : "", p->reason);
        refuse(r, 403, message);
    } else {
        api_k8s_forward_as_user(r, p->path, NULL);
    }
    free(p);
}

static void review_done(void *ctx, int allowed, const char *reason)
{
    struct pending_call *p = ctx;
    p->allowed = allowed;
    snprintf(p->reason, sizeof(p->reason), "%s", reason ? reason : "");
    http_request_resume(p->r, reviewed);
}

static bool is_watch(struct http_request *r)
{
    const char *w = http_request_query(r, "watch");
    return w && (strcmp(w, "1") == 0 || strcmp(w, "true") == 0);
}

/* What a client such as kubectl reads before its first call: the API groups and versions, the
 * resources of each, the server's version, its OpenAPI documents. */
static bool is_discovery(const char *path)
{
    if (strcmp(path, "/api") == 0 || strcmp(path, "/apis") == 0 || strcmp(path, "/version") == 0 ||
        strcmp(path, "/openapi/v2") == 0 || strcmp(path, "/openapi/v3") == 0 ||
        strncmp(path, "/openapi/v3/", 12) == 0)
        return true;
    /* /api/<version> and /apis/<group>[/<version>], nothing further */
    const char *rest = strncmp(path, "/api/", 5) == 0    ? path + 5
                       : strncmp(path, "/apis/", 6) == 0 ? path + 6
                                                         : NULL;
    if (!rest || !*rest) return false;
    size_t slashes = 0;
    for (const char *c = rest; *c; c++) slashes += *c == '/';
    return path[4] == '/' ? slashes == 0 : slashes <= 1;
}

void api_k8s_forward(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    if (!kube_on(k->kube)) {
        refuse(r, 503, "no Kubernetes API server is configured (kube.api)");
        return;
    }
    const char *path = http_request_path(r) + strlen(PREFIX);
    if (is_discovery(path)) {
        /* Read as the user (every signed-in user may discover), and only read. */
        if (strcmp(http_request_method(r), "GET") != 0 &&
            strcmp(http_request_method(r), "HEAD") != 0) {
            http_request_add_reply_header(r, "Allow", "GET, HEAD");
            refuse(r, 405, "discovery is read-only");
            return;
        }
        char target[TARGET_PATH_MAX];
        const char *query = http_request_raw_query(r);
        if (snprintf(target, sizeof(target), "%s%s%s", http_request_raw_path(r) + strlen(PREFIX),
                     *query ? "?" : "", query) >= (int)sizeof(target)) {
            refuse(r, 414, "request too long to forward");
            return;
        }
        api_k8s_forward_as_user(r, target, NULL);
        return;
    }
    struct k8s_target t;
    if (k8s_target_parse(path, &t) < 0) {
        refuse(r, 404, "not a Kubernetes resource path kfdash forwards");
        return;
    }
    const char *verb = k8s_target_verb(&t, http_request_method(r), is_watch(r));
    int listed = verb ? k8s_allowlist_check(k->api_k8s->allowed, &t, verb) : 0;
    if (listed == 0) {
        refuse(r, 403, "kfdash does not forward calls to this resource");
        return;
    }
    if (listed == -EROFS) {
        refuse(r, 403, "this resource is read-only through kfdash");
        return;
    }
    const struct identity *who = http_request_identity(r);
    bool admin = kube_is_cluster_admin(k->kube, who);
    if (t.ns[0]) {
        if (kube_role(k->kube, who, t.ns) == K8S_ROLE_NONE) {
            refuse(r, 403, "you have no role in this namespace");
            return;
        }
    } else if (!admin) {
        refuse(r, 403, "cluster-wide resources are for cluster admins");
        return;
    }
    struct pending_call *p = calloc(1, sizeof(*p));
    const char *query = http_request_raw_query(r);
    if (!p ||
        snprintf(p->path, sizeof(p->path), "%s%s%s", http_request_raw_path(r) + strlen(PREFIX),
                 *query ? "?" : "", query) >= (int)sizeof(p->path)) {
        free(p);
        refuse(r, 414, "request too long to forward");
        return;
    }
    p->r = r;
    http_request_set_context(r, p, free);
    http_request_suspend(r);
    sar_check(k->sar, who, &t, verb, review_done, p);
}
