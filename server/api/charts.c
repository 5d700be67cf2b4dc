/* charts: see charts.h. */
#include "server/api/charts.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/name.h"
#include "lib/buf.h"

/* The label KServe's pods carry (labelmap of serving.kserve.io/inferenceservice). */
#define ISVC "serving_kserve_io_inferenceservice"
/* MLServer's inference calls (its metrics port): successes and failures, two counters it makes
 * together for each model. rate() drops the names, so the two are summed apart and added. */
#define INFER                                                                                      \
    "(sum by (" ISVC ") (rate(model_infer_request_success_total{$S}[$W])) + sum by (" ISVC         \
    ") (rate(model_infer_request_failure_total{$S}[$W])))"
/* Its REST server's histogram of request durations: inference calls are its POSTs. */
#define DURATION(q, name)                                                                          \
    "label_replace(histogram_quantile(" q ", sum by (le, " ISVC ") "                               \
    "(rate(rest_server_request_duration_seconds_bucket{method=\"POST\",$S}[$W]))), "               \
    "\"quantile\", \"" name "\", \"\", \"\")"
/* cAdvisor's containers, without the pause container and the pod's own cgroup. */
#define CONTAINERS "container!=\"\",container!=\"POD\""

static const struct charts_chart table[] = {
    /* ---- a namespace's charts: $S is its matcher, and the workload's */
    {"endpoint-requests", "Requests per second", "req/s", "endpoint", ISVC, ISVC, INFER, false},
    {"endpoint-errors", "Error ratio", "ratio", "endpoint", ISVC, ISVC,
     "sum by (" ISVC ") (rate(model_infer_request_failure_total{$S}[$W])) / " INFER, false},
    {"endpoint-latency", "Latency (p50, p90, p99)", "s", "endpoint", ISVC, ISVC " quantile",
     DURATION("0.5", "p50") " or " DURATION("0.9", "p90") " or " DURATION("0.99", "p99"), false},
    {"notebook-cpu", "Notebook CPU", "cores", "notebook", "notebook_name", "notebook_name",
     "sum by (notebook_name) (rate(process_cpu_seconds_total{notebook_name!=\"\",$S}[$W]))", false},
    {"notebook-memory", "Notebook memory", "bytes", "notebook", "notebook_name", "notebook_name",
     "sum by (notebook_name) (process_resident_memory_bytes{notebook_name!=\"\",$S})", false},
    {"spark-cpu", "Spark driver CPU", "cores", "spark", "sparkoperator_k8s_io_app_name",
     "sparkoperator_k8s_io_app_name",
     "sum by (sparkoperator_k8s_io_app_name) "
     "(rate({__name__=~\"metrics_.+_driver_JVMCPU_jvmCpuTime_Value\",$S}[$W])) / 1e9",
     false},
    {"spark-memory", "Spark driver memory (JVM heap used)", "bytes", "spark",
     "sparkoperator_k8s_io_app_name", "sparkoperator_k8s_io_app_name",
     "sum by (sparkoperator_k8s_io_app_name) "
     "({__name__=~\"metrics_.+_driver_jvm_heap_used_Value\",$S})",
     false},
    {"pod-cpu", "Pod CPU", "cores", "pod", "pod", "pod",
     "sum by (pod) (rate(container_cpu_usage_seconds_total{" CONTAINERS ",$S}[$W]))", false},
    {"pod-memory", "Pod memory (working set)", "bytes", "pod", "pod", "pod",
     "sum by (pod) (container_memory_working_set_bytes{" CONTAINERS ",$S})", false},
    {"gpu-utilization", "GPU utilization", "%", "pod", "pod", "pod",
     "avg by (pod) (DCGM_FI_DEV_GPU_UTIL{$S})", false},
    {"gpu-memory", "GPU memory used", "bytes", "pod", "pod", "pod",
     "sum by (pod) (DCGM_FI_DEV_FB_USED{$S}) * 1048576", false},
    /* ---- across the cluster (admins): the 20 busiest namespaces at each step */
    {"requests", "Model requests per second by namespace", "req/s", NULL, NULL, "namespace",
     "topk(20, sum by (namespace) (rate(model_infer_request_success_total{namespace!=\"\"}[$W])) "
     "+ sum by (namespace) (rate(model_infer_request_failure_total{namespace!=\"\"}[$W])))",
     true},
    {"process-cpu", "Server CPU by namespace (notebooks, model servers)", "cores", NULL, NULL,
     "namespace",
     "topk(20, sum by (namespace) (rate(process_cpu_seconds_total{namespace!=\"\"}[$W])))", true},
    {"process-memory", "Server memory by namespace", "bytes", NULL, NULL, "namespace",
     "topk(20, sum by (namespace) (process_resident_memory_bytes{namespace!=\"\"}))", true},
    {"pod-cpu", "Pod CPU by namespace", "cores", NULL, NULL, "namespace",
     "topk(20, sum by (namespace) "
     "(rate(container_cpu_usage_seconds_total{" CONTAINERS ",namespace!=\"\"}[$W])))",
     true},
    {"pod-memory", "Pod memory by namespace", "bytes", NULL, NULL, "namespace",
     "topk(20, sum by (namespace) "
     "(container_memory_working_set_bytes{" CONTAINERS ",namespace!=\"\"}))",
     true},
    {"node-cpu", "Node CPU (busy)", "cores", NULL, NULL, "instance",
     "sum by (instance) (rate(node_cpu_seconds_total{mode!=\"idle\"}[$W]))", true},
    {"gpu-utilization", "GPU utilization by namespace", "%", NULL, NULL, "namespace",
     "avg by (namespace) (DCGM_FI_DEV_GPU_UTIL{namespace!=\"\"})", true},
};

#define N_CHARTS (sizeof(table) / sizeof(table[0]))

const struct charts_chart *charts_table(size_t *ret_n)
{
    *ret_n = N_CHARTS;
    return table;
}

const struct charts_chart *charts_find(const char *name, bool cluster)
{
    for (size_t i = 0; name && i < N_CHARTS; i++)
        if (table[i].cluster == cluster && strcmp(table[i].name, name) == 0) return &table[i];
    return NULL;
}

/* ---------------------------------------------------------------- the range */

/* Plain decimal seconds: 1 to 12 digits, then at most a '.' and 1 to 3 digits (dropped). */
static int seconds(const char *s, long *ret)
{
    long v = 0;
    size_t n = 0;
    for (; s[n] >= '0' && s[n] <= '9'; n++) {
        if (n == 12) return -EINVAL;
        v = v * 10 + (s[n] - '0');
    }
    if (n == 0) return -EINVAL;
    if (s[n] == '.') {
        size_t f = 0;
        while (s[n + 1 + f] >= '0' && s[n + 1 + f] <= '9') f++;
        if (f == 0 || f > 3) return -EINVAL;
        n += 1 + f;
    }
    if (s[n] != '\0') return -EINVAL;
    *ret = v;
    return 0;
}

static int refuse(char err[CHARTS_ERROR_MAX], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int refuse(char err[CHARTS_ERROR_MAX], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, CHARTS_ERROR_MAX, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

int charts_range_parse(const char *start, const char *end, const char *range, const char *step,
                       long now, long min_step, struct charts_range *ret,
                       char err[CHARTS_ERROR_MAX])
{
    long s = 0, e = now, len = CHARTS_DEFAULT_RANGE, st = 0;
    if (end && seconds(end, &e) < 0)
        return refuse(err, "end: seconds since 1970 (a number such as 1700000000)");
    if (start && range) return refuse(err, "give start or range, not both");
    if (start && seconds(start, &s) < 0)
        return refuse(err, "start: seconds since 1970 (a number such as 1700000000)");
    if (range && (seconds(range, &len) < 0 || len <= 0))
        return refuse(err, "range: a number of seconds greater than 0");
    if (step && (seconds(step, &st) < 0)) return refuse(err, "step: a number of seconds");
    if (e > now + CHARTS_FUTURE_S) return refuse(err, "end: more than an hour in the future");
    if (!start) {
        if (len > CHARTS_MAX_RANGE_S || len > e)
            return refuse(err, "range: at most %ld seconds (31 days)", CHARTS_MAX_RANGE_S);
        s = e - len;
    }
    if (s >= e) return refuse(err, "start must be before end");
    if (e - s > CHARTS_MAX_RANGE_S)
        return refuse(err, "from start to end: at most %ld seconds (31 days)", CHARTS_MAX_RANGE_S);
    if (!step) {
        st = (e - s + CHARTS_DEFAULT_POINTS - 1) / CHARTS_DEFAULT_POINTS;
        if (st < min_step) st = min_step;
    }
    if (st < min_step || st > CHARTS_MAX_STEP_S)
        return refuse(err, "step: from %ld to %ld seconds", min_step, CHARTS_MAX_STEP_S);
    long points = (e - s) / st + 1;
    if (points > CHARTS_MAX_POINTS)
        return refuse(err, "%ld points: at most %d; ask for a longer step or a shorter range",
                      points, CHARTS_MAX_POINTS);
    *ret = (struct charts_range){.start = s, .end = e, .step = st};
    return 0;
}

long charts_window_s(const struct charts_range *r, long scrape_interval_s)
{
    long w = 4 * scrape_interval_s;
    return r->step > w ? r->step : w;
}

/* ---------------------------------------------------------------- the query */

bool charts_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > CHARTS_NAME_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && c != '-' && c != '.') return false;
        if (!alnum && (i == 0 || i == n - 1)) return false;
    }
    return true;
}

int charts_promql(const struct charts_chart *c, const char *ns, const char *name, long window_s,
                  struct buf *out)
{
    if (!c->cluster && (!ns || !k8s_name_is_dns_label(ns))) return -EINVAL;
    if (name && (!c->workload || !charts_name_ok(name))) return -EINVAL;
    /* Neither a namespace nor a name can hold a quote or a backslash (checked above): each is
     * a plain PromQL string as it is. */
    for (const char *p = c->promql; *p; p++) {
        if (p[0] == '$' && p[1] == 'S') {
            buf_addf(out, "namespace=\"%s\"", ns);
            if (name) buf_addf(out, ",%s=\"%s\"", c->name_label, name);
            p++;
        } else if (p[0] == '$' && p[1] == 'W') {
            buf_addf(out, "%lds", window_s);
            p++;
        } else {
            buf_add(out, p, 1);
        }
    }
    return buf_error(out);
}

/* ---------------------------------------------------------------- Prometheus's answers */

void charts_prometheus_error(const char *body, size_t len, char *out, size_t size)
{
    cJSON *j = body ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(j, "errorType");
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    if (cJSON_IsString(e))
        snprintf(out, size, "%s%s%.200s", cJSON_IsString(type) ? type->valuestring : "",
                 cJSON_IsString(type) ? ": " : "", e->valuestring);
    else
        snprintf(out, size, "%s", "");
    cJSON_Delete(j);
}

/* The result list of a successful matrix answer (borrowed from *ret_root, the caller's). */
static int matrix(const char *body, size_t len, cJSON **ret_root, const cJSON **ret_result,
                  char err[CHARTS_ERROR_MAX])
{
    cJSON *j = body ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(j, "status");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(data, "resultType");
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(data, "result");
    if (!j) {
        snprintf(err, CHARTS_ERROR_MAX, "Prometheus's answer is not JSON");
    } else if (!cJSON_IsString(status) || strcmp(status->valuestring, "success") != 0) {
        snprintf(err, CHARTS_ERROR_MAX, "Prometheus's answer is not a success");
    } else if (!cJSON_IsString(type) || strcmp(type->valuestring, "matrix") != 0 ||
               !cJSON_IsArray(result)) {
        snprintf(err, CHARTS_ERROR_MAX, "Prometheus's answer is not a range of values");
    } else {
        *ret_root = j;
        *ret_result = result;
        return 0;
    }
    cJSON_Delete(j);
    return -EBADMSG;
}

/* A value as Prometheus writes it ("0.5", "NaN", "+Inf"): a number, or null when not finite. */
static cJSON *value_of(const cJSON *v, double scale)
{
    char *end = NULL;
    double d = cJSON_IsString(v) ? strtod(v->valuestring, &end) : NAN;
    if (!end || *end || !isfinite(d)) return cJSON_CreateNull();
    return cJSON_CreateNumber(d * scale);
}

/* The series' name from the chart's labels, e.g. "iris-classifier p99" (out, size). */
static void label_of(const struct charts_chart *c, const cJSON *metric, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (const char *p = c->labels; *p && used < size;) {
        size_t n = strcspn(p, " ");
        char key[128];
        snprintf(key, sizeof(key), "%.*s", (int)n, p);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(metric, key);
        if (cJSON_IsString(v) && *v->valuestring)
            used +=
                (size_t)snprintf(out + used, size - used, "%s%s", used ? " " : "", v->valuestring);
        p += n + (p[n] == ' ');
    }
}

static int by_label(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(cJSON_GetObjectItemCaseSensitive(x, "label")->valuestring,
                  cJSON_GetObjectItemCaseSensitive(y, "label")->valuestring);
}

/* One series of the answer in kfdash's shape; NULL when out of memory. */
static cJSON *series_of(const struct charts_chart *c, const cJSON *item)
{
    const cJSON *metric = cJSON_GetObjectItemCaseSensitive(item, "metric");
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(item, "values"), *v;
    char label[512];
    label_of(c, metric, label, sizeof(label));
    cJSON *s = cJSON_CreateObject();
    bool ok = cJSON_AddStringToObject(s, "label", label) != NULL;
    cJSON *labels = cJSON_AddObjectToObject(s, "labels");
    cJSON *points = cJSON_AddArrayToObject(s, "points");
    ok = ok && labels && points;
    const cJSON *l;
    cJSON_ArrayForEach(l, metric)
    {
        if (ok && cJSON_IsString(l) && strcmp(l->string, "__name__") != 0)
            ok = cJSON_AddStringToObject(labels, l->string, l->valuestring) != NULL;
    }
    size_t n = 0;
    const cJSON *list = cJSON_IsArray(values) ? values : NULL;
    cJSON_ArrayForEach(v, list)
    {
        if (!ok || n++ == CHARTS_MAX_POINTS) break;
        const cJSON *t = cJSON_GetArrayItem(v, 0);
        if (!cJSON_IsNumber(t)) continue;
        cJSON *p = cJSON_CreateArray();
        ok = p && cJSON_AddItemToArray(p, cJSON_CreateNumber(t->valuedouble)) &&
             cJSON_AddItemToArray(p, value_of(cJSON_GetArrayItem(v, 1), 1)) &&
             cJSON_AddItemToArray(points, p);
        if (!ok) cJSON_Delete(p);
    }
    if (!ok) {
        cJSON_Delete(s);
        return NULL;
    }
    return s;
}

int charts_series(const char *body, size_t len, const struct charts_chart *c, struct cJSON **ret,
                  bool *ret_truncated, char err[CHARTS_ERROR_MAX])
{
    cJSON *root = NULL;
    const cJSON *result, *item;
    int e = matrix(body, len, &root, &result, err);
    if (e < 0) return e;
    size_t n = 0, total = (size_t)cJSON_GetArraySize(result);
    cJSON **all = calloc(total ? total : 1, sizeof(*all));
    bool ok = all != NULL;
    const cJSON *items = ok ? result : NULL;
    cJSON_ArrayForEach(item, items)
    {
        all[n] = series_of(c, item);
        ok = all[n++] != NULL;
        if (!ok) break;
    }
    cJSON *list = ok ? cJSON_CreateArray() : NULL;
    ok = ok && list;
    if (ok) qsort(all, n, sizeof(*all), by_label);
    for (size_t i = 0; i < n; i++) {
        if (ok && i < CHARTS_MAX_SERIES)
            cJSON_AddItemToArray(list, all[i]);
        else
            cJSON_Delete(all[i]);
    }
    free(all);
    cJSON_Delete(root);
    if (!ok) {
        cJSON_Delete(list);
        return -ENOMEM;
    }
    *ret = list;
    *ret_truncated = total > CHARTS_MAX_SERIES;
    return 0;
}

int charts_kubeflow_points(const char *body, size_t len, struct cJSON **ret,
                           char err[CHARTS_ERROR_MAX])
{
    cJSON *root = NULL;
    const cJSON *result, *item;
    int e = matrix(body, len, &root, &result, err);
    if (e < 0) return e;
    cJSON *list = cJSON_CreateArray();
    bool ok = list != NULL;
    size_t n_series = 0;
    cJSON_ArrayForEach(item, result)
    {
        if (!ok || n_series++ == CHARTS_MAX_SERIES) break;
        /* Kubeflow's label: every label as k=v, comma-separated, in the answer's order. */
        struct buf label;
        buf_init(&label, 4096);
        const cJSON *l, *v;
        cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(item, "metric"))
        {
            if (cJSON_IsString(l))
                buf_addf(&label, "%s%s=%s", label.n ? "," : "", l->string, l->valuestring);
        }
        const char *text = buf_error(&label) ? "" : buf_str(&label) ? buf_str(&label) : "";
        size_t n = 0;
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(item, "values"))
        {
            if (!ok || n++ == CHARTS_MAX_POINTS) break;
            const cJSON *t = cJSON_GetArrayItem(v, 0);
            if (!cJSON_IsNumber(t)) continue;
            cJSON *p = cJSON_CreateObject();
            ok = p && cJSON_AddNumberToObject(p, "timestamp", t->valuedouble) &&
                 cJSON_AddStringToObject(p, "label", text) &&
                 cJSON_AddItemToObject(p, "value", value_of(cJSON_GetArrayItem(v, 1), 0.01)) &&
                 cJSON_AddItemToArray(list, p);
            if (!ok) cJSON_Delete(p);
        }
        buf_reset(&label);
    }
    cJSON_Delete(root);
    if (!ok) {
        cJSON_Delete(list);
        return -ENOMEM;
    }
    *ret = list;
    return 0;
}
