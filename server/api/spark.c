/* api_spark: see api_spark.h. */
#include "server/api/spark.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/identity.h"
#include "k8s/sparkapp.h"
#include "server/api/calls.h"
#include "server/api/k8s.h"
#include "server/api/objects.h"
#include "server/cluster/kube.h"
#include "server/http/http.h"
#include "server/kfdash.h"

#define PATH_MAX_BYTES 1024
#define LIST_MAX       1000         /* applications listed, at most */
#define FORM_MAX_BYTES (256 * 1024) /* a submit form, at most */
#define TAIL_DEFAULT   1000         /* log lines when the client names none */
#define TAIL_MAX       10000        /* log lines, at most */

static const struct api_objects_kind kind = {
    .api = "/apis/" SPARKAPP_API_VERSION,
    .resource = "sparkapplications",
    .param = "app",
    .not_a_name = "not a Spark application name",
};

/* A call to the API server under way, kept with the parked request. */
struct spark_call {
    struct api_objects_call call; /* the namespace, the application (or ""), the answer */
    char submitted[64];           /* submit: the new application's name, for a 409 */
    long tail_lines;              /* logs: lines asked for */
    bool follow;                  /* logs: keep streaming */
};

/* The route's namespace and (when it has one) :app, checked; NULL after replying otherwise. */
static struct spark_call *enter(struct http_request *r)
{
    return api_objects_enter(r, &kind, sizeof(struct spark_call), NULL);
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
    struct api_objects_call *c = http_request_context(r);
    if (!api_objects_answered(c, 200)) {
        api_kube_failure(r, &c->answer, "cannot list the Spark applications");
        return;
    }
    api_objects_reply_list(r, c, "applications", LIST_MAX, sparkapp_summary, newest_first);
}

void api_spark_list(struct http_request *r)
{
    struct spark_call *c = enter(r);
    if (!c) return;
    char query[32];
    snprintf(query, sizeof(query), "?limit=%d", LIST_MAX);
    api_objects_call_as(r, &c->call, "GET", query, NULL, listed);
}

/* ---------------------------------------------------------------- submit */

static void created(struct http_request *r)
{
    struct spark_call *c = http_request_context(r);
    if (api_objects_answered(&c->call, 409)) {
        char message[256];
        snprintf(message, sizeof(message),
                 "a Spark application named %s exists already in %s: pick another name",
                 c->submitted, c->call.ns);
        http_reply_error(r, 409, message);
        return;
    }
    if (!api_objects_answered(&c->call, 201) && !api_objects_answered(&c->call, 200)) {
        api_kube_failure(r, &c->call.answer, "cannot submit the Spark application");
        return;
    }
    cJSON *j = api_objects_answer_json(r, &c->call);
    if (!j) return;
    cJSON *summary = sparkapp_summary(j);
    cJSON_Delete(j);
    api_objects_reply_with(r, 201, "application", summary, NULL, NULL);
}

void api_spark_create(struct http_request *r)
{
    struct spark_call *c = enter(r);
    if (!c) return;
    size_t len;
    const char *text = http_request_body(r, &len);
    if (len > FORM_MAX_BYTES) {
        http_reply_error(r, 413, "the submit form is too large");
        return;
    }
    cJSON *form = cJSON_ParseWithLength(text, len);
    cJSON *app = NULL;
    char err[SPARKAPP_ERROR_MAX] = "send a JSON object";
    int e = form ? sparkapp_build(form, c->call.ns, http_request_identity(r)->email, &app, err)
                 : -EINVAL;
    cJSON_Delete(form);
    if (e < 0) {
        http_reply_error(r, e == -ENOMEM ? 500 : 400, e == -ENOMEM ? "out of memory" : err);
        return;
    }
    const char *name =
        cJSON_GetObjectItem(cJSON_GetObjectItem(app, "metadata"), "name")->valuestring;
    snprintf(c->submitted, sizeof(c->submitted), "%s", name);
    char *json = cJSON_PrintUnformatted(app);
    cJSON_Delete(app);
    if (!json) {
        http_reply_error(r, 500, "out of memory");
        return;
    }
    /* The route names no application: this POST goes to the collection. */
    api_objects_call_as(r, &c->call, "POST", "", json, created);
    free(json);
}

/* ---------------------------------------------------------------- one application */

static void got(struct http_request *r)
{
    struct api_objects_call *c = http_request_context(r);
    if (!api_objects_answered(c, 200)) {
        api_kube_failure(r, &c->answer, "cannot read the Spark application");
        return;
    }
    cJSON *j = api_objects_answer_json(r, c);
    if (j) api_objects_reply_with(r, 200, "application", sparkapp_summary(j), "object", j);
}

void api_spark_get(struct http_request *r)
{
    struct spark_call *c = enter(r);
    if (c) api_objects_call_as(r, &c->call, "GET", "", NULL, got);
}

static void deleted(struct http_request *r)
{
    struct api_objects_call *c = http_request_context(r);
    if (!api_objects_answered(c, 200) && !api_objects_answered(c, 202)) {
        api_kube_failure(r, &c->answer, "cannot delete the Spark application");
        return;
    }
    http_reply_json(r, 200, cJSON_CreateObject());
}

void api_spark_delete(struct http_request *r)
{
    struct spark_call *c = enter(r);
    if (c) api_objects_call_as(r, &c->call, "DELETE", "", NULL, deleted);
}

/* ---------------------------------------------------------------- the driver's log */

static void log_source_known(struct http_request *r)
{
    struct spark_call *c = http_request_context(r);
    if (!api_objects_answered(&c->call, 200)) {
        api_kube_failure(r, &c->call.answer, "cannot read the Spark application");
        return;
    }
    cJSON *j = api_objects_answer_json(r, &c->call);
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
             c->call.ns, pod, c->tail_lines, c->follow ? "&follow=true" : "");
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
        http_reply_error(r, 400, bad);
        return;
    }
    api_objects_call_as(r, &c->call, "GET", "", NULL, log_source_known);
}
