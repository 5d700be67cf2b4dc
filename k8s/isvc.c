/* k8s/isvc: InferenceServices as the dashboard shows, creates and calls them; see isvc.h. */
#include "k8s/isvc.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "k8s/json.h"
#include "k8s/name.h"
#include "k8s/notebook.h"

#define PREDICT_URL_MAX (2 * 63 + 16)
#define PATH_NAME_MAX   255 /* a model name or version in an inference path */

/* ---------------------------------------------------------------- reading objects */

/* The condition of that type in status.conditions, or NULL. */
static const cJSON *condition(const cJSON *status, const char *type)
{
    const cJSON *c, *all = json_item(status, "conditions");
    if (!cJSON_IsArray(all)) return NULL;
    cJSON_ArrayForEach(c, all)
    {
        if (strcmp(json_text(c, "type"), type) == 0) return c;
    }
    return NULL;
}

/* ---------------------------------------------------------------- the summary */

/* The conditions that are not True: what keeps the endpoint from being ready. */
static cJSON *not_ready_reasons(const cJSON *status, bool *ok)
{
    cJSON *list = cJSON_CreateArray();
    *ok = list && *ok;
    const cJSON *c, *all = json_item(status, "conditions");
    if (!cJSON_IsArray(all)) all = NULL;
    cJSON_ArrayForEach(c, all)
    {
        if (!*ok) break;
        if (strcmp(json_text(c, "status"), "True") == 0) continue;
        cJSON *one = cJSON_CreateObject();
        json_add_item(list, NULL, one, ok);
        if (!*ok) break;
        json_add_string(one, "type", json_text(c, "type"), ok);
        json_add_string(one, "status", json_text(c, "status"), ok);
        json_add_string(one, "reason", json_text(c, "reason"), ok);
        json_add_string(one, "message", json_text(c, "message"), ok);
    }
    return list;
}

/* status.components.predictor.traffic, each target as Knative records it. */
static cJSON *traffic(const cJSON *predictor, bool *ok)
{
    cJSON *list = cJSON_CreateArray();
    *ok = list && *ok;
    const cJSON *t, *all = json_item(predictor, "traffic");
    if (!cJSON_IsArray(all)) all = NULL;
    cJSON_ArrayForEach(t, all)
    {
        if (!*ok) break;
        if (!cJSON_IsObject(t)) continue;
        cJSON *one = cJSON_CreateObject();
        json_add_item(list, NULL, one, ok);
        if (!*ok) break;
        const cJSON *percent = json_item(t, "percent");
        json_add_string(one, "revisionName", json_text(t, "revisionName"), ok);
        json_add_string(one, "tag", json_text(t, "tag"), ok);
        json_add_number(one, "percent", cJSON_IsNumber(percent) ? percent->valuedouble : 0, ok);
        json_add_bool(one, "latestRevision", cJSON_IsTrue(json_item(t, "latestRevision")), ok);
    }
    return list;
}

/* modelStatus.lastFailureInfo, or JSON null when there is none. */
static cJSON *last_failure(const cJSON *info, bool *ok)
{
    if (!cJSON_IsObject(info) || (!*json_text(info, "reason") && !*json_text(info, "message"))) {
        cJSON *none = cJSON_CreateNull();
        *ok = none && *ok;
        return none;
    }
    cJSON *f = cJSON_CreateObject();
    *ok = f && *ok;
    if (!f) return NULL;
    const cJSON *code = json_item(info, "exitCode");
    json_add_string(f, "reason", json_text(info, "reason"), ok);
    json_add_string(f, "message", json_text(info, "message"), ok);
    json_add_string(f, "location", json_text(info, "location"), ok);
    json_add_string(f, "modelRevisionName", json_text(info, "modelRevisionName"), ok);
    json_add_string(f, "time", json_text(info, "time"), ok);
    json_add_number(f, "exitCode", cJSON_IsNumber(code) ? code->valuedouble : 0, ok);
    return f;
}

cJSON *isvc_summary(const cJSON *isvc)
{
    const cJSON *meta = json_item(isvc, "metadata"), *status = json_item(isvc, "status");
    const cJSON *predictor = json_item(json_item(isvc, "spec"), "predictor");
    const cJSON *model = json_item(predictor, "model");
    const cJSON *format = json_item(model, "modelFormat");
    const cJSON *component = json_item(json_item(status, "components"), "predictor");
    const cJSON *model_status = json_item(status, "modelStatus");
    const char *name = json_text(meta, "name"), *ns = json_text(meta, "namespace");
    const char *ready = json_text(condition(status, "Ready"), "status");
    bool ok = true;
    cJSON *s = cJSON_CreateObject();
    if (!s) return NULL;
    json_add_string(s, "name", name, &ok);
    json_add_string(s, "namespace", ns, &ok);
    json_add_string(s, "createdAt", json_text(meta, "creationTimestamp"), &ok);
    json_add_string(s, "creator",
                    json_text(json_item(meta, "annotations"), ISVC_CREATOR_ANNOTATION), &ok);
    json_add_bool(s, "ready", strcmp(ready, "True") == 0, &ok);
    json_add_string(s, "state",
                    strcmp(ready, "True") == 0    ? "ready"
                    : strcmp(ready, "False") == 0 ? "failed"
                                                  : "pending",
                    &ok);
    json_add_item(s, "reasons", not_ready_reasons(status, &ok), &ok);
    json_add_string(s, "url", json_text(status, "url"), &ok);
    json_add_string(s, "address", json_text(json_item(status, "address"), "url"), &ok);
    json_add_string(s, "latestReadyRevision", json_text(component, "latestReadyRevision"), &ok);
    json_add_item(s, "traffic", traffic(component, &ok), &ok);

    cJSON *m = json_add_object(s, "model", &ok);
    /* A format given as a bare string (older objects) reads the same. */
    json_add_string(m, "format",
                    cJSON_IsString(format) ? format->valuestring : json_text(format, "name"), &ok);
    json_add_string(m, "formatVersion", json_text(format, "version"), &ok);
    json_add_string(m, "protocolVersion", json_text(model, "protocolVersion"), &ok);
    json_add_string(m, "storageUri", json_text(model, "storageUri"), &ok);
    json_add_string(m, "runtime", json_text(model, "runtime"), &ok);
    json_add_string(s, "serviceAccountName", json_text(predictor, "serviceAccountName"), &ok);
    const cJSON *annotations = json_item(meta, "annotations");
    cJSON *from = json_add_object(s, "mlflow", &ok);
    json_add_string(from, "model", json_text(annotations, ISVC_MLFLOW_MODEL_ANNOTATION), &ok);
    json_add_string(from, "version", json_text(annotations, ISVC_MLFLOW_VERSION_ANNOTATION), &ok);

    cJSON *ms = json_add_object(s, "modelStatus", &ok);
    const cJSON *states = json_item(model_status, "states");
    json_add_string(ms, "transitionStatus", json_text(model_status, "transitionStatus"), &ok);
    json_add_string(ms, "activeModelState", json_text(states, "activeModelState"), &ok);
    json_add_string(ms, "targetModelState", json_text(states, "targetModelState"), &ok);
    json_add_item(s, "lastFailure", last_failure(json_item(model_status, "lastFailureInfo"), &ok),
                  &ok);

    /* Names that are not labels would not make a path the proxy serves. */
    char predict[PREDICT_URL_MAX] = "";
    if (k8s_name_is_dns_label(ns) && k8s_name_is_dns_label(name))
        snprintf(predict, sizeof(predict), "/serving/%s/%s/", ns, name);
    json_add_string(s, "predictUrl", predict, &ok);
    if (!ok) {
        cJSON_Delete(s);
        return NULL;
    }
    return s;
}

/* ---------------------------------------------------------------- the create form */

/* json_get_string explains a refusal in the same err. */
_Static_assert(ISVC_ERROR_MAX == JSON_ERROR_MAX, "err sizes differ");

/* Sets err and returns -EINVAL, for the checks below. */
__attribute__((format(printf, 2, 3))) static int refuse(char err[ISVC_ERROR_MAX], const char *fmt,
                                                        ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, ISVC_ERROR_MAX, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static bool only_of(const char *s, const char *allowed)
{
    for (; *s; s++)
        if (!strchr(allowed, *s)) return false;
    return true;
}

#define LOWER_ALNUM "abcdefghijklmnopqrstuvwxyz0123456789"
#define ALNUM       LOWER_ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

/* A DNS-1123 subdomain (service accounts, runtimes): dot-separated DNS labels, 1-253. */
static bool is_dns_subdomain(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253) return false;
    char label[64];
    for (const char *p = s;;) {
        size_t len = strcspn(p, ".");
        if (len == 0 || len > 63) return false;
        memcpy(label, p, len);
        label[len] = '\0';
        if (!k8s_name_is_dns_label(label)) return false;
        if (!p[len]) return true;
        p += len + 1;
    }
}

bool isvc_is_storage_uri(const char *s)
{
    size_t n = strlen(s);
    size_t scheme = strspn(s, LOWER_ALNUM "+.-");
    bool letter = s[0] >= 'a' && s[0] <= 'z';
    return n <= ISVC_STORAGE_URI_MAX && letter && s[scheme] == ':' && s[scheme + 1] &&
           !json_has_control(s, true);
}

/* resources: {"requests": {name: quantity}, "limits": {...}}, both optional. */
static int check_resources(const cJSON *form, struct isvc_form *f, char err[ISVC_ERROR_MAX])
{
    const cJSON *r = json_item(form, "resources");
    if (!r || cJSON_IsNull(r)) return 0;
    if (!cJSON_IsObject(r)) return refuse(err, "resources: an object with requests and limits");
    const cJSON *part;
    cJSON_ArrayForEach(part, r)
    {
        bool known = strcmp(part->string, "requests") == 0 || strcmp(part->string, "limits") == 0;
        if (!known) return refuse(err, "resources: only requests and limits");
        if (cJSON_IsNull(part)) continue;
        if (!cJSON_IsObject(part)) return refuse(err, "resources.%s: an object", part->string);
        if (cJSON_GetArraySize(part) > ISVC_RESOURCES_MAX)
            return refuse(err, "resources.%s: at most %d entries", part->string,
                          ISVC_RESOURCES_MAX);
        const cJSON *q;
        cJSON_ArrayForEach(q, part)
        {
            if (!notebook_is_label_key(q->string))
                return refuse(err,
                              "resources.%s: a resource name like cpu, memory or "
                              "nvidia.com/gpu",
                              part->string);
            if (!cJSON_IsString(q) || !notebook_is_quantity(q->valuestring))
                return refuse(err, "resources.%s.%.64s: a quantity such as 500m, 1 or 2Gi",
                              part->string, q->string);
        }
    }
    f->resources = r;
    return 0;
}

/* fromMlflow: {"model": name, "version": "1" or 1}. */
static int check_mlflow(const cJSON *from, struct isvc_form *f, char err[ISVC_ERROR_MAX])
{
    if (!cJSON_IsObject(from)) return refuse(err, "fromMlflow: an object with model and version");
    int e =
        json_get_string(from, "model", true, ISVC_MLFLOW_MODEL_MAX, false, &f->mlflow_model, err);
    if (e < 0)
        return refuse(err, "fromMlflow.model: a registered model's name, 1-%d bytes",
                      ISVC_MLFLOW_MODEL_MAX);
    const cJSON *v = json_item(from, "version");
    char version[32] = "";
    if (cJSON_IsString(v) && strlen(v->valuestring) < sizeof(version))
        snprintf(version, sizeof(version), "%s", v->valuestring);
    else if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble < 1e10 &&
             v->valuedouble == (double)(long long)v->valuedouble)
        snprintf(version, sizeof(version), "%lld", (long long)v->valuedouble);
    size_t n = strlen(version);
    if (n == 0 || n > ISVC_MLFLOW_VERSION_MAX || !only_of(version, "0123456789") ||
        version[0] == '0')
        return refuse(err, "fromMlflow.version: a model version number such as 1");
    memcpy(f->mlflow_version, version, n + 1);
    f->from_mlflow = true;
    return 0;
}

/* The model's own fields: format, protocol, storage. */
static int check_model(const cJSON *form, struct isvc_form *f, char err[ISVC_ERROR_MAX])
{
    int e =
        json_get_string(form, "modelFormat", true, ISVC_FORMAT_MAX, true, &f->model_format, err);
    if (e < 0) return e;
    if (!only_of(f->model_format, LOWER_ALNUM "-_."))
        return refuse(err, "modelFormat: a format name such as sklearn, mlflow or onnx");
    e = json_get_string(form, "modelFormatVersion", false, ISVC_VERSION_MAX, true,
                        &f->format_version, err);
    if (e < 0) return e;
    if (f->format_version && !only_of(f->format_version, ALNUM "-_.+"))
        return refuse(err, "modelFormatVersion: a version such as 1 or 2.3");
    e = json_get_string(form, "storageUri", true, ISVC_STORAGE_URI_MAX, true, &f->storage_uri, err);
    if (e < 0) return e;
    if (!isvc_is_storage_uri(f->storage_uri))
        return refuse(err, "storageUri: a URI such as s3://bucket/model or pvc://claim/path");
    if ((e = json_get_string(form, "protocolVersion", false, 2, true, &f->protocol, err)) < 0)
        return refuse(err, "protocolVersion: v1 or v2");
    if (f->protocol && strcmp(f->protocol, "v1") != 0 && strcmp(f->protocol, "v2") != 0)
        return refuse(err, "protocolVersion: v1 or v2");
    /* KServe serves MLflow models with MLServer, which speaks V2 only. */
    if (!f->protocol && strcmp(f->model_format, "mlflow") == 0) f->protocol = "v2";
    return 0;
}

int isvc_form_check(const cJSON *form, struct isvc_form *ret, char err[ISVC_ERROR_MAX])
{
    struct isvc_form f = {0};
    if (!cJSON_IsObject(form)) return refuse(err, "send a JSON object");
    int e = json_get_string(form, "name", true, 63, true, &f.name, err);
    if (e < 0) return e;
    if (!k8s_name_is_dns_label(f.name) || f.name[0] < 'a' || f.name[0] > 'z')
        return refuse(err, "name: 1-63 lowercase letters, digits or '-', starting with a letter "
                           "and ending with a letter or digit");
    const cJSON *from = json_item(form, "fromMlflow");
    if (from && !cJSON_IsNull(from)) {
        static const char *const decided[] = {"modelFormat", "modelFormatVersion",
                                              "protocolVersion", "storageUri"};
        for (size_t i = 0; i < sizeof(decided) / sizeof(decided[0]); i++)
            if (json_item(form, decided[i]) && !cJSON_IsNull(json_item(form, decided[i])))
                return refuse(err, "%s: not with fromMlflow, which decides it", decided[i]);
        e = check_mlflow(from, &f, err);
    } else {
        e = check_model(form, &f, err);
    }
    if (e < 0) return e;
    if ((e = json_get_string(form, "runtime", false, 253, true, &f.runtime, err)) < 0) return e;
    if (f.runtime && !is_dns_subdomain(f.runtime))
        return refuse(err, "runtime: a ServingRuntime's name");
    e = json_get_string(form, "serviceAccountName", false, 253, true, &f.service_account, err);
    if (e < 0) return e;
    if (f.service_account && !is_dns_subdomain(f.service_account))
        return refuse(err, "serviceAccountName: a service account's name");
    if ((e = check_resources(form, &f, err)) < 0) return e;
    *ret = f;
    return 0;
}

int isvc_build(const struct isvc_form *f, const char *ns, const char *creator,
               const char *service_account, const char *storage_uri, cJSON **ret_isvc,
               char err[ISVC_ERROR_MAX])
{
    const char *uri = f->from_mlflow ? storage_uri : f->storage_uri;
    if (!uri || !isvc_is_storage_uri(uri))
        return refuse(err, "the model's artifact location is not a URI KServe can read");
    const char *sa = f->service_account                    ? f->service_account
                     : service_account && *service_account ? service_account
                                                           : NULL;
    bool ok = true;
    cJSON *isvc = cJSON_CreateObject();
    if (!isvc) return -ENOMEM;
    json_add_string(isvc, "apiVersion", ISVC_API_VERSION, &ok);
    json_add_string(isvc, "kind", "InferenceService", &ok);
    cJSON *meta = json_add_object(isvc, "metadata", &ok);
    json_add_string(meta, "name", f->name, &ok);
    json_add_string(meta, "namespace", ns, &ok);
    json_add_string(json_add_object(meta, "labels", &ok), "app.kubernetes.io/managed-by", "kfdash",
                    &ok);
    cJSON *annotations = json_add_object(meta, "annotations", &ok);
    json_add_string(annotations, ISVC_CREATOR_ANNOTATION, creator, &ok);
    if (f->from_mlflow) {
        json_add_string(annotations, ISVC_MLFLOW_MODEL_ANNOTATION, f->mlflow_model, &ok);
        json_add_string(annotations, ISVC_MLFLOW_VERSION_ANNOTATION, f->mlflow_version, &ok);
    }
    cJSON *predictor = json_add_object(json_add_object(isvc, "spec", &ok), "predictor", &ok);
    if (sa) json_add_string(predictor, "serviceAccountName", sa, &ok);
    cJSON *model = json_add_object(predictor, "model", &ok);
    cJSON *format = json_add_object(model, "modelFormat", &ok);
    json_add_string(format, "name", f->from_mlflow ? "mlflow" : f->model_format, &ok);
    if (!f->from_mlflow && f->format_version)
        json_add_string(format, "version", f->format_version, &ok);
    const char *protocol = f->from_mlflow ? "v2" : f->protocol;
    if (protocol) json_add_string(model, "protocolVersion", protocol, &ok);
    json_add_string(model, "storageUri", uri, &ok);
    if (f->runtime) json_add_string(model, "runtime", f->runtime, &ok);
    if (f->resources) json_add_item(model, "resources", cJSON_Duplicate(f->resources, 1), &ok);
    if (!ok) {
        cJSON_Delete(isvc);
        return -ENOMEM;
    }
    *ret_isvc = isvc;
    return 0;
}

/* ---------------------------------------------------------------- calling it */

/* An http(s) URL a proxy may use as its base: a host, then nothing or a path, no query, no
 * user info, no spaces nor control characters. */
static bool is_base_url(const char *s)
{
    size_t skip = strncmp(s, "http://", 7) == 0 ? 7 : strncmp(s, "https://", 8) == 0 ? 8 : 0;
    if (!skip || json_has_control(s, true) || strpbrk(s, "?#\\")) return false;
    const char *host = s + skip;
    size_t authority = strcspn(host, "/");
    if (authority == 0 || memchr(host, '@', authority)) return false;
    return true;
}

int isvc_address(const cJSON *isvc, char *out, size_t size)
{
    const cJSON *status = json_item(isvc, "status");
    const cJSON *ready = condition(status, "Ready");
    if (strcmp(json_text(ready, "status"), "True") != 0) {
        const char *failure =
            json_text(json_item(json_item(status, "modelStatus"), "lastFailureInfo"), "message");
        const char *why = *json_text(ready, "message")  ? json_text(ready, "message")
                          : *failure                    ? failure
                          : *json_text(ready, "reason") ? json_text(ready, "reason")
                                                        : "KServe has not reported it ready yet";
        snprintf(out, size, "%s", why);
        return -EAGAIN;
    }
    const char *url = json_text(json_item(status, "address"), "url");
    if (!*url) return -ENOENT;
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/') n--;
    if (n > ISVC_ADDRESS_MAX) return -EINVAL;
    char copy[ISVC_ADDRESS_MAX + 1];
    memcpy(copy, url, n);
    copy[n] = '\0';
    if (!is_base_url(copy)) return -EINVAL;
    if (n >= size) return -E2BIG;
    memcpy(out, copy, n + 1);
    return 0;
}

/* The next segment of *p (after its '/') when it is a model name or version: its length, 0
 * otherwise. stop: characters that end it besides '/' and NUL. */
static size_t path_name(const char *p, const char *stop)
{
    if (*p != '/') return 0;
    p++;
    size_t n = 0;
    while (p[n] && p[n] != '/' && !strchr(stop, p[n])) {
        if (!strchr(ALNUM "._-", p[n])) return 0;
        n++;
    }
    if (n == 0 || n > PATH_NAME_MAX || (n == 1 && p[0] == '.') ||
        (n == 2 && p[0] == '.' && p[1] == '.'))
        return 0;
    return n + 1;
}

enum isvc_call isvc_protocol_call(const char *path)
{
    if (strncmp(path, "/v1/models", 10) == 0) {
        const char *p = path + 10;
        size_t n = path_name(p, ":");
        if (!n) return ISVC_CALL_NONE;
        p += n;
        if (!*p) return ISVC_CALL_READ;
        return strcmp(p, ":predict") == 0 || strcmp(p, ":explain") == 0 ? ISVC_CALL_PREDICT
                                                                        : ISVC_CALL_NONE;
    }
    if (strcmp(path, "/v2") == 0 || strcmp(path, "/v2/health/ready") == 0 ||
        strcmp(path, "/v2/health/live") == 0)
        return ISVC_CALL_READ;
    if (strncmp(path, "/v2/models", 10) != 0) return ISVC_CALL_NONE;
    const char *p = path + 10;
    size_t n = path_name(p, "");
    if (!n) return ISVC_CALL_NONE;
    p += n;
    if (strncmp(p, "/versions", 9) == 0) {
        n = path_name(p + 9, "");
        if (!n) return ISVC_CALL_NONE;
        p += 9 + n;
    }
    if (!*p || strcmp(p, "/ready") == 0) return ISVC_CALL_READ;
    return strcmp(p, "/infer") == 0 ? ISVC_CALL_PREDICT : ISVC_CALL_NONE;
}
