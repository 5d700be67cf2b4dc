/* api_mlflow: see api_mlflow.h. */
#include "server/api/mlflow.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/identity.h"
#include "k8s/access.h"
#include "k8s/name.h"
#include "lib/log.h"
#include "lib/ttl_cache.h"
#include "lib/upstream.h"
#include "server/cluster/kube.h"
#include "server/config.h"
#include "server/gate/apps.h"
#include "server/http/http.h"
#include "server/http/park.h"
#include "server/kfdash.h"
#include "server/proxy/mlflow_access.h"
#include "server/proxy/proxy.h"

#define PREFIX           "/mlflow"
#define PREFIX_LEN       (sizeof(PREFIX) - 1)
#define NS_COOKIE        "kfdash_ns"
#define WORKSPACE_HEADER "X-MLFLOW-WORKSPACE"
/* MLflow's UI adds a header <Name> with this cookie's value to each of its calls. */
#define NAME_MAX_BYTES     64 /* a DNS label and its NUL */
#define MEMBERSHIPS_MAX    4096
#define KNOWN_MAX          4096 /* workspaces remembered as existing */
#define KNOWN_TTL_MS       (3600 * 1000L)
#define CONNECT_TIMEOUT_MS 5000
#define IDLE_TIMEOUT_S     300 /* a search over many runs may think this long */
#define CREATE_TIMEOUT_MS  10000
#define CREATE_ANSWER_MAX  (64 << 10)
#define TARGET_MAX         (2 * 8192 + 2)
#define URL_MAX            (CONFIG_STRING_MAX + 64)

struct api_mlflow {
    struct ttl_cache *known; /* workspaces MLflow is known to have, so each is created once */
};

int api_mlflow_new(struct api_mlflow **ret)
{
    *ret = calloc(1, sizeof(**ret));
    if (!*ret || ttl_cache_new(KNOWN_MAX / 8, 8, NULL, NULL, &(*ret)->known) < 0) {
        free(*ret);
        *ret = NULL;
        return -ENOMEM;
    }
    return 0;
}

void api_mlflow_free(struct api_mlflow *m)
{
    if (!m) return;
    ttl_cache_free(m->known);
    free(m);
}

static bool is_known(const struct api_mlflow *m, const char *name)
{
    return ttl_cache_get(m->known, name, strlen(name), NULL, NULL);
}

/* Forgotten after a while (or when pushed out): costs one more create, "already exists". */
static void remember(const struct api_mlflow *m, const char *name)
{
    ttl_cache_put(m->known, name, strlen(name), NULL, 0, KNOWN_TTL_MS);
}

/* ---------------------------------------------------------------- answers of kfdash's own */

/* kfdash's {"error"} and MLflow's {"error_code","message"} in one, for both kinds of client. */
static void refuse(struct http_request *r, unsigned status, const char *message)
{
    const char *code = status == 400   ? "INVALID_PARAMETER_VALUE"
                       : status == 403 ? "PERMISSION_DENIED"
                       : status == 404 ? "RESOURCE_DOES_NOT_EXIST"
                       : status == 503 ? "TEMPORARILY_UNAVAILABLE"
                                       : "INTERNAL_ERROR";
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "error", message);
    cJSON_AddStringToObject(j, "error_code", code);
    cJSON_AddStringToObject(j, "message", message);
    http_reply_json(r, status, j);
}

static cJSON *workspace_json(const char *ns)
{
    char description[NAME_MAX_BYTES + 40];
    snprintf(description, sizeof(description), "Kubeflow profile namespace %s", ns);
    cJSON *w = cJSON_CreateObject();
    cJSON_AddStringToObject(w, "name", ns);
    cJSON_AddStringToObject(w, "description", description);
    return w;
}

static const struct k8s_snapshot *snapshot_or_503(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    const struct k8s_snapshot *s = kube_snapshot(k->kube);
    if (!s) refuse(r, 503, "no Kubernetes API server is configured (kube.api)");
    return s;
}

/* GET .../workspaces: exactly the namespaces where the caller holds a role. */
static void list_workspaces(struct http_request *r)
{
    const struct k8s_snapshot *s = snapshot_or_503(r);
    if (!s) return;
    const struct identity *who = http_request_identity(r);
    struct k8s_membership *m = calloc(MEMBERSHIPS_MAX, sizeof(*m));
    if (!m) {
        refuse(r, 500, "out of memory");
        return;
    }
    size_t n = k8s_snapshot_memberships(s, who->email, (const char *const *)who->groups,
                                        who->n_groups, m, MEMBERSHIPS_MAX);
    if (n > MEMBERSHIPS_MAX) n = MEMBERSHIPS_MAX;
    cJSON *j = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(j, "workspaces");
    for (size_t i = 0; list && i < n; i++) cJSON_AddItemToArray(list, workspace_json(m[i].ns));
    free(m);
    http_reply_json(r, 200, j);
}

/* GET .../workspaces/<name>: for a member of that namespace. */
static void get_workspace(struct http_request *r, const char *name, size_t len)
{
    const struct kfdash *k = kfdash_of(r);
    char ns[NAME_MAX_BYTES];
    if (len >= sizeof(ns)) len = sizeof(ns) - 1; /* too long for a label: refused below */
    memcpy(ns, name, len);
    ns[len] = '\0';
    if (!k8s_name_is_dns_label(ns)) {
        refuse(r, 400, "a workspace is named like a namespace (a DNS label)");
        return;
    }
    const struct k8s_snapshot *s = snapshot_or_503(r);
    if (!s) return;
    if (kube_role(k->kube, http_request_identity(r), ns) == K8S_ROLE_NONE) {
        refuse(r, 403, "you have no role in this namespace");
        return;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "workspace", workspace_json(ns));
    http_reply_json(r, 200, j);
}

/* ---------------------------------------------------------------- forwarding */

/* The request to MLflow (the prefix stripped), in workspace ns (NULL: none, for the UI's
 * files). */
static void forward(struct http_request *r, const char *ns)
{
    const struct kfdash *k = kfdash_of(r);
    char path[TARGET_MAX], header[sizeof(WORKSPACE_HEADER) + NAME_MAX_BYTES + 2];
    /* The raw path keeps the client's escapes ("/ml%66low/..."): skip its first segment. */
    const char *rest = strchr(http_request_raw_path(r) + 1, '/');
    const char *query = http_request_raw_query(r);
    snprintf(path, sizeof(path), "%s%s%s", rest ? rest : "/", *query ? "?" : "", query);
    if (ns) snprintf(header, sizeof(header), WORKSPACE_HEADER ": %s", ns);
    /* The client's workspace never goes on, only the one checked. Its Origin was checked by the
     * gate (CSRF); MLflow would refuse a state change from any origin but its own and localhost's
     * (the dashboard's public address), so it goes no further either. */
    static const char *const drop[] = {WORKSPACE_HEADER, "Origin", NULL};
    /* MLflow refuses a Host outside its --allowed-hosts: it gets its own (keep_host off). What
     * a workspace holds (artifacts a user logged, HTML among them) is never a page; and with
     * application hosts, nothing of MLflow is a page on kfdash's origin. */
    char label[APPS_LABEL_MAX];
    struct proxy_target target = {
        .base_url = k->cfg->mlflow_url,
        .drop_headers = drop,
        .connect_timeout_ms = CONNECT_TIMEOUT_MS,
        .idle_timeout_s = IDLE_TIMEOUT_S,
        .max_body_bytes = k->cfg->notebook_max_upload_bytes,
        .extra_header = ns ? header : NULL,
        .sandbox = ns || (apps_enabled(k->cfg) && !apps_request_label(r, label))};
    proxy_forward(r, &target, path);
}

/* A workspace being created before the request goes on, kept with the parked request. */
struct creation {
    struct upstream_result answer;
    char ns[NAME_MAX_BYTES];
};

static void creation_free(void *p)
{
    struct creation *c = p;
    free(c->answer.body);
    free(c);
}

static void created(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct creation *c = http_request_take_context(r);
    const struct upstream_result *a = &c->answer;
    bool exists = !a->error && a->status >= 400 && a->body &&
                  strstr(a->body, "\"RESOURCE_ALREADY_EXISTS\"") != NULL;
    if (!a->error && (a->status == 200 || a->status == 201)) {
        log_msg(LOG_INFO, "created the MLflow workspace of a profile", "namespace", c->ns);
        remember(k->mlflow, c->ns);
    } else if (exists) {
        remember(k->mlflow, c->ns);
    } else {
        /* Not fatal: the request goes on, and MLflow says what it makes of the workspace. */
        char why[UPSTREAM_DETAIL_MAX + 32];
        if (a->error)
            snprintf(why, sizeof(why), "%s", a->detail);
        else
            snprintf(why, sizeof(why), "HTTP %ld", a->status);
        struct buf line;
        log_begin(&line, LOG_WARN, "cannot create the MLflow workspace of a profile");
        log_str(&line, "namespace", c->ns);
        log_str(&line, "detail", why);
        log_end(&line);
    }
    char ns[NAME_MAX_BYTES];
    snprintf(ns, sizeof(ns), "%s", c->ns);
    creation_free(c);
    forward(r, ns);
}

/* Creates the workspace of profile ns as kfdash itself (not as the user), then forwards. */
static void create_then_forward(struct http_request *r, const char *ns)
{
    const struct kfdash *k = kfdash_of(r);
    struct creation *c = calloc(1, sizeof(*c));
    cJSON *body = workspace_json(ns); /* MLflow's CreateWorkspace: {"name", "description"} */
    char *json = body ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(body);
    if (!c || !json) {
        free(c);
        free(json);
        refuse(r, 500, "out of memory");
        return;
    }
    snprintf(c->ns, sizeof(c->ns), "%s", ns);
    char url[URL_MAX];
    snprintf(url, sizeof(url), "%s/api/3.0/mlflow/workspaces", k->cfg->mlflow_url);
    const char *headers[] = {"Content-Type: application/json", "Accept: application/json", NULL};
    struct upstream_call call = {.method = "POST",
                                 .url = url,
                                 .headers = headers,
                                 .body = json,
                                 .body_len = strlen(json),
                                 .timeout_ms = CREATE_TIMEOUT_MS,
                                 .max_response_bytes = CREATE_ANSWER_MAX};
    http_request_set_context(r, c, creation_free);
    park_call(k->engine, r, &call, &c->answer, created); /* the call copies the body */
    free(json);
}

/* The workspace the client asks for: its X-MLFLOW-WORKSPACE, else the web app's selection. The
 * header is read although it is an identity header for everyone else: it is only a wish here,
 * checked against the caller's roles before anything goes upstream. */
static const char *wanted_workspace(const struct http_request *r)
{
    const char *ws = http_request_trusted_header(r, WORKSPACE_HEADER);
    if (ws && *ws) return ws;
    ws = http_request_cookie(r, NS_COOKIE);
    return ws && *ws ? ws : NULL;
}

static void enter_workspace(struct http_request *r, bool writes)
{
    const struct kfdash *k = kfdash_of(r);
    const char *ns = wanted_workspace(r);
    if (!ns) {
        refuse(r, 400, "choose a namespace (" WORKSPACE_HEADER ")");
        return;
    }
    if (!k8s_name_is_dns_label(ns)) {
        refuse(r, 400, WORKSPACE_HEADER " must name a namespace (a DNS label)");
        return;
    }
    const struct k8s_snapshot *s = snapshot_or_503(r);
    if (!s) return;
    enum k8s_role role = kube_role(k->kube, http_request_identity(r), ns);
    if (role == K8S_ROLE_NONE) {
        refuse(r, 403, "you have no role in this namespace");
        return;
    }
    if (writes && role == K8S_ROLE_VIEW) {
        refuse(r, 403,
               "viewers may only read MLflow in this namespace: ask its owner to make you a "
               "contributor");
        return;
    }
    if (k8s_snapshot_profile(s, ns, NULL) && !is_known(k->mlflow, ns))
        create_then_forward(r, ns);
    else
        forward(r, ns);
}

void api_mlflow_proxy(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    if (!*k->cfg->mlflow_url) {
        refuse(r, 503, "MLflow is not configured");
        return;
    }
    const char *path = http_request_path(r) + PREFIX_LEN; /* the route starts with it */
    if (!*path) {
        const char *query = http_request_raw_query(r);
        char location[TARGET_MAX];
        snprintf(location, sizeof(location), PREFIX "/%s%s", *query ? "?" : "", query);
        http_reply_redirect(r, location, NULL);
        return;
    }
    const char *name = NULL;
    size_t name_len = 0;
    switch (mlflow_access_classify(http_request_method(r), path, &name, &name_len)) {
    case MLFLOW_ACCESS_ASSET:
        forward(r, NULL);
        return;
    case MLFLOW_ACCESS_READ:
        enter_workspace(r, false);
        return;
    case MLFLOW_ACCESS_WRITE:
        enter_workspace(r, true);
        return;
    case MLFLOW_ACCESS_WORKSPACES:
        list_workspaces(r);
        return;
    case MLFLOW_ACCESS_WORKSPACE:
        get_workspace(r, name, name_len);
        return;
    case MLFLOW_ACCESS_REFUSED:
        refuse(r, 403,
               "MLflow workspaces are Kubeflow profiles: create, change or delete them in "
               "Kubeflow");
        return;
    }
    refuse(r, 500, "unknown access class");
}
