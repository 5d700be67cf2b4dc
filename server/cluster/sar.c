/* sar: SubjectAccessReview with a short decision cache; see sar.h. */
#include "server/cluster/sar.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/identity.h"
#include "k8s/target.h"
#include "lib/buf.h"
#include "lib/ttl_cache.h"
#include "lib/upstream.h"
#include "server/cluster/kube.h"

#define KEY_MAX          (64 << 10)
#define CALL_TIMEOUT_MS  10000
#define ANSWER_MAX_BYTES (64 << 10)

struct sar {
    struct kube *kube;
    struct ttl_cache *decisions; /* who and what → allowed (the number) */
};

int sar_new(struct kube *kube, struct sar **ret)
{
    *ret = NULL;
    struct sar *s = calloc(1, sizeof(*s));
    if (!s || ttl_cache_new(SAR_SLOTS / 4, 4, NULL, NULL, &s->decisions) < 0) {
        free(s);
        return -ENOMEM;
    }
    s->kube = kube;
    *ret = s;
    return 0;
}

void sar_free(struct sar *s)
{
    if (!s) return;
    ttl_cache_free(s->decisions);
    free(s);
}

/* A review under way. */
struct review {
    struct sar *sar;
    struct buf key; /* for the cache */
    sar_done_fn *done;
    void *ctx;
};

static void review_free(struct review *v)
{
    buf_reset(&v->key);
    free(v);
}

static void copy_allowed(void *out, const void *value, long number)
{
    *(int *)out = (int)number;
}

static void answered(void *ctx, struct upstream_result *a)
{
    struct review *v = ctx;
    int allowed = -EIO;
    char reason[512] = "";
    if (!a->error && a->status == 201) {
        cJSON *j = cJSON_ParseWithLength(a->body, a->len);
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(j, "status");
        const cJSON *why = cJSON_GetObjectItemCaseSensitive(status, "reason");
        if (cJSON_IsObject(status))
            allowed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(status, "allowed")) ? 1 : 0;
        if (cJSON_IsString(why)) snprintf(reason, sizeof(reason), "%s", why->valuestring);
        cJSON_Delete(j);
        if (allowed >= 0)
            ttl_cache_put(v->sar->decisions, v->key.p, v->key.n, NULL, allowed, SAR_TTL_S * 1000L);
    }
    v->done(v->ctx, allowed, reason);
    review_free(v);
}

/* Each part as <length>:<bytes>, so no two different questions read the same. */
static void add_part(struct buf *key, const char *part)
{
    buf_addf(key, "%zu:%s", strlen(part), part);
}

static void add_attr(cJSON *o, const char *name, const char *value)
{
    if (*value) cJSON_AddStringToObject(o, name, value);
}

static char *review_body(const struct identity *who, const struct k8s_target *t, const char *verb)
{
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
    return text;
}

void sar_check(struct sar *s, const struct identity *who, const struct k8s_target *t,
               const char *verb, sar_done_fn *done, void *ctx)
{
    struct review *v = calloc(1, sizeof(*v));
    if (!v) {
        done(ctx, -ENOMEM, "out of memory");
        return;
    }
    *v = (struct review){.sar = s, .done = done, .ctx = ctx};
    buf_init(&v->key, KEY_MAX);
    add_part(&v->key, who->email);
    buf_addf(&v->key, "%zu:", who->n_groups);
    for (size_t i = 0; i < who->n_groups; i++) add_part(&v->key, who->groups[i]);
    const char *parts[] = {t->ns, verb, t->group, t->version, t->resource, t->subresource, t->name};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) add_part(&v->key, parts[i]);
    if (buf_error(&v->key)) {
        review_free(v);
        done(ctx, -ENOMEM, "cannot describe the request");
        return;
    }
    int known = -1;
    if (ttl_cache_get(s->decisions, v->key.p, v->key.n, copy_allowed, &known)) {
        review_free(v);
        done(ctx, known, "");
        return;
    }
    static const char *const headers[] = {"Content-Type: application/json",
                                          "Accept: application/json", NULL};
    char *text = review_body(who, t, verb);
    struct kube_call *c = malloc(sizeof(*c));
    int e = !text || !c ? -ENOMEM
                        : kube_own_call(s->kube, c, "POST",
                                        "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                                        headers, text, CALL_TIMEOUT_MS, ANSWER_MAX_BYTES);
    if (e == 0) e = upstream_fetch(kube_engine(s->kube), &c->call, answered, v);
    if (c) kube_call_reset(c);
    free(c);
    free(text);
    if (e < 0) {
        review_free(v);
        done(ctx, e, e == -ENOMEM ? "out of memory" : "the Kubernetes API is not available");
    }
}
