/* api_quota: see quota.h. */
#include "server/api/quota.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/identity.h"
#include "k8s/name.h"
#include "lib/log.h"
#include "lib/upstream.h"
#include "server/api/calls.h"
#include "server/http/http.h"

#define QUOTAS_MAX    100 /* ResourceQuotas of one namespace listed */
#define RESOURCES_MAX 100 /* resources of one quota answered */

bool quota_value(const char *q, double *ret)
{
    if (!q || !*q || strlen(q) > 64) return false;
    const char *p = q;
    if (*p == '+' || *p == '-') p++;
    size_t digits = 0;
    while ((*p >= '0' && *p <= '9') || *p == '.') digits += *p++ != '.';
    if (digits == 0) return false;
    char number[72];
    snprintf(number, sizeof(number), "%.*s", (int)(p - q), q);
    char *end;
    double v = strtod(number, &end);
    if (*end) return false; /* "1.2.3" */
    static const struct {
        const char *suffix;
        double factor;
    } suffixes[] = {{"", 1},
                    {"n", 1e-9},
                    {"u", 1e-6},
                    {"m", 1e-3},
                    {"k", 1e3},
                    {"M", 1e6},
                    {"G", 1e9},
                    {"T", 1e12},
                    {"P", 1e15},
                    {"E", 1e18},
                    {"Ki", 1024.0},
                    {"Mi", 1048576.0},
                    {"Gi", 1073741824.0},
                    {"Ti", 1099511627776.0},
                    {"Pi", 1125899906842624.0},
                    {"Ei", 1152921504606846976.0}};
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
        if (strcmp(p, suffixes[i].suffix) == 0) return *ret = v * suffixes[i].factor, true;
    /* A decimal exponent: "1e3", "2E-2" (a lone "E" is exa, above). */
    if ((*p == 'e' || *p == 'E') && p[1]) {
        const char *x = p + 1;
        if (*x == '+' || *x == '-') x++;
        if (!*x || strspn(x, "0123456789") != strlen(x) || strlen(x) > 2) return false;
        long e = strtol(p + 1, NULL, 10);
        for (long i = 0; i < (e < 0 ? -e : e); i++) v = e < 0 ? v / 10 : v * 10;
        *ret = v;
        return true;
    }
    return false;
}

/* The call under way, kept with the parked request. */
struct quota_call {
    struct upstream_result answer; /* the last call's */
    char ns[64];                   /* the namespace */
    cJSON *out;                    /* the answer being built */
};

static void quota_call_free(void *p)
{
    struct quota_call *c = p;
    free(c->answer.body);
    cJSON_Delete(c->out);
    free(c);
}

static int by_resource(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* One quota's resources: every one with a hard limit, by name, used beside it. */
static cJSON *resources_of(const cJSON *quota)
{
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(quota, "status");
    const cJSON *hard = cJSON_GetObjectItemCaseSensitive(status, "hard");
    const cJSON *used = cJSON_GetObjectItemCaseSensitive(status, "used"), *h;
    const cJSON *sorted[RESOURCES_MAX];
    size_t n = 0;
    const cJSON *limits = cJSON_IsObject(hard) ? hard : NULL;
    cJSON_ArrayForEach(h, limits)
    {
        if (n < RESOURCES_MAX && cJSON_IsString(h)) sorted[n++] = h;
    }
    qsort(sorted, n, sizeof(*sorted), by_resource);
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; list && i < n; i++) {
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(used, sorted[i]->string);
        const char *u_text = cJSON_IsString(u) ? u->valuestring : "0";
        double hv, uv;
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "resource", sorted[i]->string);
        cJSON_AddStringToObject(item, "hard", sorted[i]->valuestring);
        cJSON_AddStringToObject(item, "used", u_text);
        if (quota_value(sorted[i]->valuestring, &hv))
            cJSON_AddNumberToObject(item, "hardValue", hv);
        else
            cJSON_AddNullToObject(item, "hardValue");
        if (quota_value(u_text, &uv))
            cJSON_AddNumberToObject(item, "usedValue", uv);
        else
            cJSON_AddNullToObject(item, "usedValue");
        cJSON_AddItemToArray(list, item);
    }
    return list;
}

static void profile_in(struct http_request *r)
{
    struct quota_call *c = http_request_context(r);
    const struct upstream_result *a = &c->answer;
    cJSON *j = !a->error && a->status == 200 ? cJSON_ParseWithLength(a->body, a->len) : NULL;
    const cJSON *profile = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "items"), 0);
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(profile, "spec"), "resourceQuotaSpec");
    const cJSON *hard = cJSON_GetObjectItemCaseSensitive(spec, "hard");
    if (a->error || a->status != 200)
        log_msg(LOG_WARN, "cannot read a Profile's resourceQuotaSpec", "detail",
                a->error ? a->detail : "the API server refused");
    if (cJSON_IsObject(hard) && cJSON_GetArraySize(hard) > 0) {
        cJSON *p = cJSON_AddObjectToObject(c->out, "profile");
        cJSON_AddItemToObject(p, "hard", cJSON_Duplicate(hard, true));
    } else {
        cJSON_AddNullToObject(c->out, "profile");
    }
    cJSON_Delete(j);
    cJSON *out = c->out;
    c->out = NULL;
    http_reply_json(r, 200, out);
}

static void quotas_in(struct http_request *r)
{
    struct quota_call *c = http_request_context(r);
    const struct upstream_result *a = &c->answer;
    if (a->error || a->status != 200) {
        api_kube_failure(r, a, "cannot read the namespace's quotas");
        return;
    }
    cJSON *j = cJSON_ParseWithLength(a->body, a->len);
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(j, "items"), *q;
    if (!cJSON_IsArray(items)) {
        cJSON_Delete(j);
        http_reply_error(r, 502, "the API server's answer is not a list");
        return;
    }
    const cJSON *more = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(j, "metadata"), "continue");
    c->out = cJSON_CreateObject();
    cJSON_AddStringToObject(c->out, "namespace", c->ns);
    cJSON *list = cJSON_AddArrayToObject(c->out, "quotas");
    cJSON_ArrayForEach(q, items)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(q, "metadata"), "name");
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "name", cJSON_IsString(name) ? name->valuestring : "");
        cJSON_AddItemToObject(item, "resources", resources_of(q));
        cJSON_AddItemToArray(list, item);
    }
    cJSON_AddBoolToObject(c->out, "truncated", cJSON_IsString(more) && *more->valuestring);
    cJSON_Delete(j);
    if (!list) {
        http_reply_error(r, 500, "out of memory");
        return;
    }
    free(c->answer.body);
    c->answer = (struct upstream_result){0};
    char path[256];
    /* kfdash's role lists Profiles (it watches them) and gets none: a list of the one. */
    snprintf(path, sizeof(path),
             "/apis/kubeflow.org/v1/profiles?fieldSelector=metadata.name%%3D%s&limit=1", c->ns);
    api_kube_call(r, "GET", path, NULL, &c->answer, profile_in);
}

void api_quota_get(struct http_request *r)
{
    const char *ns = api_namespace(r, NULL);
    if (!ns) return;
    if (!k8s_name_is_dns_label(ns)) {
        http_reply_error(r, 400, "not a namespace name");
        return;
    }
    struct quota_call *c = calloc(1, sizeof(*c));
    if (!c) {
        http_reply_error(r, 500, "out of memory");
        return;
    }
    snprintf(c->ns, sizeof(c->ns), "%s", ns);
    http_request_set_context(r, c, quota_call_free);
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/resourcequotas?limit=%d", ns, QUOTAS_MAX);
    api_kube_call_as(r, http_request_identity(r), "GET", path, NULL, &c->answer, quotas_in);
}
