/* k8s/sparkapp: SparkApplications as the dashboard shows and submits them; see sparkapp.h. */
#include "k8s/sparkapp.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "k8s/json.h"
#include "k8s/name.h"

#define UI_PORT_DEFAULT 4040
#define VERSION_MAX     32
#define MEMORY_DIGITS   6
#define MEMORY_MAX      (MEMORY_DIGITS + 2) /* digits, unit, NUL */

/* ---------------------------------------------------------------- names */

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A DNS-1123 subdomain (pod and service account names): dot-separated DNS labels, 1-253. */
static bool is_dns_subdomain(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > SPARKAPP_POD_NAME_MAX) return false;
    for (const char *label = s; *label;) {
        size_t len = strcspn(label, ".");
        if (len == 0 || !is_lower_alnum(label[0]) || !is_lower_alnum(label[len - 1])) return false;
        for (size_t i = 0; i < len; i++)
            if (!is_lower_alnum(label[i]) && label[i] != '-') return false;
        label += len;
        if (*label == '.' && !*++label) return false; /* a trailing dot */
    }
    return true;
}

/* ---------------------------------------------------------------- the summary */

/* The driver pod's state as the operator's application state implies it. */
static const char *driver_state(const char *app_state)
{
    static const char *const map[][2] = {
        {"SUBMITTED", "PENDING"},   {"RUNNING", "RUNNING"}, {"SUCCEEDING", "COMPLETED"},
        {"COMPLETED", "COMPLETED"}, {"FAILING", "FAILED"},  {"FAILED", "FAILED"},
        {"UNKNOWN", "UNKNOWN"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(app_state, map[i][0]) == 0) return map[i][1];
    return "";
}

/* executorStates (a copy of status.executorState) and executorCounts (pods per state). */
static void add_executor_states(cJSON *s, const cJSON *states, bool *ok)
{
    cJSON *by_pod = json_add_object(s, "executorStates", ok);
    cJSON *counts = json_add_object(s, "executorCounts", ok);
    const cJSON *e, *all = cJSON_IsObject(states) ? states : NULL;
    cJSON_ArrayForEach(e, all)
    {
        if (!*ok) return;
        if (!cJSON_IsString(e) || !e->string) continue;
        json_add_string(by_pod, e->string, e->valuestring, ok);
        cJSON *n = cJSON_GetObjectItemCaseSensitive(counts, e->valuestring);
        if (n)
            cJSON_SetNumberValue(n, n->valuedouble + 1);
        else
            json_add_number(counts, e->valuestring, 1, ok);
    }
}

cJSON *sparkapp_summary(const cJSON *app)
{
    const cJSON *meta = json_item(app, "metadata"), *spec = json_item(app, "spec");
    const cJSON *status = json_item(app, "status"), *driver = json_item(spec, "driver");
    const cJSON *executor = json_item(spec, "executor"), *info = json_item(status, "driverInfo");
    const cJSON *app_state = json_item(status, "applicationState");
    const char *name = json_text(meta, "name"), *ns = json_text(meta, "namespace");
    const char *state = json_text(app_state, "state");
    bool ok = true;
    cJSON *s = cJSON_CreateObject();
    if (!s) return NULL;
    json_add_string(s, "name", name, &ok);
    json_add_string(s, "namespace", ns, &ok);
    static const char *const spec_strings[] = {"type", "mode", "image", "mainApplicationFile",
                                               "mainClass"};
    for (size_t i = 0; i < sizeof(spec_strings) / sizeof(spec_strings[0]); i++)
        json_add_string(s, spec_strings[i], json_text(spec, spec_strings[i]), &ok);
    cJSON *args = cJSON_AddArrayToObject(s, "arguments");
    ok = args && ok;
    const cJSON *a, *given = json_item(spec, "arguments");
    if (!cJSON_IsArray(given)) given = NULL;
    cJSON_ArrayForEach(a, given)
    {
        if (cJSON_IsString(a)) json_add_item(args, NULL, cJSON_CreateString(a->valuestring), &ok);
    }
    json_add_string(s, "sparkVersion", json_text(spec, "sparkVersion"), &ok);
    json_add_string(s, "state", state, &ok);
    json_add_string(s, "errorMessage", json_text(app_state, "errorMessage"), &ok);
    json_add_string(s, "sparkApplicationId", json_text(status, "sparkApplicationId"), &ok);

    /* The UI Service: the operator's record of it, else the name it gives one by default
     * (none when the application turned its UI off). */
    char ui_service[SPARKAPP_POD_NAME_MAX + 1] = "";
    if (*json_text(info, "webUIServiceName"))
        snprintf(ui_service, sizeof(ui_service), "%s", json_text(info, "webUIServiceName"));
    else if (strcmp(json_text(json_item(spec, "sparkConf"), "spark.ui.enabled"), "false") != 0 &&
             *name)
        snprintf(ui_service, sizeof(ui_service), "%s-ui-svc", name);
    double ui_port = json_number(info, "webUIPort");
    cJSON *d = json_add_object(s, "driver", &ok);
    json_add_string(d, "pod", json_text(info, "podName"), &ok);
    json_add_string(d, "state", driver_state(state), &ok);
    json_add_string(d, "serviceAccount", json_text(driver, "serviceAccount"), &ok);
    json_add_number(d, "cores", json_number(driver, "cores"), &ok);
    json_add_string(d, "memory", json_text(driver, "memory"), &ok);
    json_add_string(d, "uiService", ui_service, &ok);
    json_add_number(d, "uiPort", ui_port > 0 ? ui_port : UI_PORT_DEFAULT, &ok);
    cJSON *x = json_add_object(s, "executor", &ok);
    json_add_number(x, "instances", json_number(executor, "instances"), &ok);
    json_add_number(x, "cores", json_number(executor, "cores"), &ok);
    json_add_string(x, "memory", json_text(executor, "memory"), &ok);
    add_executor_states(s, json_item(status, "executorState"), &ok);

    json_add_number(s, "submissionAttempts", json_number(status, "submissionAttempts"), &ok);
    json_add_number(s, "executionAttempts", json_number(status, "executionAttempts"), &ok);
    json_add_string(s, "submittedAt", json_text(status, "lastSubmissionAttemptTime"), &ok);
    json_add_string(s, "terminatedAt", json_text(status, "terminationTime"), &ok);
    json_add_string(s, "createdAt", json_text(meta, "creationTimestamp"), &ok);
    /* The UI answers only while the driver runs (or is about to). Names that are not labels
     * would not make a path the proxy serves. */
    char ui_url[2 * 63 + 16] = "";
    bool live = strcmp(state, "RUNNING") == 0 || strcmp(state, "SUBMITTED") == 0;
    if (live && ui_service[0] && k8s_name_is_dns_label(ns) && k8s_name_is_dns_label(name))
        snprintf(ui_url, sizeof(ui_url), "/spark/%s/%s/", ns, name);
    json_add_string(s, "uiUrl", ui_url, &ok);
    if (!ok) {
        cJSON_Delete(s);
        return NULL;
    }
    return s;
}

int sparkapp_driver_pod(const cJSON *app, char *out, size_t size)
{
    const char *pod = json_text(json_item(json_item(app, "status"), "driverInfo"), "podName");
    char fallback[SPARKAPP_POD_NAME_MAX + 16];
    if (!*pod) {
        snprintf(fallback, sizeof(fallback), "%s-driver",
                 json_text(json_item(app, "metadata"), "name"));
        pod = fallback;
    }
    if (!is_dns_subdomain(pod)) return -EINVAL;
    if (strlen(pod) >= size) return -E2BIG;
    memcpy(out, pod, strlen(pod) + 1);
    return 0;
}

/* ---------------------------------------------------------------- the submit form */

/* json_get_string explains a refusal in the same err. */
_Static_assert(SPARKAPP_ERROR_MAX == JSON_ERROR_MAX, "err sizes differ");

/* Sets err and returns -EINVAL, for the checks below. */
__attribute__((format(printf, 2, 3))) static int refuse(char err[SPARKAPP_ERROR_MAX],
                                                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, SPARKAPP_ERROR_MAX, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* o[key] as a whole number in [min, max], or dflt when absent. */
static int get_count(const cJSON *o, const char *where, const char *key, long min, long max,
                     long dflt, long *ret, char err[SPARKAPP_ERROR_MAX])
{
    const cJSON *v = json_item(o, key);
    if (!v || cJSON_IsNull(v)) {
        *ret = dflt;
        return 0;
    }
    double d = v->valuedouble;
    /* In range first, so the cast to long is defined; then whole. */
    if (!cJSON_IsNumber(v) || !(d >= (double)min && d <= (double)max) || d != (double)(long)d)
        return refuse(err, "%s%s: a whole number from %ld to %ld", where, key, min, max);
    *ret = (long)d;
    return 0;
}

/* A size as Spark reads it ("512m", "2G", "512mb") or as Kubernetes writes it ("1Gi"), written
 * out the way Spark reads it ("1g"): 1-6 digits, no leading zero, and a unit k, m, g or t. */
static int get_memory(const cJSON *o, const char *where, char out[MEMORY_MAX],
                      char err[SPARKAPP_ERROR_MAX])
{
    const cJSON *v = json_item(o, "memory");
    if (!v || cJSON_IsNull(v)) {
        snprintf(out, MEMORY_MAX, "512m");
        return 0;
    }
    static const char *const spark_units[] = {"k", "m", "g", "t", "kb", "mb", "gb", "tb"};
    static const char *const kube_units[] = {"Ki", "Mi", "Gi", "Ti"};
    const char *s = cJSON_IsString(v) ? v->valuestring : "";
    size_t digits = strspn(s, "0123456789");
    const char *unit = s + digits;
    bool known = false;
    for (size_t i = 0; i < 8; i++) known = known || strcasecmp(unit, spark_units[i]) == 0;
    for (size_t i = 0; i < 4; i++) known = known || strcmp(unit, kube_units[i]) == 0;
    if (digits == 0 || digits > MEMORY_DIGITS || s[0] == '0' || !known)
        return refuse(err, "%smemory: a size like 512m, 2g or 1Gi", where);
    snprintf(out, MEMORY_MAX, "%.*s%c", (int)digits, s, (char)tolower((unsigned char)*unit));
    return 0;
}

/* A Java class name: dot-separated identifiers. */
static bool is_class_name(const char *s)
{
    bool start = true;
    for (; *s; s++) {
        char c = *s;
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
        bool digit = c >= '0' && c <= '9';
        if (c == '.' && !start) {
            start = true;
        } else if (letter || (digit && !start)) {
            start = false;
        } else {
            return false;
        }
    }
    return !start;
}

static bool is_version(const char *s)
{
    for (; *s; s++)
        if (!strchr("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-+_", *s))
            return false;
    return true;
}

/* form[key], "driver" or "executor": an object, or absent (NULL in *ret: the defaults). */
static int get_role(const cJSON *form, const char *key, const cJSON **ret,
                    char err[SPARKAPP_ERROR_MAX])
{
    const cJSON *v = json_item(form, key);
    *ret = cJSON_IsObject(v) ? v : NULL;
    if (v && !cJSON_IsNull(v) && !cJSON_IsObject(v)) return refuse(err, "%s: an object", key);
    return 0;
}

/* What a valid form asks for; strings borrowed from the form. */
struct form {
    const char *name, *type, *image, *file, *main_class, *version, *service_account;
    const cJSON *arguments; /* array of strings, or NULL */
    const cJSON *conf;      /* object of strings, or NULL */
    long driver_cores, executor_instances, executor_cores, ttl;
    char driver_memory[MEMORY_MAX], executor_memory[MEMORY_MAX];
};

static int check_name_and_type(const cJSON *j, struct form *f, char err[SPARKAPP_ERROR_MAX])
{
    int e = json_get_string(j, "name", true, 63, true, &f->name, err);
    if (e < 0) return e;
    if (!k8s_name_is_dns_label(f->name))
        return refuse(err, "name: 1-63 lowercase letters, digits or '-', starting and ending "
                           "with a letter or digit");
    if ((e = json_get_string(j, "type", true, 16, true, &f->type, err)) < 0) return e;
    static const char *const types[] = {"Python", "Scala", "Java", "R"};
    bool known = false;
    for (size_t i = 0; i < 4; i++) known = known || strcmp(f->type, types[i]) == 0;
    if (!known) return refuse(err, "type: Python, Scala, Java or R");
    return 0;
}

static int check_program(const cJSON *j, struct form *f, char err[SPARKAPP_ERROR_MAX])
{
    int e = json_get_string(j, "image", true, SPARKAPP_IMAGE_MAX, true, &f->image, err);
    if (e < 0) return e;
    e = json_get_string(j, "mainApplicationFile", true, SPARKAPP_FILE_MAX, false, &f->file, err);
    if (e < 0) return e;
    bool jvm = strcmp(f->type, "Scala") == 0 || strcmp(f->type, "Java") == 0;
    e = json_get_string(j, "mainClass", jvm, SPARKAPP_CLASS_MAX, true, &f->main_class, err);
    if (e < 0) return e;
    if (f->main_class && !is_class_name(f->main_class))
        return refuse(err, "mainClass: a class name like org.apache.spark.examples.SparkPi");
    if ((e = json_get_string(j, "sparkVersion", false, VERSION_MAX, true, &f->version, err)) < 0)
        return e;
    if (f->version && !is_version(f->version))
        return refuse(err, "sparkVersion: a version like " SPARKAPP_DEFAULT_SPARK_VERSION);
    if (!f->version) f->version = SPARKAPP_DEFAULT_SPARK_VERSION;
    return 0;
}

static int check_arguments_and_conf(const cJSON *j, struct form *f, char err[SPARKAPP_ERROR_MAX])
{
    const cJSON *args = json_item(j, "arguments");
    if (args && !cJSON_IsNull(args)) {
        if (!cJSON_IsArray(args)) return refuse(err, "arguments: a list of strings");
        if (cJSON_GetArraySize(args) > SPARKAPP_ARGS_MAX)
            return refuse(err, "arguments: at most %d", SPARKAPP_ARGS_MAX);
        const cJSON *a;
        cJSON_ArrayForEach(a, args)
        {
            if (!cJSON_IsString(a)) return refuse(err, "arguments: a list of strings");
            if (strlen(a->valuestring) > SPARKAPP_ARG_MAX)
                return refuse(err, "arguments: each at most %d bytes", SPARKAPP_ARG_MAX);
        }
        f->arguments = args;
    }
    const cJSON *conf = json_item(j, "sparkConf");
    if (conf && !cJSON_IsNull(conf)) {
        if (!cJSON_IsObject(conf)) return refuse(err, "sparkConf: an object of strings");
        if (cJSON_GetArraySize(conf) > SPARKAPP_CONF_MAX)
            return refuse(err, "sparkConf: at most %d entries", SPARKAPP_CONF_MAX);
        const cJSON *c;
        cJSON_ArrayForEach(c, conf)
        {
            if (!c->string || !*c->string || strlen(c->string) > SPARKAPP_CONF_KEY_MAX ||
                json_has_control(c->string, true))
                return refuse(err, "sparkConf: keys of 1-%d bytes, no spaces",
                              SPARKAPP_CONF_KEY_MAX);
            if (!cJSON_IsString(c)) return refuse(err, "sparkConf: values are strings");
            if (strlen(c->valuestring) > SPARKAPP_CONF_VALUE_MAX)
                return refuse(err, "sparkConf: values of at most %d bytes",
                              SPARKAPP_CONF_VALUE_MAX);
            for (const cJSON *p = conf->child; p != c; p = p->next)
                if (strcmp(p->string, c->string) == 0)
                    return refuse(err, "sparkConf: %.64s given twice", c->string);
        }
        f->conf = conf;
    }
    return 0;
}

static int check_resources(const cJSON *j, struct form *f, char err[SPARKAPP_ERROR_MAX])
{
    const cJSON *driver, *executor;
    int e = get_role(j, "driver", &driver, err);
    if (e < 0 || (e = get_role(j, "executor", &executor, err)) < 0) return e;
    if ((e = get_count(driver, "driver.", "cores", 1, SPARKAPP_CORES_MAX, 1, &f->driver_cores,
                       err)) < 0 ||
        (e = get_memory(driver, "driver.", f->driver_memory, err)) < 0 ||
        (e = get_count(executor, "executor.", "instances", 1, SPARKAPP_INSTANCES_MAX, 1,
                       &f->executor_instances, err)) < 0 ||
        (e = get_count(executor, "executor.", "cores", 1, SPARKAPP_CORES_MAX, 1, &f->executor_cores,
                       err)) < 0 ||
        (e = get_memory(executor, "executor.", f->executor_memory, err)) < 0)
        return e;
    e = json_get_string(driver, "serviceAccount", false, SPARKAPP_POD_NAME_MAX, true,
                        &f->service_account, err);
    if (e < 0) return refuse(err, "driver.serviceAccount: a service account name");
    if (f->service_account && !is_dns_subdomain(f->service_account))
        return refuse(err, "driver.serviceAccount: a service account name");
    if (!f->service_account) f->service_account = "spark";
    return get_count(j, "", "timeToLiveSeconds", 1, SPARKAPP_TTL_MAX, 0, &f->ttl, err);
}

/* Spark pods run without Istio's sidecar (the pod label Istio's injector reads), as Kubeflow's
 * Spark operator guide asks: a sidecar keeps a finished driver's pod running, intercepts the
 * driver-executor traffic, and would put the driver's UI behind the profile's gateway-only
 * policy that kfdash's /spark proxy cannot pass (packaging/kustomize/README.md). */
static void no_mesh_sidecar(cJSON *pod, bool *ok)
{
    json_add_string(json_add_object(pod, "labels", ok), "sidecar.istio.io/inject", "false", ok);
}

/* The SparkApplication a checked form asks for. */
static cJSON *build(const struct form *f, const char *ns, const char *creator)
{
    bool ok = true;
    cJSON *app = cJSON_CreateObject();
    if (!app) return NULL;
    json_add_string(app, "apiVersion", SPARKAPP_API_VERSION, &ok);
    json_add_string(app, "kind", "SparkApplication", &ok);
    cJSON *meta = json_add_object(app, "metadata", &ok);
    json_add_string(meta, "name", f->name, &ok);
    json_add_string(meta, "namespace", ns, &ok);
    cJSON *labels = json_add_object(meta, "labels", &ok);
    json_add_string(labels, "app.kubernetes.io/managed-by", "kfdash", &ok);
    json_add_string(json_add_object(meta, "annotations", &ok), SPARKAPP_CREATOR_ANNOTATION, creator,
                    &ok);
    cJSON *spec = json_add_object(app, "spec", &ok);
    json_add_string(spec, "type", f->type, &ok);
    json_add_string(spec, "mode", "cluster", &ok);
    json_add_string(spec, "image", f->image, &ok);
    json_add_string(spec, "mainApplicationFile", f->file, &ok);
    if (f->main_class) json_add_string(spec, "mainClass", f->main_class, &ok);
    if (f->arguments) json_add_item(spec, "arguments", cJSON_Duplicate(f->arguments, 1), &ok);
    json_add_string(spec, "sparkVersion", f->version, &ok);
    if (f->conf) json_add_item(spec, "sparkConf", cJSON_Duplicate(f->conf, 1), &ok);
    json_add_string(json_add_object(spec, "restartPolicy", &ok), "type", "Never", &ok);
    if (f->ttl) json_add_number(spec, "timeToLiveSeconds", (double)f->ttl, &ok);
    cJSON *d = json_add_object(spec, "driver", &ok);
    no_mesh_sidecar(d, &ok);
    json_add_number(d, "cores", (double)f->driver_cores, &ok);
    json_add_string(d, "memory", f->driver_memory, &ok);
    json_add_string(d, "serviceAccount", f->service_account, &ok);
    cJSON *x = json_add_object(spec, "executor", &ok);
    no_mesh_sidecar(x, &ok);
    json_add_number(x, "instances", (double)f->executor_instances, &ok);
    json_add_number(x, "cores", (double)f->executor_cores, &ok);
    json_add_string(x, "memory", f->executor_memory, &ok);
    if (!ok) {
        cJSON_Delete(app);
        return NULL;
    }
    return app;
}

int sparkapp_build(const cJSON *form, const char *ns, const char *creator, cJSON **ret_app,
                   char err[SPARKAPP_ERROR_MAX])
{
    struct form f = {0};
    if (!cJSON_IsObject(form)) return refuse(err, "send a JSON object");
    int e = check_name_and_type(form, &f, err);
    if (e < 0 || (e = check_program(form, &f, err)) < 0 ||
        (e = check_arguments_and_conf(form, &f, err)) < 0 ||
        (e = check_resources(form, &f, err)) < 0)
        return e;
    cJSON *app = build(&f, ns, creator);
    if (!app) return -ENOMEM;
    *ret_app = app;
    return 0;
}

/* ---------------------------------------------------------------- templates */

struct template
{
    const char *id, *title, *description, *type, *file, *main_class, *argument;
};

#define SA_NOTE                                                                                    \
    " The driver runs as the service account 'spark': the namespace needs one by that name, "      \
    "allowed to create pods, services and config maps (the driver starts the executors)."

static const struct template templates[] = {
    {"spark-pi-python", "PySpark: estimate pi",
     "Estimates pi by throwing random darts, in Python, on the "
     "Spark " SPARKAPP_DEFAULT_SPARK_VERSION " image: one driver and one executor." SA_NOTE,
     "Python", "local:///opt/spark/examples/src/main/python/pi.py", NULL, "10"},
    {"spark-pi-scala", "Scala: SparkPi",
     "Spark's own SparkPi example, on the JVM, from the Spark " SPARKAPP_DEFAULT_SPARK_VERSION
     " image: one driver and one executor." SA_NOTE,
     "Scala", "local:///opt/spark/examples/jars/spark-examples.jar",
     "org.apache.spark.examples.SparkPi", "100"},
};

static cJSON *template_form(const struct template *t, bool *ok)
{
    cJSON *f = cJSON_CreateObject();
    *ok = f && *ok;
    json_add_string(f, "name", t->id, ok);
    json_add_string(f, "type", t->type, ok);
    json_add_string(f, "image", "spark:" SPARKAPP_DEFAULT_SPARK_VERSION, ok);
    json_add_string(f, "mainApplicationFile", t->file, ok);
    if (t->main_class) json_add_string(f, "mainClass", t->main_class, ok);
    json_add_item(f, "arguments", cJSON_CreateStringArray(&t->argument, 1), ok);
    json_add_string(f, "sparkVersion", SPARKAPP_DEFAULT_SPARK_VERSION, ok);
    json_add_object(f, "sparkConf", ok);
    cJSON *d = json_add_object(f, "driver", ok);
    json_add_number(d, "cores", 1, ok);
    json_add_string(d, "memory", "512m", ok);
    json_add_string(d, "serviceAccount", "spark", ok);
    cJSON *x = json_add_object(f, "executor", ok);
    json_add_number(x, "instances", 1, ok);
    json_add_number(x, "cores", 1, ok);
    json_add_string(x, "memory", "512m", ok);
    json_add_number(f, "timeToLiveSeconds", 3600, ok);
    return f;
}

cJSON *sparkapp_templates(void)
{
    bool ok = true;
    cJSON *j = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(j, "templates");
    ok = list != NULL;
    for (size_t i = 0; ok && i < sizeof(templates) / sizeof(templates[0]); i++) {
        cJSON *t = cJSON_CreateObject();
        json_add_item(list, NULL, t, &ok);
        if (!ok) break; /* t is gone */
        json_add_string(t, "id", templates[i].id, &ok);
        json_add_string(t, "title", templates[i].title, &ok);
        json_add_string(t, "description", templates[i].description, &ok);
        json_add_item(t, "form", template_form(&templates[i], &ok), &ok);
    }
    if (!ok) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}
