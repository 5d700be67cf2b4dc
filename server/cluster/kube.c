/* kube: see kube.h. */
#include "server/cluster/kube.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/identity.h"
#include "k8s/access.h"
#include "k8s/guard.h"
#include "k8s/kubeconfig.h"
#include "lib/log.h"
#include "server/config.h"

#define ADMINS_MAX        64
#define RESERVED_MAX      64
#define CALL_TIMEOUT_MS   15000
#define ANSWER_MAX_BYTES  (8 << 20)
#define IMPERSONATION_MAX (64 << 10)

struct kube {
    struct upstream *engine;
    struct k8s_client *client;                           /* NULL when off */
    struct k8s_access *access;                           /* the watches; NULL when off */
    char *admin_text, *admin_group_text, *reserved_text; /* storage of the lists below */
    const char *admins[ADMINS_MAX], *admin_groups[ADMINS_MAX];
    size_t n_admins, n_admin_groups;
    const char *reserved[RESERVED_MAX];
    struct k8s_guard guard; /* where kfdash may write as itself */
};

bool kube_ready(void *kube, char *detail, size_t size)
{
    struct kube *k = kube;
    return k8s_access_ready(k->access, detail, size);
}

/* The client from a kubeconfig file: its current context's server and credentials, the ones
 * embedded in it kept in memory. */
static int client_from_kubeconfig(const char *path, struct k8s_client **ret, char *err, size_t size)
{
    struct k8s_kubeconfig kc;
    char why[K8S_KUBECONFIG_ERROR_MAX];
    int e = k8s_kubeconfig_load(path, NULL, &kc, why);
    if (e < 0) {
        snprintf(err, size, "%s: %s", path, e == -EINVAL ? why : strerror(-e));
        return e;
    }
    if (kc.insecure) {
        e = -EINVAL;
        snprintf(err, size, "%s: insecure-skip-tls-verify is refused", path);
    } else {
        struct k8s_client_config c = {
            .api = kc.server,
            .token = kc.token,
            .token_file = kc.token_file,
            .ca_file = kc.ca_file,
            .ca_pem = (const char *)kc.ca_data,
            .ca_pem_len = kc.ca_len,
            .cert_file = kc.cert_file,
            .cert_pem = (const char *)kc.cert_data,
            .cert_pem_len = kc.cert_len,
            .key_file = kc.key_file,
            .key_pem = (const char *)kc.key_data,
            .key_pem_len = kc.key_len,
        };
        e = k8s_client_new(&c, ret);
    }
    k8s_kubeconfig_reset(&kc);
    return e;
}

/* The settings' part: the cluster admins, the reserved namespaces, the guard. */
static struct kube *kube_alloc(const struct config *cfg, struct upstream *engine)
{
    struct kube *k = calloc(1, sizeof(*k));
    if (!k) return NULL;
    k->engine = engine;
    k->admin_text = strdup(cfg->cluster_admins);
    k->admin_group_text = strdup(cfg->cluster_admin_groups);
    k->reserved_text = strdup(cfg->reserved_namespaces);
    if (!k->admin_text || !k->admin_group_text || !k->reserved_text) {
        kube_free(k);
        return NULL;
    }
    k->n_admins = config_split_list(k->admin_text, k->admins, ADMINS_MAX);
    k->n_admin_groups = config_split_list(k->admin_group_text, k->admin_groups, ADMINS_MAX);
    k->guard = (struct k8s_guard){
        .own_namespace = cfg->pod_namespace,
        .dex_namespace = cfg->dex_namespace,
        .reserved = k->reserved,
        .n_reserved = config_split_list(k->reserved_text, k->reserved, RESERVED_MAX)};
    return k;
}

int kube_new(const struct config *cfg, struct upstream *engine, struct kube **ret, char *err,
             size_t size)
{
    *ret = NULL;
    struct kube *k = kube_alloc(cfg, engine);
    if (!k) {
        snprintf(err, size, "out of memory");
        return -ENOMEM;
    }
    int e = 0;
    if (*cfg->kube_api) {
        struct k8s_client_config kc = {
            .api = cfg->kube_api, .token_file = cfg->kube_token_file, .ca_file = cfg->kube_ca_file};
        e = k8s_client_new(&kc, &k->client);
        if (e < 0) snprintf(err, size, "cannot start the Kubernetes client: %s", strerror(-e));
    } else if (*cfg->kubeconfig) {
        e = client_from_kubeconfig(cfg->kubeconfig, &k->client, err, size);
    }
    if (e == 0 && k->client) {
        e = k8s_access_start(engine, k->client, &k->access);
        if (e < 0) snprintf(err, size, "cannot watch the cluster: %s", strerror(-e));
    }
    if (e < 0) {
        kube_free(k);
        return e;
    }
    *ret = k;
    return 0;
}

int kube_new_offline(const struct config *cfg, struct upstream *engine, const char *api,
                     struct k8s_access *access, struct kube **ret)
{
    *ret = NULL;
    struct kube *k = kube_alloc(cfg, engine);
    struct k8s_client_config kc = {.api = api};
    if (!k || (api && k8s_client_new(&kc, &k->client) < 0)) {
        kube_free(k);
        return -ENOMEM;
    }
    k->access = access;
    *ret = k;
    return 0;
}

void kube_stop_watching(struct kube *k)
{
    if (k) k8s_access_stop_watching(k->access);
}

void kube_free(struct kube *k)
{
    if (!k) return;
    k8s_access_stop(k->access);
    k8s_client_free(k->client);
    free(k->admin_text);
    free(k->admin_group_text);
    free(k->reserved_text);
    free(k);
}

bool kube_on(const struct kube *k)
{
    return k && k->client;
}

struct k8s_client *kube_client(const struct kube *k)
{
    return k ? k->client : NULL;
}

struct upstream *kube_engine(const struct kube *k)
{
    return k->engine;
}

const struct k8s_guard *kube_guard(const struct kube *k)
{
    return &k->guard;
}

const struct k8s_snapshot *kube_snapshot(const struct kube *k)
{
    return k && k->access ? k8s_access_snapshot(k->access) : NULL;
}

bool kube_is_cluster_admin(const struct kube *k, const struct identity *who)
{
    for (size_t i = 0; i < k->n_admins; i++)
        if (strcasecmp(k->admins[i], who->email) == 0) return true;
    for (size_t i = 0; i < k->n_admin_groups; i++)
        for (size_t j = 0; j < who->n_groups; j++)
            if (strcmp(k->admin_groups[i], who->groups[j]) == 0) return true;
    return false;
}

enum k8s_role kube_role(const struct kube *k, const struct identity *who, const char *ns)
{
    const struct k8s_snapshot *s = kube_snapshot(k);
    enum k8s_role role =
        s && ns
            ? k8s_snapshot_role(s, who->email, (const char *const *)who->groups, who->n_groups, ns)
            : K8S_ROLE_NONE;
    if (role == K8S_ROLE_NONE && s && kube_is_cluster_admin(k, who)) role = K8S_ROLE_ADMIN;
    return role;
}

void kube_call_reset(struct kube_call *c)
{
    buf_reset(&c->impersonation);
    explicit_bzero(c->auth, sizeof(c->auth));
}

/* The call with kfdash's credentials (its bearer token or client certificate, the CA), whose
 * rights the API server applies unless the headers impersonate someone. */
static void credentialed(struct kube *k, struct kube_call *c, const char *method, const char *path,
                         const char *const *headers, const char *body, long timeout_ms,
                         size_t max_response_bytes)
{
    k8s_client_auth_header(k->client, c->auth, sizeof(c->auth));
    snprintf(c->url, sizeof(c->url), "%s%s", k8s_client_api(k->client), path);
    size_t n = 0;
    if (c->auth[0]) c->headers[n++] = c->auth;
    for (size_t i = 0; headers && headers[i] && n < KUBE_HEADERS_MAX; i++)
        c->headers[n++] = headers[i];
    c->headers[n] = NULL;
    c->call = (struct upstream_call){.method = method,
                                     .url = c->url,
                                     .headers = c->headers,
                                     .body = body,
                                     .body_len = body ? strlen(body) : 0,
                                     .timeout_ms = timeout_ms,
                                     .max_response_bytes = max_response_bytes,
                                     .tls = k8s_client_tls(k->client)};
}

int kube_own_call(struct kube *k, struct kube_call *c, const char *method, const char *path,
                  const char *const *headers, const char *body, long timeout_ms,
                  size_t max_response_bytes)
{
    char why[K8S_GUARD_WHY_MAX];
    const struct k8s_snapshot *s = kube_snapshot(k);
    c->refusal[0] = '\0';
    buf_init(&c->impersonation, 0); /* none: kube_call_reset frees nothing */
    if (!kube_on(k) || !s) return -ENOTCONN;
    if (k8s_guard_write(&k->guard, s, method, path, body, why, sizeof(why)) < 0) {
        struct buf line;
        log_begin(&line, LOG_WARN, "refused to write with kfdash's own rights");
        log_str(&line, "method", method);
        log_str(&line, "path", path);
        log_str(&line, "why", why);
        log_end(&line);
        snprintf(c->refusal, sizeof(c->refusal), "%s", why);
        return -EPERM;
    }
    credentialed(k, c, method, path, headers, body, timeout_ms, max_response_bytes);
    return 0;
}

int kube_user_call(struct kube *k, struct kube_call *c, const struct identity *as,
                   const char *method, const char *path, const char *body)
{
    const char *lines[KUBE_HEADERS_MAX + 1];
    size_t n = 0;
    lines[n++] = strcmp(method, "PATCH") == 0 ? "Content-Type: application/merge-patch+json"
                                              : "Content-Type: application/json";
    lines[n++] = "Accept: application/json";
    lines[n] = NULL;
    if (!as)
        return kube_own_call(k, c, method, path, lines, body, CALL_TIMEOUT_MS, ANSWER_MAX_BYTES);
    buf_init(&c->impersonation, IMPERSONATION_MAX);
    if (!kube_on(k)) return -ENOTCONN;
    /* The lines go into one buffer first (it may move as it grows), then get pointed at. */
    buf_addf(&c->impersonation, "Impersonate-User: %s", as->email);
    buf_add(&c->impersonation, "", 1);
    size_t n_groups = 0;
    for (size_t i = 0; i < as->n_groups && n + 1 + n_groups < KUBE_HEADERS_MAX; i++, n_groups++) {
        buf_addf(&c->impersonation, "Impersonate-Group: %s", as->groups[i]);
        buf_add(&c->impersonation, "", 1);
    }
    if (buf_error(&c->impersonation)) return -ENOMEM;
    const char *p = c->impersonation.p;
    for (size_t i = 0; i < 1 + n_groups; i++, p += strlen(p) + 1) lines[n++] = p;
    lines[n] = NULL;
    credentialed(k, c, method, path, lines, body, CALL_TIMEOUT_MS, ANSWER_MAX_BYTES);
    return 0;
}
