/* api_kserve: see api_kserve.h. */
#include "server/api/kserve.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/identity.h"
#include "k8s/isvc.h"
#include "lib/buf.h"
#include "lib/upstream.h"
#include "server/api/calls.h"
#include "server/api/objects.h"
#include "server/cluster/kube.h"
#include "server/config.h"
#include "server/http/http.h"
#include "server/http/park.h"
#include "server/kfdash.h"

#define LIST_MAX          1000        /* InferenceServices listed, at most */
#define FORM_MAX_BYTES    (64 * 1024) /* a create form, at most */
#define MLFLOW_TIMEOUT_MS 15000
#define MLFLOW_ANSWER_MAX (64 * 1024)
#define VERSIONS_MAX      500               /* MLflow model versions listed, at most */
#define VERSIONS_ANSWER   (4 * 1024 * 1024) /* MLflow's answer listing them, at most */

static const struct api_objects_kind kind = {
    .api = "/apis/" ISVC_API_VERSION,
    .resource = "inferenceservices",
    .param = "name",
    .not_a_name = "not an InferenceService name",
};

/* A call to the API server (or MLflow) under way, kept with the parked request. */
struct kserve_call {
    struct api_objects_call call; /* the namespace, the InferenceService (or ""), the answer */
    cJSON *form;                  /* create: the form; `checked` borrows from it */
    struct isvc_form checked;     /* create: the form, checked */
};

static void kserve_call_free(void *p)
{
    struct kserve_call *c = p;
    cJSON_Delete(c->form);
    api_objects_call_free(c);
}

/* The route's namespace and (when it has one) :name, checked; NULL after replying otherwise. */
static struct kserve_call *enter(struct http_request *r)
{
    return api_objects_enter(r, &kind, sizeof(struct kserve_call), kserve_call_free);
}

/* ---------------------------------------------------------------- list */

static int by_name(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(cJSON_GetObjectItem(x, "name")->valuestring,
                  cJSON_GetObjectItem(y, "name")->valuestring);
}

static void listed(struct http_request *r)
{
    struct api_objects_call *c = http_request_context(r);
    if (!api_objects_answered(c, 200)) {
        api_kube_failure(r, &c->answer, "cannot list the InferenceServices");
        return;
    }
    api_objects_reply_list(r, c, "inferenceServices", LIST_MAX, isvc_summary, by_name);
}

void api_kserve_list(struct http_request *r)
{
    struct kserve_call *c = enter(r);
    if (!c) return;
    char query[32];
    snprintf(query, sizeof(query), "?limit=%d", LIST_MAX);
    api_objects_call_as(r, &c->call, "GET", query, NULL, listed);
}

/* ---------------------------------------------------------------- create */

static void created(struct http_request *r)
{
    struct kserve_call *c = http_request_context(r);
    if (api_objects_answered(&c->call, 409)) {
        char message[256];
        snprintf(message, sizeof(message),
                 "an InferenceService named %s exists already in %s: pick another name",
                 c->checked.name, c->call.ns);
        http_reply_error(r, 409, message);
        return;
    }
    if (!api_objects_answered(&c->call, 201) && !api_objects_answered(&c->call, 200)) {
        api_kube_failure(r, &c->call.answer, "cannot create the InferenceService");
        return;
    }
    cJSON *j = api_objects_answer_json(r, &c->call);
    if (!j) return;
    cJSON *summary = isvc_summary(j);
    cJSON_Delete(j);
    api_objects_reply_with(r, 201, "inferenceService", summary, NULL, NULL);
}

/* Builds the InferenceService of c's checked form (storage_uri: MLflow's answer, for a form
 * from MLflow) and POSTs it as the user. */
static void create_as_user(struct http_request *r, struct kserve_call *c, const char *storage_uri)
{
    const struct kfdash *k = kfdash_of(r);
    cJSON *isvc = NULL;
    char err[ISVC_ERROR_MAX];
    int e = isvc_build(&c->checked, c->call.ns, http_request_identity(r)->email,
                       k->cfg->kserve_service_account, storage_uri, &isvc, err);
    if (e < 0) {
        /* Only MLflow's answer can be refused here: the form was checked before. */
        http_reply_error(r, e == -ENOMEM ? 500 : 502, e == -ENOMEM ? "out of memory" : err);
        return;
    }
    char *json = cJSON_PrintUnformatted(isvc);
    cJSON_Delete(isvc);
    if (!json) {
        http_reply_error(r, 500, "out of memory");
        return;
    }
    /* The route names no InferenceService: this POST goes to the collection. */
    api_objects_call_as(r, &c->call, "POST", "", json, created);
    free(json);
}

/* MLflow's error message, or its detail when it sent none. */
static void mlflow_message(const struct upstream_result *a, char *out, size_t size)
{
    cJSON *j = a->error ? NULL : cJSON_ParseWithLength(a->body, a->len);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
    snprintf(out, size, "%s",
             cJSON_IsString(m) ? m->valuestring
             : a->error        ? upstream_error_text(a->error)
                               : "no message");
    cJSON_Delete(j);
}

static void mlflow_answered(struct http_request *r)
{
    struct kserve_call *c = http_request_context(r);
    const struct upstream_result *a = &c->call.answer;
    char message[1024], why[256];
    if (!api_objects_answered(&c->call, 200)) {
        mlflow_message(a, why, sizeof(why));
        unsigned status = a->error                               ? 502
                          : a->status == 404                     ? 404
                          : a->status == 401 || a->status == 403 ? 403
                          : a->status < 500                      ? 400
                                                                 : 502;
        if (status == 404)
            snprintf(message, sizeof(message),
                     "MLflow has no version %s of model %.256s in workspace %s: %s",
                     c->checked.mlflow_version, c->checked.mlflow_model, c->call.ns, why);
        else
            snprintf(message, sizeof(message),
                     "cannot ask MLflow where version %s of %.256s is: %s",
                     c->checked.mlflow_version, c->checked.mlflow_model, why);
        http_reply_error(r, status, message);
        return;
    }
    cJSON *j = cJSON_ParseWithLength(a->body, a->len);
    const cJSON *uri = cJSON_GetObjectItemCaseSensitive(j, "artifact_uri");
    if (!cJSON_IsString(uri) || !isvc_is_storage_uri(uri->valuestring)) {
        cJSON_Delete(j);
        http_reply_error(r, 502, "MLflow's answer names no artifact location KServe can read");
        return;
    }
    create_as_user(r, c, uri->valuestring);
    cJSON_Delete(j);
}

/* GETs api_path (with its query) from MLflow in c's namespace's workspace, as the user, parked
 * with c; next reads the answer (at most max bytes). */
static void ask_mlflow(struct http_request *r, struct kserve_call *c, const struct buf *api_path,
                       size_t max, http_next_fn next)
{
    const struct kfdash *k = kfdash_of(r);
    const struct identity *who = http_request_identity(r);
    struct buf url;
    buf_init(&url, 8192);
    size_t base = strlen(k->cfg->mlflow_url);
    while (base && k->cfg->mlflow_url[base - 1] == '/') base--; /* "http://mlflow/" as well */
    buf_add(&url, k->cfg->mlflow_url, base);
    buf_adds(&url, buf_str(api_path));
    char workspace[128], user[1024], groups_line[4096] = "";
    snprintf(workspace, sizeof(workspace), "X-MLFLOW-WORKSPACE: %s", c->call.ns);
    snprintf(user, sizeof(user), "%s: %s%s", k->cfg->userid_header, k->cfg->userid_prefix,
             who->email);
    char *groups = identity_groups_joined(who);
    if (groups && *groups)
        snprintf(groups_line, sizeof(groups_line), "kubeflow-groups: %s", groups);
    free(groups);
    const char *headers[] = {"Accept: application/json", workspace, user,
                             groups_line[0] ? groups_line : NULL, NULL};
    if (buf_error(&url) || buf_error(api_path)) {
        buf_reset(&url);
        http_reply_error(r, 500, "out of memory");
        return;
    }
    struct upstream_call call = {.method = "GET",
                                 .url = buf_str(&url),
                                 .headers = headers,
                                 .timeout_ms = MLFLOW_TIMEOUT_MS,
                                 .max_response_bytes = max};
    park_call(k->engine, r, &call, &c->call.answer, next);
    buf_reset(&url);
}

/* Asks MLflow where the form's model version's artifacts are; mlflow_answered goes on. */
static void ask_download_uri(struct http_request *r, struct kserve_call *c)
{
    struct buf path;
    buf_init(&path, 2048);
    buf_adds(&path, "/api/2.0/mlflow/model-versions/get-download-uri?name=");
    buf_add_url_escaped(&path, c->checked.mlflow_model);
    buf_addf(&path, "&version=%s", c->checked.mlflow_version);
    ask_mlflow(r, c, &path, MLFLOW_ANSWER_MAX, mlflow_answered);
    buf_reset(&path);
}

void api_kserve_create(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct kserve_call *c = enter(r);
    if (!c) return;
    size_t len;
    const char *text = http_request_body(r, &len);
    if (len > FORM_MAX_BYTES) {
        http_reply_error(r, 413, "the form is too large");
        return;
    }
    c->form = cJSON_ParseWithLength(text, len);
    char err[ISVC_ERROR_MAX] = "send a JSON object";
    int e = c->form ? isvc_form_check(c->form, &c->checked, err) : -EINVAL;
    if (e < 0)
        http_reply_error(r, 400, err);
    else if (!c->checked.from_mlflow)
        create_as_user(r, c, NULL);
    else if (!*k->cfg->mlflow_url)
        http_reply_error(r, 503, "no MLflow server is configured (mlflow.url)");
    else
        ask_download_uri(r, c);
}

/* ---------------------------------------------------------------- one InferenceService */

static void got(struct http_request *r)
{
    struct api_objects_call *c = http_request_context(r);
    if (!api_objects_answered(c, 200)) {
        api_kube_failure(r, &c->answer, "cannot read the InferenceService");
        return;
    }
    cJSON *j = api_objects_answer_json(r, c);
    if (j) api_objects_reply_with(r, 200, "inferenceService", isvc_summary(j), "object", j);
}

void api_kserve_get(struct http_request *r)
{
    struct kserve_call *c = enter(r);
    if (c) api_objects_call_as(r, &c->call, "GET", "", NULL, got);
}

static void deleted(struct http_request *r)
{
    struct api_objects_call *c = http_request_context(r);
    if (!api_objects_answered(c, 200) && !api_objects_answered(c, 202)) {
        api_kube_failure(r, &c->answer, "cannot delete the InferenceService");
        return;
    }
    http_reply_json(r, 200, cJSON_CreateObject());
}

void api_kserve_delete(struct http_request *r)
{
    struct kserve_call *c = enter(r);
    if (c) api_objects_call_as(r, &c->call, "DELETE", "", NULL, deleted);
}

/* ---------------------------------------------------------------- MLflow's model versions */

/* One model version as the deploy form offers it. */
static cJSON *version_summary(const cJSON *v)
{
    static const char *const fields[][2] = {{"name", "model"},    {"version", "version"},
                                            {"status", "status"}, {"source", "source"},
                                            {"run_id", "runId"},  {"description", "description"}};
    cJSON *s = cJSON_CreateObject();
    bool ok = s != NULL;
    for (size_t i = 0; ok && i < sizeof(fields) / sizeof(fields[0]); i++) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(v, fields[i][0]);
        ok = cJSON_AddStringToObject(s, fields[i][1], cJSON_IsString(f) ? f->valuestring : "") !=
             NULL;
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "creation_timestamp");
    ok = ok && cJSON_AddNumberToObject(s, "createdAt", cJSON_IsNumber(t) ? t->valuedouble : 0);
    if (!ok) {
        cJSON_Delete(s);
        return NULL;
    }
    return s;
}

static void versions_listed(struct http_request *r)
{
    struct api_objects_call *c = http_request_context(r);
    const struct upstream_result *a = &c->answer;
    if (!api_objects_answered(c, 200)) {
        char why[256], message[512];
        mlflow_message(a, why, sizeof(why));
        snprintf(message, sizeof(message), "cannot list MLflow's model versions in %s: %s", c->ns,
                 why);
        http_reply_error(r, !a->error && a->status >= 400 && a->status < 500 ? 400 : 502, message);
        return;
    }
    cJSON *j = cJSON_ParseWithLength(a->body, a->len);
    const cJSON *all = cJSON_GetObjectItemCaseSensitive(j, "model_versions"), *v;
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(j, "next_page_token");
    cJSON *list = cJSON_IsObject(j) ? cJSON_CreateArray() : NULL;
    bool ok = list != NULL;
    int n = 0;
    if (!cJSON_IsArray(all)) all = NULL;
    cJSON_ArrayForEach(v, all)
    {
        if (!ok || n == VERSIONS_MAX) break;
        cJSON *s = version_summary(v);
        ok = s && cJSON_AddItemToArray(list, s);
        if (!ok) cJSON_Delete(s);
        n++;
    }
    bool truncated =
        (cJSON_IsString(next) && *next->valuestring) || cJSON_GetArraySize(all) > VERSIONS_MAX;
    bool garbage = !cJSON_IsObject(j);
    cJSON_Delete(j);
    if (garbage) {
        http_reply_error(r, 502, "MLflow's answer is not a JSON object");
        return;
    }
    if (!ok) {
        cJSON_Delete(list);
        http_reply_error(r, 500, "out of memory");
        return;
    }
    api_objects_reply_with(r, 200, "modelVersions", list, "truncated", cJSON_CreateBool(truncated));
}

void api_kserve_mlflow_versions(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct kserve_call *c = enter(r);
    if (!c) return;
    if (!*k->cfg->mlflow_url) {
        http_reply_error(r, 503, "no MLflow server is configured (mlflow.url)");
        return;
    }
    struct buf path;
    buf_init(&path, 256);
    buf_addf(&path, "/api/2.0/mlflow/model-versions/search?max_results=%d", VERSIONS_MAX);
    ask_mlflow(r, c, &path, VERSIONS_ANSWER, versions_listed);
    buf_reset(&path);
}
