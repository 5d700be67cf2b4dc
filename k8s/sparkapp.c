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

#include "k8s/name.h"

#define UI_PORT_DEFAULT 4040
#define VERSION_MAX     32
#define MEMORY_DIGITS   6
#define MEMORY_MAX      (MEMORY_DIGITS + 2) /* digits, unit, NUL */

/* ---------------------------------------------------------------- reading objects */

static const cJSON *item(const cJSON *o, const char *key)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

/* o[key] when a string, else "" (borrowed from o). */
static const char *text(const cJSON *o, const char *key)
{
    const cJSON *v = item(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* o[key] when a number, else 0. */
static double number(const cJSON *o, const char *key)
{
    const cJSON *v = item(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

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

/* cJSON_Add* that remember a failure in *ok (they return NULL when out of memory). */
static void add_string(cJSON *o, const char *key, const char *value, bool *ok)
{
    *ok = cJSON_AddStringToObject(o, key, value) && *ok;
}

static void add_number(cJSON *o, const char *key, double value, bool *ok)
{
    *ok = cJSON_AddNumberToObject(o, key, value) && *ok;
}

/* Adds child (taken; deleted when it cannot be added) to an object, or to an array when key
 * is NULL. */
static void add_item(cJSON *o, const char *key, cJSON *child, bool *ok)
{
    bool added =
        child && o && (key ? cJSON_AddItemToObject(o, key, child) : cJSON_AddItemToArray(o, child));
    if (!added) cJSON_Delete(child);
    *ok = added && *ok;
}

static cJSON *add_object(cJSON *o, const char *key, bool *ok)
{
    cJSON *child = cJSON_AddObjectToObject(o, key);
    *ok = child && *ok;
    return child;
}

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
    cJSON *by_pod = add_object(s, "executorStates", ok);
    cJSON *counts = add_object(s, "executorCounts", ok);
    const cJSON *e, *all = cJSON_IsObject(states) ? states : NULL;
    cJSON_ArrayForEach(e, all)
    {
        if (!*ok) return;
        if (!cJSON_IsString(e) || !e->string) continue;
        add_string(by_pod, e->string, e->valuestring, ok);
        cJSON *n = cJSON_GetObjectItemCaseSensitive(counts, e->valuestring);
        if (n)
            cJSON_SetNumberValue(n, n->valuedouble + 1);
        else
            add_number(counts, e->valuestring, 1, ok);
    }
}

cJSON *sparkapp_summary(const cJSON *app)
{
    const cJSON *meta = item(app, "metadata"), *spec = item(app, "spec");
    const cJSON *status = item(app, "status"), *driver = item(spec, "driver");
    const cJSON *executor = item(spec, "executor"), *info = item(status, "driverInfo");
    const cJSON *app_state = item(status, "applicationState");
    const char *name = text(meta, "name"), *ns = text(meta, "namespace");
    const char *state = text(app_state, "state");
    bool ok = true;
    cJSON *s = cJSON_CreateObject();
    if (!s) return NULL;
    add_string(s, "name", name, &ok);
    add_string(s, "namespace", ns, &ok);
    static const char *const spec_strings[] = {"type", "mode", "image", "mainApplicationFile",
                                               "mainClass"};
    for (size_t i = 0; i < sizeof(spec_strings) / sizeof(spec_strings[0]); i++)
        add_string(s, spec_strings[i], text(spec, spec_strings[i]), &ok);
    cJSON *args = cJSON_AddArrayToObject(s, "arguments");
    ok = args && ok;
    const cJSON *a, *given = item(spec, "arguments");
    if (!cJSON_IsArray(given)) given = NULL;
    cJSON_ArrayForEach(a, given)
    {
        if (cJSON_IsString(a)) add_item(args, NULL, cJSON_CreateString(a->valuestring), &ok);
    }
    add_string(s, "sparkVersion", text(spec, "sparkVersion"), &ok);
    add_string(s, "state", state, &ok);
    add_string(s, "errorMessage", text(app_state, "errorMessage"), &ok);
    add_string(s, "sparkApplicationId", text(status, "sparkApplicationId"), &ok);

    /* The UI Service: the operator's record of it, else the name it gives one by default
     * (none when the application turned its UI off). */
    char ui_service[SPARKAPP_POD_NAME_MAX + 1] = "";
    if (*text(info, "webUIServiceName"))
        snprintf(ui_service, sizeof(ui_service), "%s", text(info, "webUIServiceName"));
    else if (strcmp(text(item(spec, "sparkConf"), "spark.ui.enabled"), "false") != 0 && *name)
        snprintf(ui_service, sizeof(ui_service), "%s-ui-svc", name);
    double ui_port = number(info, "webUIPort");
    cJSON *d = add_object(s, "driver", &ok);
    add_string(d, "pod", text(info, "podName"), &ok);
    add_string(d, "state", driver_state(state), &ok);
    add_string(d, "serviceAccount", text(driver, "serviceAccount"), &ok);
    add_number(d, "cores", number(driver, "cores"), &ok);
    add_string(d, "memory", text(driver, "memory"), &ok);
    add_string(d, "uiService", ui_service, &ok);
    add_number(d, "uiPort", ui_port > 0 ? ui_port : UI_PORT_DEFAULT, &ok);
    cJSON *x = add_object(s, "executor", &ok);
    add_number(x, "instances", number(executor, "instances"), &ok);
    add_number(x, "cores", number(executor, "cores"), &ok);
    add_string(x, "memory", text(executor, "memory"), &ok);
    add_executor_states(s, item(status, "executorState"), &ok);

    add_number(s, "submissionAttempts", number(status, "submissionAttempts"), &ok);
    add_number(s, "executionAttempts", number(status, "executionAttempts"), &ok);
    add_string(s, "submittedAt", text(status, "lastSubmissionAttemptTime"), &ok);
    add_string(s, "terminatedAt", text(status, "terminationTime"), &ok);
    add_string(s, "createdAt", text(meta, "creationTimestamp"), &ok);
    /* The UI answers only while the driver runs (or is about to). Names that are not labels
     * would not make a path the proxy serves. */
    char ui_url[2 * 63 + 16] = "";
    bool live = strcmp(state, "RUNNING") == 0 || strcmp(state, "SUBMITTED") == 0;
    if (live && ui_service[0] && k8s_name_is_dns_label(ns) && k8s_name_is_dns_label(name))
        snprintf(ui_url, sizeof(ui_url), "/spark/%s/%s/", ns, name);
    add_string(s, "uiUrl", ui_url, &ok);
    if (!ok) {
        cJSON_Delete(s);
        return NULL;
    }
    return s;
}

int sparkapp_driver_pod(const cJSON *app, char *out, size_t size)
{
    const char *pod = text(item(item(app, "status"), "driverInfo"), "podName");
    char fallback[SPARKAPP_POD_NAME_MAX + 16];
    if (!*pod) {
        snprintf(fallback, sizeof(fallback), "%s-driver", text(item(app, "metadata"), "name"));
        pod = fallback;
    }
    if (!is_dns_subdomain(pod)) return -EINVAL;
    if (strlen(pod) >= size) return -E2BIG;
    memcpy(out, pod, strlen(pod) + 1);
    return 0;
}

/* ---------------------------------------------------------------- the submit form */

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

static bool has_control(const char *s, bool or_space)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f || (or_space && *s == ' ')) return true;
    return false;
}

/* o[key] as a string of 1..max bytes without control characters (nor spaces when tight), or
 * NULL in *ret when absent and not required. */
static int get_string(const cJSON *o, const char *key, bool required, size_t max, bool tight,
                      const char **ret, char err[SPARKAPP_ERROR_MAX])
{
    const cJSON *v = item(o, key);
    *ret = NULL;
    if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring)) {
        return required ? refuse(err, "%s: required", key) : 0;
    }
    if (!cJSON_IsString(v)) return refuse(err, "%s: a string", key);
    if (strlen(v->valuestring) > max) return refuse(err, "%s: at most %zu bytes", key, max);
    if (has_control(v->valuestring, tight))
        return refuse(err, "%s: no control characters%s", key, tight ? " or spaces" : "");
    *ret = v->valuestring;
    return 0;
}

/* o[key] as a whole number in [min, max], or dflt when absent. */
static int get_count(const cJSON *o, const char *where, const char *key, long min, long max,
                     long dflt, long *ret, char err[SPARKAPP_ERROR_MAX])
{
    const cJSON *v = item(o, key);
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
    const cJSON *v = item(o, "memory");
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
    const cJSON *v = item(form, key);
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
    int e = get_string(j, "name", true, 63, true, &f->name, err);
    if (e < 0) return e;
    if (!k8s_name_is_dns_label(f->name))
        return refuse(err, "name: 1-63 lowercase letters, digits or '-', starting and ending "
                           "with a letter or digit");
    if ((e = get_string(j, "type", true, 16, true, &f->type, err)) < 0) return e;
    static const char *const types[] = {"Python", "Scala", "Java", "R"};
    bool known = false;
    for (size_t i = 0; i < 4; i++) known = known || strcmp(f->type, types[i]) == 0;
    if (!known) return refuse(err, "type: Python, Scala, Java or R");
    return 0;
}

static int check_program(const cJSON *j, struct form *f, char err[SPARKAPP_ERROR_MAX])
{
    int e = get_string(j, "image", true, SPARKAPP_IMAGE_MAX, true, &f->image, err);
    if (e < 0) return e;
    e = get_string(j, "mainApplicationFile", true, SPARKAPP_FILE_MAX, false, &f->file, err);
    if (e < 0) return e;
    bool jvm = strcmp(f->type, "Scala") == 0 || strcmp(f->type, "Java") == 0;
    e = get_string(j, "mainClass", jvm, SPARKAPP_CLASS_MAX, true, &f->main_class, err);
    if (e < 0) return e;
    if (f->main_class && !is_class_name(f->main_class))
        return refuse(err, "mainClass: a class name like org.apache.spark.examples.SparkPi");
    if ((e = get_string(j, "sparkVersion", false, VERSION_MAX, true, &f->version, err)) < 0)
        return e;
    if (f->version && !is_version(f->version))
        return refuse(err, "sparkVersion: a version like " SPARKAPP_DEFAULT_SPARK_VERSION);
    if (!f->version) f->version = SPARKAPP_DEFAULT_SPARK_VERSION;
    return 0;
}

static int check_arguments_and_conf(const cJSON *j, struct form *f, char err[SPARKAPP_ERROR_MAX])
{
    const cJSON *args = item(j, "arguments");
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
    const cJSON *conf = item(j, "sparkConf");
    if (conf && !cJSON_IsNull(conf)) {
        if (!cJSON_IsObject(conf)) return refuse(err, "sparkConf: an object of strings");
        if (cJSON_GetArraySize(conf) > SPARKAPP_CONF_MAX)
            return refuse(err, "sparkConf: at most %d entries", SPARKAPP_CONF_MAX);
        const cJSON *c;
        cJSON_ArrayForEach(c, conf)
        {
            if (!c->string || !*c->string || strlen(c->string) > SPARKAPP_CONF_KEY_MAX ||
                has_control(c->string, true))
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
    e = get_string(driver, "serviceAccount", false, SPARKAPP_POD_NAME_MAX, true,
                   &f->service_account, err);
    if (e < 0) return refuse(err, "driver.serviceAccount: a service account name");
    if (f->service_account && !is_dns_subdomain(f->service_account))
        return refuse(err, "driver.serviceAccount: a service account name");
    if (!f->service_account) f->service_account = "spark";
    return get_count(j, "", "timeToLiveSeconds", 1, SPARKAPP_TTL_MAX, 0, &f->ttl, err);
}

/* The SparkApplication a checked form asks for. */
static cJSON *build(const struct form *f, const char *ns, const char *creator)
{
    bool ok = true;
    cJSON *app = cJSON_CreateObject();
    if (!app) return NULL;
    add_string(app, "apiVersion", SPARKAPP_API_VERSION, &ok);
    add_string(app, "kind", "SparkApplication", &ok);
    cJSON *meta = add_object(app, "metadata", &ok);
    add_string(meta, "name", f->name, &ok);
    add_string(meta, "namespace", ns, &ok);
    cJSON *labels = add_object(meta, "labels", &ok);
    add_string(labels, "app.kubernetes.io/managed-by", "kfdash", &ok);
    add_string(add_object(meta, "annotations", &ok), SPARKAPP_CREATOR_ANNOTATION, creator, &ok);
    cJSON *spec = add_object(app, "spec", &ok);
    add_string(spec, "type", f->type, &ok);
    add_string(spec, "mode", "cluster", &ok);
    add_string(spec, "image", f->image, &ok);
    add_string(spec, "mainApplicationFile", f->file, &ok);
    if (f->main_class) add_string(spec, "mainClass", f->main_class, &ok);
    if (f->arguments) add_item(spec, "arguments", cJSON_Duplicate(f->arguments, 1), &ok);
    add_string(spec, "sparkVersion", f->version, &ok);
    if (f->conf) add_item(spec, "sparkConf", cJSON_Duplicate(f->conf, 1), &ok);
    add_string(add_object(spec, "restartPolicy", &ok), "type", "Never", &ok);
    if (f->ttl) add_number(spec, "timeToLiveSeconds", (double)f->ttl, &ok);
    cJSON *d = add_object(spec, "driver", &ok);
    add_number(d, "cores", (double)f->driver_cores, &ok);
    add_string(d, "memory", f->driver_memory, &ok);
    add_string(d, "serviceAccount", f->service_account, &ok);
    cJSON *x = add_object(spec, "executor", &ok);
    add_number(x, "instances", (double)f->executor_instances, &ok);
    add_number(x, "cores", (double)f->executor_cores, &ok);
    add_string(x, "memory", f->executor_memory, &ok);
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
    add_string(f, "name", t->id, ok);
    add_string(f, "type", t->type, ok);
    add_string(f, "image", "spark:" SPARKAPP_DEFAULT_SPARK_VERSION, ok);
    add_string(f, "mainApplicationFile", t->file, ok);
    if (t->main_class) add_string(f, "mainClass", t->main_class, ok);
    add_item(f, "arguments", cJSON_CreateStringArray(&t->argument, 1), ok);
    add_string(f, "sparkVersion", SPARKAPP_DEFAULT_SPARK_VERSION, ok);
    add_object(f, "sparkConf", ok);
    cJSON *d = add_object(f, "driver", ok);
    add_number(d, "cores", 1, ok);
    add_string(d, "memory", "512m", ok);
    add_string(d, "serviceAccount", "spark", ok);
    cJSON *x = add_object(f, "executor", ok);
    add_number(x, "instances", 1, ok);
    add_number(x, "cores", 1, ok);
    add_string(x, "memory", "512m", ok);
    add_number(f, "timeToLiveSeconds", 3600, ok);
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
        add_item(list, NULL, t, &ok);
        if (!ok) break; /* t is gone */
        add_string(t, "id", templates[i].id, &ok);
        add_string(t, "title", templates[i].title, &ok);
        add_string(t, "description", templates[i].description, &ok);
        add_item(t, "form", template_form(&templates[i], &ok), &ok);
    }
    if (!ok) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}
