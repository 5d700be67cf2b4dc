/* kube_objects: see kube_objects.h. */
#include "server/api/objects.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/name.h"
#include "server/api/calls.h"
#include "server/cluster/kube.h"
#include "server/kfdash.h"

#define PATH_MAX_BYTES 1024

void *api_objects_enter(struct http_request *r, const struct api_objects_kind *kind, size_t size,
                        void (*free_fn)(void *))
{
    const char *ns = api_namespace(r, NULL);
    if (!ns) return NULL;
    const char *name = http_request_param(r, kind->param);
    if (name && !k8s_name_is_dns_label(name)) {
        http_reply_error(r, 400, kind->not_a_name);
        return NULL;
    }
    struct api_objects_call *c = calloc(1, size);
    if (!c) {
        http_reply_error(r, 500, "out of memory");
        return NULL;
    }
    c->kind = kind;
    snprintf(c->ns, sizeof(c->ns), "%s", ns);
    snprintf(c->name, sizeof(c->name), "%s", name ? name : "");
    http_request_set_context(r, c, free_fn ? free_fn : api_objects_call_free);
    return c;
}

void api_objects_call_free(void *call)
{
    struct api_objects_call *c = call;
    if (!c) return;
    free(c->answer.body);
    free(c);
}

bool api_objects_answered(const struct api_objects_call *c, long status)
{
    return !c->answer.error && c->answer.status == status;
}

void api_objects_call_as(struct http_request *r, struct api_objects_call *c, const char *method,
                         const char *query, const char *body, http_next_fn next)
{
    char path[PATH_MAX_BYTES];
    int n = snprintf(path, sizeof(path), "%s/namespaces/%s/%s%s%s%s", c->kind->api, c->ns,
                     c->kind->resource, c->name[0] ? "/" : "", c->name, query);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        http_reply_error(r, 414, "request too long to forward");
        return;
    }
    api_objects_call_path_as(r, c, method, path, body, next);
}

void api_objects_call_path_as(struct http_request *r, struct api_objects_call *c,
                              const char *method, const char *path, const char *body,
                              http_next_fn next)
{
    /* The slot may hold an earlier answer: this call fills it anew. */
    free(c->answer.body);
    c->answer = (struct upstream_result){0};
    api_kube_call_as(r, http_request_identity(r), method, path, body, &c->answer, next);
}

cJSON *api_objects_answer_json(struct http_request *r, const struct api_objects_call *c)
{
    cJSON *j = cJSON_ParseWithLength(c->answer.body, c->answer.len);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        http_reply_error(r, 502, "the API server's answer is not a JSON object");
        return NULL;
    }
    return j;
}

void api_objects_reply_with(struct http_request *r, unsigned status, const char *key, cJSON *value,
                            const char *extra_key, cJSON *extra)
{
    cJSON *j = value ? cJSON_CreateObject() : NULL;
    if (!j || !cJSON_AddItemToObject(j, key, value)) {
        cJSON_Delete(j);
        cJSON_Delete(value);
        cJSON_Delete(extra);
        http_reply_error(r, 500, "out of memory");
        return;
    }
    if (extra && !cJSON_AddItemToObject(j, extra_key, extra)) {
        cJSON_Delete(extra);
        cJSON_Delete(j);
        http_reply_error(r, 500, "out of memory");
        return;
    }
    http_reply_json(r, status, j);
}

void api_objects_reply_list(struct http_request *r, const struct api_objects_call *c,
                            const char *key, size_t max, cJSON *(*summary)(const cJSON *item),
                            int (*compare)(const void *, const void *))
{
    cJSON *j = api_objects_answer_json(r, c);
    if (!j) return;
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(j, "items");
    if (!cJSON_IsArray(items)) items = NULL;
    size_t n = 0;
    cJSON **summaries = calloc(max, sizeof(*summaries));
    const cJSON *item;
    bool ok = summaries != NULL;
    cJSON_ArrayForEach(item, items)
    {
        if (!ok || n == max) break;
        summaries[n] = summary(item);
        ok = summaries[n++] != NULL;
    }
    /* More than kfdash lists: said, not hidden. */
    const cJSON *more = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(j, "metadata"), "continue");
    bool truncated =
        (cJSON_IsString(more) && *more->valuestring) || (size_t)cJSON_GetArraySize(items) > max;
    cJSON_Delete(j);
    if (ok && n > 1) qsort(summaries, n, sizeof(*summaries), compare);
    cJSON *list = ok ? cJSON_CreateArray() : NULL;
    for (size_t i = 0; i < n; i++)
        if (!list || !cJSON_AddItemToArray(list, summaries[i])) cJSON_Delete(summaries[i]);
    free(summaries);
    cJSON *flag = list ? cJSON_CreateBool(truncated) : NULL;
    if (!flag) {
        cJSON_Delete(list);
        http_reply_error(r, 500, "out of memory");
        return;
    }
    api_objects_reply_with(r, 200, key, list, "truncated", flag);
}
