/* serving: predictions through kfdash; see serving.h. */
#include "server/proxy/serving.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "k8s/isvc.h"
#include "k8s/name.h"
#include "lib/ttl_cache.h"
#include "lib/upstream.h"
#include "server/api/calls.h"
#include "server/cluster/kube.h"
#include "server/config.h"
#include "server/http/http.h"
#include "server/kfdash.h"
#include "server/proxy/proxy.h"

#define CONNECT_TIMEOUT_MS 5000
#define IDLE_TIMEOUT_S     300 /* a large model may think this long before it answers */
#define KEY_MAX            (2 * 63 + 2)
#define TARGET_MAX         (2 * 8192 + 2)
#define PATH_MAX_BYTES     512

struct serving {
    struct ttl_cache *addresses; /* "<ns>/<name>" → status.address.url */
};

static void free_value(void *v)
{
    free(v);
}

int serving_new(struct serving **ret)
{
    *ret = NULL;
    struct serving *s = calloc(1, sizeof(*s));
    if (!s || ttl_cache_new(SERVING_CACHE_MAX / 4, 4, free_value, NULL, &s->addresses) < 0) {
        free(s);
        return -ENOMEM;
    }
    *ret = s;
    return 0;
}

void serving_free(struct serving *s)
{
    if (!s) return;
    ttl_cache_free(s->addresses);
    free(s);
}

/* ---------------------------------------------------------------- the address cache */

struct address_out {
    char *url;
    size_t size;
};

static void copy_address(void *out, const void *value, long number)
{
    struct address_out *o = out;
    snprintf(o->url, o->size, "%s", (const char *)value);
}

/* The address remembered for key, copied into out; false when none is (or it expired). */
static bool cache_get(struct serving *s, const char *key, char *out, size_t size)
{
    struct address_out o = {out, size};
    return ttl_cache_get(s->addresses, key, strlen(key), copy_address, &o);
}

static void cache_put(struct serving *s, const char *key, const char *url)
{
    char *copy = strdup(url);
    if (copy) /* else not remembered: the next call looks it up again */
        ttl_cache_put(s->addresses, key, strlen(key), copy, 0, SERVING_ADDRESS_TTL_S * 1000L);
}

/* ---------------------------------------------------------------- forwarding */

/* A lookup under way, kept with the parked request. */
struct lookup {
    struct upstream_result answer; /* the API server's */
    char ns[64], name[64];
    char path[PATH_MAX_BYTES]; /* the call, as checked */
};

static void lookup_free(void *p)
{
    struct lookup *l = p;
    free(l->answer.body);
    free(l);
}

/* To the model server at base, the checked call path plus the client's query. */
static void forward(struct http_request *r, const char *base, const char *path)
{
    char target[TARGET_MAX];
    const char *query = http_request_raw_query(r);
    snprintf(target, sizeof(target), "%s%s%s", path, *query ? "?" : "", query);
    /* A custom predictor answers what it likes: never as a page. */
    struct proxy_target t = {.base_url = base,
                             .connect_timeout_ms = CONNECT_TIMEOUT_MS,
                             .idle_timeout_s = IDLE_TIMEOUT_S,
                             .max_body_bytes = kfdash_of(r)->cfg->kserve_max_request_bytes,
                             .sandbox = true};
    proxy_forward(r, &t, target);
}

static void looked_up(struct http_request *r)
{
    struct lookup *l = http_request_context(r);
    const struct upstream_result *a = &l->answer;
    char message[768];
    if (!a->error && a->status == 404) {
        snprintf(message, sizeof(message), "there is no InferenceService named %s in %s", l->name,
                 l->ns);
        http_reply_error(r, 404, message);
        return;
    }
    if (a->error || a->status != 200) {
        /* kfdash's own call: whatever the API server said, the fault is not the user's. */
        cJSON *j = a->error ? NULL : cJSON_ParseWithLength(a->body, a->len);
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
        snprintf(message, sizeof(message), "kfdash cannot read the InferenceService %s: %.500s",
                 l->name,
                 cJSON_IsString(m) ? m->valuestring
                 : a->error        ? upstream_error_text(a->error)
                                   : "refused");
        cJSON_Delete(j);
        http_reply_error(r, 502, message);
        return;
    }
    cJSON *isvc = cJSON_ParseWithLength(a->body, a->len);
    char url[ISVC_ADDRESS_MAX + 1];
    int e = isvc_address(isvc, url, sizeof(url));
    cJSON_Delete(isvc);
    if (e == -EAGAIN) {
        snprintf(message, sizeof(message), "%s is not ready to predict: %.500s", l->name, url);
        http_reply_error(r, 503, message);
        return;
    }
    if (e == -ENOENT) {
        snprintf(message, sizeof(message), "%s is ready but KServe recorded no cluster address",
                 l->name);
        http_reply_error(r, 503, message);
        return;
    }
    if (e < 0) {
        snprintf(message, sizeof(message),
                 "the cluster address of %s is not an http(s) URL kfdash can call", l->name);
        http_reply_error(r, 502, message);
        return;
    }
    char key[KEY_MAX], path[PATH_MAX_BYTES];
    snprintf(key, sizeof(key), "%s/%s", l->ns, l->name);
    cache_put(kfdash_of(r)->serving, key, url);
    /* On the stack: forwarding replaces (and frees) l. */
    snprintf(path, sizeof(path), "%s", l->path);
    forward(r, url, path);
}

void serving_forward(struct http_request *r)
{
    const char *ns = api_namespace(r, NULL);
    if (!ns) return;
    const char *name = http_request_param(r, "name");
    if (!name || !k8s_name_is_dns_label(name)) {
        http_reply_error(r, 400, "not an InferenceService name");
        return;
    }
    /* The call: what follows /serving/<ns>/<name> in the checked path. */
    const char *call = http_request_path(r);
    for (int slashes = 0; *call; call++)
        if (*call == '/' && ++slashes == 4) break;
    enum isvc_call kind = strlen(call) < PATH_MAX_BYTES ? isvc_protocol_call(call) : ISVC_CALL_NONE;
    if (kind == ISVC_CALL_NONE) {
        http_reply_error(r, 404,
                         "not an inference call: /serving/<namespace>/<name>/ carries V1 "
                         "(/v1/models/<model>[:predict]) and V2 (/v2/health/ready, "
                         "/v2/models/<model>[/ready|/infer]) calls");
        return;
    }
    const char *method = http_request_method(r);
    bool reads = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (kind == ISVC_CALL_READ ? !reads : strcmp(method, "POST") != 0) {
        const char *allow[] = {"Allow", kind == ISVC_CALL_READ ? "GET, HEAD" : "POST", NULL};
        http_reply_error_with(
            r, 405, kind == ISVC_CALL_READ ? "this call is a GET" : "this call is a POST", allow);
        return;
    }
    char key[KEY_MAX], url[ISVC_ADDRESS_MAX + 1];
    snprintf(key, sizeof(key), "%s/%s", ns, name);
    if (cache_get(kfdash_of(r)->serving, key, url, sizeof(url))) {
        forward(r, url, call);
        return;
    }
    struct lookup *l = calloc(1, sizeof(*l));
    if (!l) {
        http_reply_error(r, 500, "out of memory");
        return;
    }
    snprintf(l->ns, sizeof(l->ns), "%s", ns);
    snprintf(l->name, sizeof(l->name), "%s", name);
    snprintf(l->path, sizeof(l->path), "%s", call);
    char path[PATH_MAX_BYTES];
    snprintf(path, sizeof(path), "/apis/" ISVC_API_VERSION "/namespaces/%s/inferenceservices/%s",
             ns, name);
    http_request_set_context(r, l, lookup_free);
    api_kube_call(r, "GET", path, NULL, &l->answer, looked_up);
}
