/* kube: see kube.h. */
#include "server/cluster/kube.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth/identity.h"
#include "k8s/access.h"
#include "k8s/client.h"
#include "k8s/guard.h"
#include "k8s/kubeconfig.h"
#include "k8s/name.h"
#include "server/config.h"
#include "server/http/health.h"
#include "lib/log.h"
#include "server/http/park.h"
#include "lib/upstream.h"

#define ADMINS_MAX       64
#define RESERVED_MAX     64
#define CALL_TIMEOUT_MS  15000
#define ANSWER_MAX_BYTES (8 << 20)

static struct k8s_client *client;
static char secrets_dir[64]; /* kubeconfig data written out for libcurl, removed at stop */
static struct upstream *engine;
static struct k8s_access *access_model;
static char *admin_text, *admin_group_text; /* storage of the lists below */
static const char *admins[ADMINS_MAX], *admin_groups[ADMINS_MAX];
static size_t n_admins, n_admin_groups;
static char *reserved_text; /* storage of reserved */
static const char *reserved[RESERVED_MAX];
static struct k8s_guard guard; /* where kfdash may write as itself */

static bool caches_ready(char *detail, size_t size)
{
    return k8s_access_ready(access_model, detail, size);
}

/* Writes data to secrets_dir/name (0600); the path into out. */
static int write_secret(const char *name, const void *data, size_t len, char *out, size_t size)
{
    if (!secrets_dir[0]) {
        snprintf(secrets_dir, sizeof(secrets_dir), "/tmp/kfdash-kube-XXXXXX");
        if (!mkdtemp(secrets_dir)) {
            secrets_dir[0] = '\0';
            return -errno;
        }
    }
    snprintf(out, size, "%s/%s", secrets_dir, name);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -errno;
    ssize_t n = write(fd, data, len);
    close(fd);
    return n == (ssize_t)len ? 0 : -EIO;
}

static void remove_secrets(void)
{
    if (!secrets_dir[0]) return;
    static const char *const names[] = {"ca.crt", "client.crt", "client.key", "token"};
    char path[128];
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/%s", secrets_dir, names[i]);
        unlink(path);
    }
    rmdir(secrets_dir);
    secrets_dir[0] = '\0';
}

/* The client from a kubeconfig file: its current context's server and credentials. */
static int client_from_kubeconfig(const char *path, char *err, size_t size)
{
    struct k8s_kubeconfig kc;
    char why[K8S_KUBECONFIG_ERROR_MAX];
    int e = k8s_kubeconfig_load(path, NULL, &kc, why);
    if (e < 0) {
        snprintf(err, size, "%s: %s", path, e == -EINVAL ? why : strerror(-e));
        return e;
    }
    char ca[128] = "", cert[128] = "", key[128] = "", token[128] = "";
    if (kc.insecure)
        e = -EINVAL, snprintf(err, size, "%s: insecure-skip-tls-verify is refused", path);
    if (e == 0 && kc.ca_data) e = write_secret("ca.crt", kc.ca_data, kc.ca_len, ca, sizeof(ca));
    if (e == 0 && kc.cert_data)
        e = write_secret("client.crt", kc.cert_data, kc.cert_len, cert, sizeof(cert));
    if (e == 0 && kc.key_data)
        e = write_secret("client.key", kc.key_data, kc.key_len, key, sizeof(key));
    if (e == 0 && kc.token)
        e = write_secret("token", kc.token, strlen(kc.token), token, sizeof(token));
    if (e == 0) {
        struct k8s_client_config c = {
            kc.server, kc.token_file ? kc.token_file : token, kc.ca_file ? kc.ca_file : ca,
            kc.cert_file ? kc.cert_file : cert, kc.key_file ? kc.key_file : key};
        e = k8s_client_new(&c, &client);
    } else if (e != -EINVAL) {
        snprintf(err, size, "%s: cannot keep its credentials: %s", path, strerror(-e));
    }
    k8s_kubeconfig_reset(&kc);
    return e;
}

int kube_start(const struct config *cfg, struct upstream *u, char *err, size_t size)
{
    engine = u;
    admin_text = strdup(cfg->cluster_admins);
    admin_group_text = strdup(cfg->cluster_admin_groups);
    reserved_text = strdup(cfg->reserved_namespaces);
    if (!admin_text || !admin_group_text || !reserved_text) return -ENOMEM;
    n_admins = config_split_list(admin_text, admins, ADMINS_MAX);
    n_admin_groups = config_split_list(admin_group_text, admin_groups, ADMINS_MAX);
    guard =
        (struct k8s_guard){.own_namespace = cfg->pod_namespace,
                           .dex_namespace = cfg->dex_namespace,
                           .reserved = reserved,
                           .n_reserved = config_split_list(reserved_text, reserved, RESERVED_MAX)};
    int e = 0;
    if (*cfg->kube_api) {
        struct k8s_client_config kc = {cfg->kube_api, cfg->kube_token_file, cfg->kube_ca_file, NULL,
                                       NULL};
        e = k8s_client_new(&kc, &client);
    } else if (*cfg->kubeconfig) {
        e = client_from_kubeconfig(cfg->kubeconfig, err, size);
        if (e < 0) return e;
    } else {
        return 0;
    }
    if (e == 0) e = k8s_access_start(client, &access_model);
    if (e == 0) e = health_register("kubernetes", caches_ready);
    if (e < 0) snprintf(err, size, "cannot start the Kubernetes client: %s", strerror(-e));
    return e;
}

void kube_stop(void)
{
    k8s_access_stop(access_model);
    k8s_client_free(client);
    remove_secrets();
    access_model = NULL;
    client = NULL;
    free(admin_text);
    free(admin_group_text);
    free(reserved_text);
    admin_text = admin_group_text = reserved_text = NULL;
}

const struct k8s_guard *kube_guard(void)
{
    return &guard;
}

struct k8s_client *kube_client(void)
{
    return client;
}

const struct k8s_snapshot *kube_snapshot(void)
{
    return access_model ? k8s_access_snapshot(access_model) : NULL;
}

/* The call with kfdash's credentials (its bearer token or client certificate, the CA), whose
 * rights the API server applies unless headers impersonate someone. */
static void credentialed(struct kube_own *o, const char *method, const char *path,
                         const char *const *headers, const char *body, long timeout_ms,
                         size_t max_response_bytes, struct upstream_call *ret)
{
    k8s_client_auth_header(client, o->auth, sizeof(o->auth));
    snprintf(o->url, sizeof(o->url), "%s%s", k8s_client_api(client), path);
    size_t n = 0;
    if (o->auth[0]) o->headers[n++] = o->auth;
    for (size_t i = 0; headers && headers[i] && n < KUBE_HEADERS_MAX; i++)
        o->headers[n++] = headers[i];
    o->headers[n] = NULL;
    *ret = (struct upstream_call){.method = method,
                                  .url = o->url,
                                  .headers = o->headers,
                                  .body = body,
                                  .body_len = body ? strlen(body) : 0,
                                  .timeout_ms = timeout_ms,
                                  .max_response_bytes = max_response_bytes,
                                  .ca_file = k8s_client_ca_file(client),
                                  .cert_file = k8s_client_cert_file(client),
                                  .key_file = k8s_client_key_file(client)};
}

int kube_own_call(struct kube_own *o, const char *method, const char *path,
                  const char *const *headers, const char *body, long timeout_ms,
                  size_t max_response_bytes, struct upstream_call *ret)
{
    char why[K8S_GUARD_WHY_MAX];
    const struct k8s_snapshot *s = kube_snapshot();
    if (!client || !s) return -ENOTCONN;
    if (k8s_guard_write(&guard, s, method, path, body, why, sizeof(why)) < 0) {
        struct buf line;
        log_begin(&line, LOG_WARN, "refused to write with kfdash's own rights");
        log_str(&line, "method", method);
        log_str(&line, "path", path);
        log_str(&line, "why", why);
        log_end(&line);
        snprintf(o->refusal, sizeof(o->refusal), "%s", why);
        return -EPERM;
    }
    credentialed(o, method, path, headers, body, timeout_ms, max_response_bytes, ret);
    return 0;
}

void kube_call_as(struct http_request *r, const struct identity *as, const char *method,
                  const char *path, const char *body, struct upstream_result *answer,
                  http_next_fn next)
{
    /* Content type, accept, the user, their groups, the end. */
    size_t n_groups = as ? as->n_groups : 0;
    const char **headers = calloc(n_groups + 4, sizeof(char *));
    char **lines = calloc(n_groups + 1, sizeof(char *));
    struct kube_own *o = malloc(sizeof(*o));
    size_t n = 0, k = 0;
    bool ok = headers && lines && o;
    if (ok) {
        headers[n++] = strcmp(method, "PATCH") == 0 ? "Content-Type: application/merge-patch+json"
                                                    : "Content-Type: application/json";
        headers[n++] = "Accept: application/json";
    }
    if (ok && as) {
        ok = asprintf(&lines[k], "Impersonate-User: %s", as->email) >= 0;
        if (ok) headers[n++] = lines[k++];
        for (size_t i = 0; ok && i < as->n_groups; i++) {
            ok = asprintf(&lines[k], "Impersonate-Group: %s", as->groups[i]) >= 0;
            if (ok) headers[n++] = lines[k++];
        }
    }
    struct upstream_call call;
    int e = !ok ? -ENOMEM : 0;
    if (e == 0 && as)
        credentialed(o, method, path, headers, body, CALL_TIMEOUT_MS, ANSWER_MAX_BYTES, &call);
    else if (e == 0)
        e = kube_own_call(o, method, path, headers, body, CALL_TIMEOUT_MS, ANSWER_MAX_BYTES, &call);
    if (e == 0) {
        park_call(engine, r, &call, answer, next); /* the call copies what it needs */
    } else if (e == -EPERM) {
        char message[K8S_GUARD_WHY_MAX + 64];
        snprintf(message, sizeof(message), "kfdash will not do that: %s", o->refusal);
        http_reply_error(r, 403, message);
    } else {
        http_reply_error(r, e == -ENOMEM ? 500 : 503,
                         e == -ENOMEM ? "out of memory" : "the Kubernetes API is not available");
    }
    for (size_t i = 0; i < k; i++) free(lines[i]);
    free(lines);
    free(headers);
    free(o);
}

void kube_call(struct http_request *r, const char *method, const char *path, const char *body,
               struct upstream_result *answer, http_next_fn next)
{
    kube_call_as(r, NULL, method, path, body, answer, next);
}

void kube_reply_failure(struct http_request *r, const struct upstream_result *a, const char *doing)
{
    char message[512];
    cJSON *j = a->error ? NULL : cJSON_ParseWithLength(a->body, a->len);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
    snprintf(message, sizeof(message), "%s: %s", doing,
             cJSON_IsString(m) ? m->valuestring
             : a->error        ? a->detail
                               : "the API server refused");
    cJSON_Delete(j);
    bool client_side = !a->error && a->status >= 400 && a->status < 500;
    http_reply_error(r, client_side ? (unsigned)a->status : 502, message);
}

bool kube_is_cluster_admin(const struct identity *who)
{
    for (size_t i = 0; i < n_admins; i++)
        if (strcasecmp(admins[i], who->email) == 0) return true;
    for (size_t i = 0; i < n_admin_groups; i++)
        for (size_t j = 0; j < who->n_groups; j++)
            if (strcmp(admin_groups[i], who->groups[j]) == 0) return true;
    return false;
}

const char *kube_enter_namespace(struct http_request *r, const struct k8s_snapshot **ret_s)
{
    const struct k8s_snapshot *s = kube_snapshot();
    if (!s) {
        http_reply_error(r, 503, "no Kubernetes API server is configured (kube.api)");
        return NULL;
    }
    if (ret_s) *ret_s = s;
    return http_request_param(r, "namespace"); /* the gate checked it and the caller's role */
}
