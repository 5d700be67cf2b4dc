/* kube: see kube.h. */
#include "server/kube.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/identity.h"
#include "k8s/access.h"
#include "k8s/client.h"
#include "server/config.h"
#include "server/health.h"
#include "server/park.h"

#define ADMINS_MAX       64
#define CALL_TIMEOUT_MS  15000
#define ANSWER_MAX_BYTES (8 << 20)

static struct k8s_client *client;
static struct upstream *engine;
static struct k8s_access *access_model;
static char *admin_text, *admin_group_text; /* storage of the lists below */
static const char *admins[ADMINS_MAX], *admin_groups[ADMINS_MAX];
static size_t n_admins, n_admin_groups;

static bool caches_ready(char *detail, size_t size)
{
    return k8s_access_ready(access_model, detail, size);
}

/* Splits a comma-separated list in place. */
static size_t split(char *text, const char **out)
{
    size_t n = 0;
    char *save = NULL;
    for (char *item = text ? strtok_r(text, ",", &save) : NULL; item && n < ADMINS_MAX;
         item = strtok_r(NULL, ",", &save)) {
        while (*item == ' ') item++;
        size_t len = strlen(item);
        while (len && item[len - 1] == ' ') item[--len] = '\0';
        if (*item) out[n++] = item;
    }
    return n;
}

int kube_start(const struct config *cfg, struct upstream *u, char *err, size_t size)
{
    engine = u;
    admin_text = strdup(cfg->cluster_admins);
    admin_group_text = strdup(cfg->cluster_admin_groups);
    if (!admin_text || !admin_group_text) return -ENOMEM;
    n_admins = split(admin_text, admins);
    n_admin_groups = split(admin_group_text, admin_groups);
    if (!*cfg->kube_api) return 0;
    struct k8s_client_config kc = {cfg->kube_api, cfg->kube_token_file, cfg->kube_ca_file, NULL,
                                   NULL};
    int e = k8s_client_new(&kc, &client);
    if (e == 0) e = k8s_access_start(client, &access_model);
    if (e == 0) e = health_register("kubernetes", caches_ready);
    if (e < 0) snprintf(err, size, "cannot start the Kubernetes client: %s", strerror(-e));
    return e;
}

void kube_stop(void)
{
    k8s_access_stop(access_model);
    k8s_client_free(client);
    access_model = NULL;
    client = NULL;
    free(admin_text);
    free(admin_group_text);
    admin_text = admin_group_text = NULL;
}

struct k8s_client *kube_client(void)
{
    return client;
}

const struct k8s_snapshot *kube_snapshot(void)
{
    return access_model ? k8s_access_snapshot(access_model) : NULL;
}

void kube_call(struct http_request *r, const char *method, const char *path, const char *body,
               struct upstream_result *answer, http_next_fn next)
{
    char auth[K8S_AUTH_HEADER_MAX], url[4096];
    k8s_client_auth_header(client, auth, sizeof(auth));
    snprintf(url, sizeof(url), "%s%s", k8s_client_api(client), path);
    const char *headers[] = {strcmp(method, "PATCH") == 0
                                 ? "Content-Type: application/merge-patch+json"
                                 : "Content-Type: application/json",
                             "Accept: application/json", auth[0] ? auth : NULL, NULL};
    struct upstream_call call = {.method = method,
                                 .url = url,
                                 .headers = headers,
                                 .body = body,
                                 .body_len = body ? strlen(body) : 0,
                                 .timeout_ms = CALL_TIMEOUT_MS,
                                 .max_response_bytes = ANSWER_MAX_BYTES,
                                 .ca_file = k8s_client_ca_file(client),
                                 .cert_file = k8s_client_cert_file(client),
                                 .key_file = k8s_client_key_file(client)};
    park_call(engine, r, &call, answer, next);
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
