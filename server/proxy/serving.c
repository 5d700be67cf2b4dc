/* serving: predictions through kfdash; see serving.h. */
#include "server/proxy/serving.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "k8s/isvc.h"
#include "k8s/name.h"
#include "server/config.h"
#include "server/http/http.h"
#include "server/cluster/kube.h"
#include "server/proxy/proxy.h"
#include "lib/upstream.h"

#define CONNECT_TIMEOUT_MS 5000
#define IDLE_TIMEOUT_S     300 /* a large model may think this long before it answers */
#define KEY_MAX            (2 * 63 + 2)
#define TARGET_MAX         (2 * 8192 + 2)
#define PATH_MAX_BYTES     512

static const struct config *cfg; /* borrowed for the process life */

void serving_init(const struct config *c)
{
    cfg = c;
}

/* ---------------------------------------------------------------- the address cache */

/* One remembered address. */
struct entry {
    char key[KEY_MAX]; /* "<ns>/<name>", "" when the slot is free */
    char *url;         /* status.address.url, heap */
    int64_t expires;   /* monotonic ms */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry cache[SERVING_CACHE_MAX];

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The address remembered for key, copied into out; false when none is (or it expired). */
static bool cache_get(const char *key, char *out, size_t size)
{
    int64_t now = now_ms();
    bool found = false;
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < SERVING_CACHE_MAX && !found; i++) {
        if (cache[i].expires > now && strcmp(cache[i].key, key) == 0) {
            snprintf(out, size, "%s", cache[i].url);
            found = true;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    return found;
}

/* Remembers url for key, in its own slot, a free or expired one, or the one expiring first. */
static void cache_put(const char *key, const char *url)
{
    char *copy = strdup(url);
    if (!copy) return; /* not remembered: the next call looks it up again */
    int64_t now = now_ms();
    pthread_mutex_lock(&cache_lock);
    size_t slot = 0;
    for (size_t i = 0; i < SERVING_CACHE_MAX; i++) {
        if (strcmp(cache[i].key, key) == 0) {
            slot = i;
            break;
        }
        if (cache[i].expires < cache[slot].expires) slot = i;
    }
    free(cache[slot].url);
    snprintf(cache[slot].key, sizeof(cache[slot].key), "%s", key);
    cache[slot].url = copy;
    cache[slot].expires = now + SERVING_ADDRESS_TTL_S * 1000;
    pthread_mutex_unlock(&cache_lock);
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
                             .max_body_bytes = cfg->kserve_max_request_bytes,
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
                 : a->error        ? a->detail
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
    cache_put(key, url);
    /* On the stack: forwarding replaces (and frees) l. */
    snprintf(path, sizeof(path), "%s", l->path);
    forward(r, url, path);
}

void serving_forward(struct http_request *r)
{
    const char *ns = kube_enter_namespace(r, NULL);
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
    if (cache_get(key, url, sizeof(url))) {
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
    kube_call(r, "GET", path, NULL, &l->answer, looked_up);
}
