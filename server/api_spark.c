/* api_spark: see api_spark.h. */
#include "server/api_spark.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/identity.h"
#include "k8s/name.h"
#include "k8s/sparkapp.h"
#include "server/api_k8s.h"
#include "server/http.h"
#include "server/kube.h"
#include "server/upstream.h"

#define PATH_MAX_BYTES  1024
#define LIST_MAX        1000         /* applications listed, at most */
#define FORM_MAX_BYTES  (256 * 1024) /* a submit form, at most */
#define TAIL_DEFAULT    1000         /* log lines when the client names none */
#define TAIL_MAX        10000        /* log lines, at most */
#define COLLECTION_PATH "/apis/" SPARKAPP_API_VERSION "/namespaces/%s/sparkapplications"

/* A call to the API server under way, kept with the parked request. */
struct spark_call {
    struct upstream_result answer; /* the API server's */
    char ns[64];                   /* the profile namespace */
    char app[64];                  /* the application, or "" for the collection */
    long tail_lines;               /* logs: lines asked for */
    bool follow;                   /* logs: keep streaming */
};

static void spark_call_free(void *p)
{
    struct spark_call *c = p;
    free(c->answer.body);
    free(c);
}

static bool ok_status(const struct spark_call *c, long status)
{
    return !c->answer.error && c->answer.status == status;
}

/* The route's namespace and (when it has one) :app, checked; NULL after replying otherwise. */
static struct spark_call *enter(struct http_request *r)
{
    const char *ns = kube_enter_namespace(r, NULL);
    if (!ns) return NULL;
    const char *app = http_request_param(r, "app");
    if (app && !k8s_name_is_dns_label(app)) {
        http_reply_error(r, 400, "not a Spark application name");
        return NULL;
    }
    struct spark_call *c = calloc(1, sizeof(*c));
    if (!c) {
        http_reply_error(r, 500, "out of memory");
        return NULL;
    }
    snprintf(c->ns, sizeof(c->ns), "%s", ns);
    snprintf(c->app, sizeof(c->app), "%s", app ? app : "");
    return c;
}

/* Calls the API server as the user about c's application (or collection), parked with c
 * (taken); next reads the answer. */
static void call_as_user(struct http_request *r, struct spark_call *c, const char *method,
                         const char *query, const char *body, http_next_fn next)
{
    char path[PATH_MAX_BYTES];
    int n = snprintf(path, sizeof(path), COLLECTION_PATH "%s%s%s", c->ns, c->app[0] ? "/" : "",
                     c->app, query);
    http_request_set_context(r, c, spark_call_free);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        http_reply_error(r, 414, "request too long to forward");
        return;
    }
    kube_call_as(r, http_request_identity(r), method, path, body, &c->answer, next);
}

/* The answer as JSON (the caller's to delete); NULL after replying 502. */
static cJSON *answer_json(struct http_request *r, const struct spark_call *c)
{
    cJSON *j = cJSON_ParseWithLength(c->answer.body, c->answer.len);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        http_reply_error(r, 502, "the API server's answer is not a JSON object");
        return NULL;
    }
    return j;
}

/* {key: value} (value taken), or 500. */
static void reply_with(struct http_request *r, unsigned status, const char *key, cJSON *value)
{
    cJSON *j = value ? cJSON_CreateObject() : NULL;
    if (!j || !cJSON_AddItemToObject(j, key, value)) {
        cJSON_Delete(j);
        cJSON_Delete(value);
        http_reply_error(r, 500, "out of memory");
        return;
    }
    http_reply_json(r, status, j);
}

void api_spark_templates(struct http_request *r)
{
    cJSON *j = sparkapp_templates();
    if (!j) {
        http_reply_error(r, 500, "out of memory");
        return;
    }
    http_reply_json(r, 200, j);
}

/* ---------------------------------------------------------------- list */

/* Newest first, then by name. */
static int newest_first(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    int by_time = strcmp(cJSON_GetObjectItem(y, "createdAt")->valuestring,
                         cJSON_GetObjectItem(x, "createdAt")->valuestring);
    return by_time ? by_time
                   : strcmp(cJSON_GetObjectItem(x, "name")->valuestring,
                            cJSON_GetObjectItem(y, "name")->valuestring);
}

static void listed(struct http_request *r)
{
    struct spark_call *c = http_request_context(r);
    if (!ok_status(c, 200)) {
        kube_reply_failure(r, &c->answer, "cannot list the Spark applications");
        return;
    }
    cJSON *j = answer_json(r, c);
    if (!j) return;
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(j, "items");
    if (!cJSON_IsArray(items)) items = NULL;
    size_t n = 0;
    cJSON **summaries = calloc(LIST_MAX, sizeof(*summaries));
    const cJSON *item;
    bool ok = summaries != NULL;
    cJSON_ArrayForEach(item, items)
    {
        if (!ok || n == LIST_MAX) break;
        summaries[n] = sparkapp_summary(item);
        ok = summaries[n++] != NULL;
    }
    /* More than kfdash lists: said, not hidden. */
    const cJSON *more = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(j, "metadata"), "continue");
    bool truncated =
        (cJSON_IsString(more) && *more->valuestring) || cJSON_GetArraySize(items) > LIST_MAX;
    cJSON_Delete(j);
    if (ok && n > 1) qsort(summaries, n, sizeof(*summaries), newest_first);
    cJSON *list = ok ? cJSON_CreateArray() : NULL;
    for (size_t i = 0; i < n; i++)
        if (!list || !cJSON_AddItemToArray(list, summaries[i])) cJSON_Delete(summaries[i]);
    free(summaries);
    cJSON *out = list ? cJSON_CreateObject() : NULL;
    if (out && cJSON_AddItemToObject(out, "applications", list)) {
        list = NULL;
        if (cJSON_AddBoolToObject(out, "truncated", truncated)) {
            http_reply_json(r, 200, out);
            return;
        }
    }
    cJSON_Delete(list);
    cJSON_Delete(out);
    http_reply_error(r, 500, "out of memory");
}

void api_spark_list(struct http_request *r)
{
    struct spark_call *c = enter(r);
    if (!c) return;
    char query[32];
    snprintf(query, sizeof(query), "?limit=%d", LIST_MAX);
    call_as_user(r, c, "GET", query, NULL, listed);
}

/* ---------------------------------------------------------------- submit */

static void created(struct http_request *r)
{
    struct spark_call *c = http_request_context(r);
    if (ok_status(c, 409)) {
        char message[256];
        snprintf(message, sizeof(message),
                 "a Spark application named %s exists already in %s: pick another name", c->app,
                 c->ns);
        http_reply_error(r, 409, message);
        return;
    }
    if (!ok_status(c, 201) && !ok_status(c, 200)) {
        kube_reply_failure(r, &c->answer, "cannot submit the Spark application");
        return;
    }
    cJSON *j = answer_json(r, c);
    if (!j) return;
    cJSON *summary = sparkapp_summary(j);
    cJSON_Delete(j);
    reply_with(r, 201, "application", summary);
}

void api_spark_create(struct http_request *r)
{
    struct spark_call *c = enter(r);
    if (!c) return;
    size_t len;
    const char *text = http_request_body(r, &len);
    if (len > FORM_MAX_BYTES) {
        free(c);
        http_reply_error(r, 413, "the submit form is too large");
        return;
    }
    cJSON *form = cJSON_ParseWithLength(text, len);
    cJSON *app = NULL;
    char err[SPARKAPP_ERROR_MAX] = "send a JSON object";
    int e =
        form ? sparkapp_build(form, c->ns, http_request_identity(r)->email, &app, err) : -EINVAL;
    cJSON_Delete(form);
    if (e < 0) {
        free(c);
        http_reply_error(r, e == -ENOMEM ? 500 : 400, e == -ENOMEM ? "out of memory" : err);
        return;
    }
    const char *name =
        cJSON_GetObjectItem(cJSON_GetObjectItem(app, "metadata"), "name")->valuestring;
    snprintf(c->app, sizeof(c->app), "%s", name);
    char *json = cJSON_PrintUnformatted(app);
    cJSON_Delete(app);
    if (!json) {
        free(c);
        http_reply_error(r, 500, "out of memory");
        return;
    }
    /* POST goes to the collection: c->app names the application for the 409 only. */
    char path[PATH_MAX_BYTES];
    snprintf(path, sizeof(path), COLLECTION_PATH, c->ns);
    http_request_set_context(r, c, spark_call_free);
    kube_call_as(r, http_request_identity(r), "POST", path, json, &c->answer, created);
    free(json);
}

/* ---------------------------------------------------------------- one application */

static void got(struct http_request *r)
{
    struct spark_call *c = http_request_context(r);
    if (!ok_status(c, 200)) {
        kube_reply_failure(r, &c->answer, "cannot read the Spark application");
        return;
    }
    cJSON *j = answer_json(r, c);
    if (!j) return;
    cJSON *out = cJSON_CreateObject();
    cJSON *summary = sparkapp_summary(j);
    if (!out || !summary || !cJSON_AddItemToObject(out, "application", summary)) {
        cJSON_Delete(summary);
        cJSON_Delete(out);
        cJSON_Delete(j);
        http_reply_error(r, 500, "out of memory");
        return;
    }
    cJSON_AddItemToObject(out, "object", j);
    http_reply_json(r, 200, out);
}

void api_spark_get(struct http_request *r)
{
    struct spark_call *c = enter(r);
    if (c) call_as_user(r, c, "GET", "", NULL, got);
}

static void deleted(struct http_request *r)
{
    struct spark_call *c = http_request_context(r);
    if (!ok_status(c, 200) && !ok_status(c, 202)) {
        kube_reply_failure(r, &c->answer, "cannot delete the Spark application");
        return;
    }
    http_reply_json(r, 200, cJSON_CreateObject());
}

void api_spark_delete(struct http_request *r)
{
    struct spark_call *c = enter(r);
    if (c) call_as_user(r, c, "DELETE", "", NULL, deleted);
}

/* ---------------------------------------------------------------- the driver's log */

static void log_source_known(struct http_request *r)
{
    struct spark_call *c = http_request_context(r);
    if (!ok_status(c, 200)) {
        kube_reply_failure(r, &c->answer, "cannot read the Spark application");
        return;
    }
    cJSON *j = answer_json(r, c);
    if (!j) return;
    char pod[SPARKAPP_POD_NAME_MAX + 1];
    int e = sparkapp_driver_pod(j, pod, sizeof(pod));
    cJSON_Delete(j);
    if (e < 0) {
        http_reply_error(r, 502, "the application's driver pod name is not a pod name");
        return;
    }
    /* On the stack: forwarding replaces (and frees) c. */
    char path[PATH_MAX_BYTES];
    snprintf(path, sizeof(path),
             "/api/v1/namespaces/%s/pods/%s/log?container=" SPARKAPP_DRIVER_CONTAINER
             "&tailLines=%ld%s",
             c->ns, pod, c->tail_lines, c->follow ? "&follow=true" : "");
    api_k8s_forward_as_user(r, path, API_K8S_LOG_ACCEPT);
}

/* ?name= as a flag: absent is false. -EINVAL for anything but true/false/1/0. */
static int flag(struct http_request *r, const char *name, bool *ret)
{
    const char *v = http_request_query(r, name);
    if (!v || strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
        *ret = false;
        return 0;
    }
    if (strcmp(v, "true") != 0 && strcmp(v, "1") != 0) return -EINVAL;
    *ret = true;
    return 0;
}

void api_spark_logs(struct http_request *r)
{
    struct spark_call *c = enter(r);
    if (!c) return;
    const char *tail = http_request_query(r, "tailLines");
    c->tail_lines = TAIL_DEFAULT;
    if (tail) {
        size_t digits = strspn(tail, "0123456789");
        c->tail_lines = digits && digits <= 5 && !tail[digits] ? strtol(tail, NULL, 10) : 0;
    }
    const char *bad = c->tail_lines < 1 || c->tail_lines > TAIL_MAX
                          ? "tailLines: a whole number from 1 to 10000"
                      : flag(r, "follow", &c->follow) < 0 ? "follow: true or false"
                                                          : NULL;
    if (bad) {
        free(c);
        http_reply_error(r, 400, bad);
        return;
    }
    call_as_user(r, c, "GET", "", NULL, log_source_known);
}
