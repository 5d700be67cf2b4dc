/* sar: SubjectAccessReview with a short decision cache; see sar.h. */
#include "server/cluster/sar.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/identity.h"
#include "k8s/client.h"
#include "k8s/target.h"
#include "lib/buf.h"
#include "server/http/http.h"
#include "server/cluster/kube.h"
#include "server/http/park.h"

#define KEY_MAX          4096
#define CALL_TIMEOUT_MS  10000
#define ANSWER_MAX_BYTES (64 << 10)

struct decision {
    char *key;      /* who and what, NUL-separated into one string */
    int allowed;    /* 1 or 0 */
    time_t expires; /* 0 = empty */
};

static struct decision decisions[SAR_SLOTS];
static pthread_mutex_t decisions_lock = PTHREAD_MUTEX_INITIALIZER;
static struct upstream *engine;

void sar_reset(void)
{
    for (size_t i = 0; i < SAR_SLOTS; i++) {
        free(decisions[i].key);
        decisions[i].key = NULL;
    }
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* -ENOENT when not remembered (or expired). */
static int recall(const char *key, time_t now)
{
    struct decision *d = &decisions[hash(key) % SAR_SLOTS];
    pthread_mutex_lock(&decisions_lock);
    int r = d->key && d->expires > now && strcmp(d->key, key) == 0 ? d->allowed : -ENOENT;
    pthread_mutex_unlock(&decisions_lock);
    return r;
}

static void remember(const char *key, int allowed, time_t now)
{
    char *copy = strdup(key);
    if (!copy) return;
    struct decision *d = &decisions[hash(key) % SAR_SLOTS];
    pthread_mutex_lock(&decisions_lock);
    free(d->key);
    *d = (struct decision){copy, allowed, now + SAR_TTL_S};
    pthread_mutex_unlock(&decisions_lock);
}

/* A SubjectAccessReview under way, kept with the parked request. */
struct review {
    struct upstream_result answer; /* the API server's */
    char key[KEY_MAX];             /* for the cache */
    sar_done_fn done;
    void *arg;
    void (*arg_free)(void *);
};

static void review_free(void *p)
{
    struct review *v = p;
    free(v->answer.body);
    if (v->arg_free) v->arg_free(v->arg);
    free(v);
}

static void answered(struct http_request *r)
{
    struct review *v = http_request_take_context(r);
    int allowed = -EIO;
    char reason[512] = "";
    if (!v->answer.error && v->answer.status == 201) {
        cJSON *j = cJSON_ParseWithLength(v->answer.body, v->answer.len);
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(j, "status");
        const cJSON *why = cJSON_GetObjectItemCaseSensitive(status, "reason");
        if (cJSON_IsObject(status))
            allowed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(status, "allowed")) ? 1 : 0;
        if (cJSON_IsString(why)) snprintf(reason, sizeof(reason), "%s", why->valuestring);
        cJSON_Delete(j);
        if (allowed >= 0) remember(v->key, allowed, time(NULL));
    } else {
        snprintf(reason, sizeof(reason), "%s",
                 v->answer.error ? v->answer.detail : "the API server refused the review");
    }
    v->done(r, allowed, reason, v->arg);
    review_free(v);
}

static void add_attr(cJSON *o, const char *name, const char *value)
{
    if (*value) cJSON_AddStringToObject(o, name, value);
}

void sar_check(struct http_request *r, const struct identity *who, const struct k8s_target *t,
               const char *verb, sar_done_fn done, void *arg, void (*arg_free)(void *))
{
    struct review *v = calloc(1, sizeof(*v));
    struct buf key;
    buf_init(&key, KEY_MAX - 1);
    buf_addf(&key, "%s|", who->email);
    for (size_t i = 0; i < who->n_groups; i++) buf_addf(&key, "%s,", who->groups[i]);
    buf_addf(&key, "|%s|%s|%s|%s|%s|%s", t->ns, verb, t->group, t->resource, t->subresource,
             t->name);
    if (!v || buf_error(&key)) {
        free(v);
        buf_reset(&key);
        done(r, -ENOMEM, "cannot describe the request", arg);
        if (arg_free) arg_free(arg);
        return;
    }
    *v = (struct review){.done = done, .arg = arg, .arg_free = arg_free};
    snprintf(v->key, sizeof(v->key), "%s", buf_str(&key));
    buf_reset(&key);
    int known = recall(v->key, time(NULL));
    if (known >= 0) {
        v->done(r, known, "", arg);
        review_free(v);
        return;
    }

    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "apiVersion", "authorization.k8s.io/v1");
    cJSON_AddStringToObject(body, "kind", "SubjectAccessReview");
    cJSON *spec = cJSON_AddObjectToObject(body, "spec");
    cJSON_AddStringToObject(spec, "user", who->email);
    cJSON *groups = cJSON_AddArrayToObject(spec, "groups");
    for (size_t i = 0; groups && i < who->n_groups; i++)
        cJSON_AddItemToArray(groups, cJSON_CreateString(who->groups[i]));
    /* Impersonated requests carry it too (the API server adds it): the review must agree. */
    cJSON_AddItemToArray(groups, cJSON_CreateString("system:authenticated"));
    cJSON *attrs = cJSON_AddObjectToObject(spec, "resourceAttributes");
    add_attr(attrs, "namespace", t->ns);
    add_attr(attrs, "verb", verb);
    cJSON_AddStringToObject(attrs, "group", t->group);
    add_attr(attrs, "version", t->version);
    add_attr(attrs, "resource", t->resource);
    add_attr(attrs, "subresource", t->subresource);
    add_attr(attrs, "name", t->name);
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);

    static const char *const headers[] = {"Content-Type: application/json",
                                          "Accept: application/json", NULL};
    struct kube_own *o = malloc(sizeof(*o));
    struct upstream_call call;
    int e = !text || !o
                ? -ENOMEM
                : kube_own_call(o, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                                headers, text, CALL_TIMEOUT_MS, ANSWER_MAX_BYTES, &call);
    if (e < 0) {
        v->done(r, e, e == -ENOMEM ? "out of memory" : "the Kubernetes API is not available", arg);
        review_free(v);
    } else {
        http_request_set_context(r, v, review_free);
        park_call(engine, r, &call, &v->answer, answered);
    }
    free(o);
    free(text);
}

void sar_init(struct upstream *u)
{
    engine = u;
}
