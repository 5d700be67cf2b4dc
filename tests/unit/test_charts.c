/*
 * charts: the PromQL kfdash writes for its named charts (server/api/charts.h), the bounds of what
 * a client may ask (ranges, steps, names), the answers read back, and the quantities of quotas
 * (server/api/quota.h).
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fixtures.h"
#include "lib/buf.h"
#include "server/api/charts.h"
#include "server/api/quota.h"
#include "unit.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static char *promql(const struct charts_chart *c, const char *ns, const char *name, long window)
{
    struct buf b;
    buf_init(&b, CHARTS_QUERY_MAX);
    int e = charts_promql(c, ns, name, window, &b);
    if (e < 0) {
        buf_reset(&b);
        return NULL;
    }
    return buf_take(&b, NULL);
}

/* PromQL's words that are not metric names: keywords, and aggregations (sum by (x) (...)). */
static bool keyword(const char *w, size_t n)
{
    static const char *const words[] = {
        "by",  "without", "on",     "ignoring", "group_left", "group_right", "bool",   "and",
        "or",  "unless",  "offset", "inf",      "nan",        "sum",         "avg",    "min",
        "max", "count",   "topk",   "bottomk",  "group",      "stddev",      "stdvar", "quantile"};
    for (size_t i = 0; i < N(words); i++)
        if (strlen(words[i]) == n && strncasecmp(words[i], w, n) == 0) return true;
    return false;
}

/*
 * Reads the query as Prometheus reads its selectors: every {...} must hold `matcher` (the
 * caller's namespace) as one of its comma-separated matchers, and no metric name may stand
 * outside a selector (a bare `up` selects every namespace). Function and aggregation names and
 * the label lists of by (...) are not selectors. NULL when the query keeps to that (*ret_n: its
 * selectors), else what is wrong (static, until the next call).
 */
static const char *escape_in(const char *q, const char *matcher, int *ret_n)
{
    static char why[512];
    int selectors = 0;
    bool in_labels = false; /* inside by (...) / without (...) */
    for (const char *p = q; *p;) {
        if (*p == '"') { /* a string literal: skipped whole */
            for (p++; *p && *p != '"'; p++)
                if (*p == '\\' && p[1]) p++;
            if (*p != '"') return "an unterminated string";
            p++;
            continue;
        }
        if (*p == '{') {
            const char *end = strchr(p, '}');
            if (!end) return "an unclosed selector";
            /* the matchers, split at the commas outside strings */
            bool found = false;
            const char *m = p + 1;
            for (const char *s = m; s <= end; s++) {
                if (*s == '"') {
                    for (s++; *s && *s != '"'; s++)
                        if (*s == '\\') s++;
                    continue;
                }
                if (*s == ',' || s == end) {
                    found = found || ((size_t)(s - m) == strlen(matcher) &&
                                      strncmp(m, matcher, strlen(matcher)) == 0);
                    m = s + 1;
                }
            }
            if (!found) {
                snprintf(why, sizeof(why), "selector %.*s lacks %s", (int)(end - p + 1), p,
                         matcher);
                return why;
            }
            selectors++;
            p = end + 1;
            continue;
        }
        if (isdigit((unsigned char)*p) || *p == '.') { /* a number or a duration: 1e9, 40s */
            while (isalnum((unsigned char)*p) || *p == '.') p++;
            continue;
        }
        if (isalpha((unsigned char)*p) || *p == '_') {
            const char *w = p;
            while (isalnum((unsigned char)*p) || *p == '_' || *p == ':') p++;
            size_t n = (size_t)(p - w);
            const char *next = p;
            while (*next == ' ') next++;
            if (n == 2 && strncmp(w, "by", 2) == 0) in_labels = true;
            if (n == 7 && strncmp(w, "without", 7) == 0) in_labels = true;
            if (in_labels || keyword(w, n) || *next == '(') continue;
            if (*p != '{') {
                snprintf(why, sizeof(why), "metric %.*s outside a selector", (int)n, w);
                return why;
            }
            continue;
        }
        if (*p == ')') in_labels = false;
        p++;
    }
    if (selectors == 0) return "no selector at all";
    *ret_n = selectors;
    return NULL;
}

static void assert_every_selector_has(const char *q, const char *matcher)
{
    int n;
    const char *why = escape_in(q, matcher, &n);
    ck_assert_msg(why == NULL, "%s in %s", why, q);
}

START_TEST(the_reader_of_selectors_sees_every_way_out)
{
    const char *m = "namespace=\"alice\"";
    int n = 0;
    ck_assert_ptr_null(escape_in("sum by (pod) (rate(x{a=\"1\",namespace=\"alice\"}[5m]))", m, &n));
    ck_assert_int_eq(n, 1);
    /* what a query written by a user could try, and the reader refuses */
    const char *escapes[] = {
        "x{namespace=\"alice\"} or up",
        "x{namespace=\"alice\"} unless y{namespace=\"bob\"}",
        "x{namespace=~\"alice|bob\"}",
        "x{namespace=\"alice\",namespace=\"bob\"} or {__name__=~\".+\"}",
        "{__name__=~\".+\"}",
        "label_replace(x{namespace=\"bob\"}, \"namespace\", \"alice\", \"\", \"\")",
        "max_over_time(x{namespace=\"bob\"}[1h:1m])",
        "x{namespace=\"alicex\"}",
        "x{namespace!=\"alice\"}",
        "x{job=\"namespace=\\\"alice\\\"\"}",
        "sum(up)",
        "up offset 5m",
        "x{namespace=\"alice\"",
        "1 + 1",
    };
    for (size_t i = 0; i < N(escapes); i++)
        ck_assert_msg(escape_in(escapes[i], m, &n) != NULL, "%s passed", escapes[i]);
}
END_TEST

START_TEST(every_namespace_chart_selects_only_the_callers_namespace)
{
    size_t n;
    const struct charts_chart *t = charts_table(&n);
    size_t namespaced = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i].cluster) continue;
        namespaced++;
        char *q = promql(&t[i], "alice", NULL, 20);
        ck_assert_msg(q != NULL, "%s", t[i].name);
        assert_every_selector_has(q, "namespace=\"alice\"");
        ck_assert_msg(strstr(q, "$") == NULL, "a placeholder left in %s", q);
        free(q);
        /* one workload: its matcher too, in every selector */
        q = promql(&t[i], "alice", "nb1", 20);
        ck_assert_msg(q != NULL, "%s", t[i].name);
        char m[128];
        snprintf(m, sizeof(m), "%s=\"nb1\"", t[i].name_label);
        assert_every_selector_has(q, "namespace=\"alice\"");
        assert_every_selector_has(q, m);
        free(q);
        ck_assert_ptr_eq(charts_find(t[i].name, false), &t[i]);
        ck_assert_ptr_nonnull(t[i].workload);
    }
    ck_assert_uint_ge(namespaced, 11);
    /* The names of the issue: endpoint rate, latency and errors; notebook and Spark CPU and
     * memory; GPUs. */
    const char *wanted[] = {"endpoint-requests", "endpoint-latency", "endpoint-errors",
                            "notebook-cpu",      "notebook-memory",  "spark-cpu",
                            "spark-memory",      "gpu-utilization",  "gpu-memory"};
    for (size_t i = 0; i < N(wanted); i++)
        ck_assert_msg(charts_find(wanted[i], false) != NULL, "%s", wanted[i]);
}
END_TEST

START_TEST(the_rate_window_is_written_where_the_template_says)
{
    const struct charts_chart *c = charts_find("notebook-cpu", false);
    char *q = promql(c, "bob", "nb2", 40);
    ck_assert_str_eq(q,
                     "sum by (notebook_name) (rate(process_cpu_seconds_total{notebook_name!=\"\","
                     "namespace=\"bob\",notebook_name=\"nb2\"}[40s]))");
    free(q);
    struct charts_range r = {.start = 0, .end = 3600, .step = 15};
    ck_assert_int_eq(charts_window_s(&r, 5), 20); /* four scrapes */
    ck_assert_int_eq(charts_window_s(&r, 30), 120);
    r.step = 300;
    ck_assert_int_eq(charts_window_s(&r, 30), 300); /* the step, when longer */
}
END_TEST

START_TEST(names_and_namespaces_that_could_escape_are_refused)
{
    const struct charts_chart *c = charts_find("endpoint-requests", false);
    const char *namespaces[] = {"alice\"} or up{x=\"",
                                "alice|bob",
                                ".*",
                                "alice\\",
                                "Alice",
                                "",
                                "a b",
                                "alice\"",
                                "al\nice",
                                "-alice",
                                "alice.",
                                "x{y}"};
    for (size_t i = 0; i < N(namespaces); i++) {
        char *q = promql(c, namespaces[i], NULL, 20);
        ck_assert_msg(q == NULL, "namespace %s gave %s", namespaces[i], q);
    }
    ck_assert_ptr_null(promql(c, NULL, NULL, 20));
    const char *names[] = {"iris\"} or up{x=\"",
                           "iris\\",
                           ".+",
                           "Iris",
                           "",
                           "iris classifier",
                           "iris|x",
                           "-x",
                           "x-",
                           "a\"b",
                           "iris}",
                           "iris,namespace=\"bob\""};
    for (size_t i = 0; i < N(names); i++) {
        ck_assert_msg(!charts_name_ok(names[i]), "%s accepted", names[i]);
        char *q = promql(c, "alice", names[i], 20);
        ck_assert_msg(q == NULL, "name %s gave %s", names[i], q);
    }
    char longest[CHARTS_NAME_MAX + 2];
    memset(longest, 'a', sizeof(longest) - 1);
    longest[CHARTS_NAME_MAX + 1] = '\0';
    ck_assert(!charts_name_ok(longest));
    longest[CHARTS_NAME_MAX] = '\0';
    ck_assert(charts_name_ok(longest));
    ck_assert(charts_name_ok("iris-classifier-predictor-00001.x"));
}
END_TEST

START_TEST(cluster_charts_are_apart_and_take_no_workload)
{
    size_t n;
    const struct charts_chart *t = charts_table(&n);
    size_t cluster = 0;
    for (size_t i = 0; i < n; i++) {
        if (!t[i].cluster) continue;
        cluster++;
        ck_assert_ptr_null(t[i].workload);
        char *q = promql(&t[i], NULL, NULL, 60);
        ck_assert_msg(q != NULL, "%s", t[i].name);
        free(q);
        ck_assert_ptr_null(promql(&t[i], NULL, "x", 60));
        ck_assert_ptr_eq(charts_find(t[i].name, true), &t[i]);
    }
    ck_assert_uint_ge(cluster, 5);
    /* a namespace route never finds a cluster chart by its name */
    ck_assert_ptr_null(charts_find("process-cpu", false));
    ck_assert_ptr_null(charts_find("node-cpu", false));
    ck_assert_ptr_null(charts_find("notebook-cpu", true));
    ck_assert_ptr_null(charts_find("nope", false));
    ck_assert_ptr_null(charts_find(NULL, false));
}
END_TEST

struct range_case {
    const char *start, *end, *range, *step;
    long want_start, want_end, want_step; /* or an error when want_step is 0 */
    const char *error;                    /* a part of the message */
};

START_TEST(ranges_and_steps_are_bounded)
{
    const long now = 1700000000;
    const struct range_case cases[] = {
        /* defaults: the last hour, about 240 points */
        {NULL, NULL, NULL, NULL, now - 3600, now, 15, NULL},
        {NULL, NULL, "600", "30", now - 600, now, 30, NULL},
        {"1699990000", "1699999000", NULL, "60", 1699990000, 1699999000, 60, NULL},
        {"1699990000.5", "1699999000.125", NULL, "60.5", 1699990000, 1699999000, 60, NULL},
        {NULL, "1699999000", "3600", NULL, 1699995400, 1699999000, 15, NULL},
        /* too many points, or steps out of bounds */
        {NULL, NULL, "86400", "10", 0, 0, 0, "8641 points: at most 1200"},
        {NULL, NULL, "600", "0", 0, 0, 0, "step: from 1 to 86400"},
        {NULL, NULL, "600", "86401", 0, 0, 0, "step: from 1 to 86400"},
        {NULL, NULL, "3000000", NULL, 0, 0, 0, "range: at most 2678400"},
        {"1", "1699999000", NULL, "86400", 0, 0, 0, "from start to end: at most"},
        /* order */
        {"1700000000", "1699999000", NULL, NULL, 0, 0, 0, "start must be before end"},
        {"1700000000", "1700000000", NULL, NULL, 0, 0, 0, "start must be before end"},
        {"1699999000", NULL, "600", NULL, 0, 0, 0, "not both"},
        {NULL, "1800000000", NULL, NULL, 0, 0, 0, "in the future"},
        {NULL, NULL, "0", NULL, 0, 0, 0, "range: a number of seconds greater than 0"},
        /* not plain decimal seconds */
        {NULL, NULL, "NaN", NULL, 0, 0, 0, "range:"},
        {NULL, NULL, "inf", NULL, 0, 0, 0, "range:"},
        {NULL, NULL, "-600", NULL, 0, 0, 0, "range:"},
        {NULL, NULL, "1e3", NULL, 0, 0, 0, "range:"},
        {NULL, NULL, "0x10", NULL, 0, 0, 0, "range:"},
        {NULL, NULL, " 600", NULL, 0, 0, 0, "range:"},
        {NULL, NULL, "600 ", NULL, 0, 0, 0, "range:"},
        {NULL, NULL, "600s", NULL, 0, 0, 0, "range:"},
        {NULL, NULL, "10m", NULL, 0, 0, 0, "range:"},
        {NULL, NULL, "600.", NULL, 0, 0, 0, "range:"},
        {NULL, NULL, "600.1234", NULL, 0, 0, 0, "range:"},
        {NULL, NULL, "", NULL, 0, 0, 0, "range:"},
        {NULL, NULL, "9999999999999", NULL, 0, 0, 0, "range:"},
        {"-1", NULL, NULL, NULL, 0, 0, 0, "start:"},
        {"now-1h", NULL, NULL, NULL, 0, 0, 0, "start:"},
        {NULL, "2023-11-14T22:13:20Z", NULL, NULL, 0, 0, 0, "end:"},
        {NULL, NULL, NULL, "-5", 0, 0, 0, "step:"},
        {NULL, NULL, NULL, "1e1", 0, 0, 0, "step:"},
        {NULL, NULL, NULL, "NaN", 0, 0, 0, "step:"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        const struct range_case *k = &cases[i];
        struct charts_range r = {-1, -1, -1};
        char err[CHARTS_ERROR_MAX] = "";
        int e = charts_range_parse(k->start, k->end, k->range, k->step, now, 1, &r, err);
        if (k->want_step) {
            ck_assert_msg(e == 0, "case %zu: %s", i, err);
            ck_assert_int_eq(r.start, k->want_start);
            ck_assert_int_eq(r.end, k->want_end);
            ck_assert_int_eq(r.step, k->want_step);
            ck_assert_int_le((r.end - r.start) / r.step + 1, CHARTS_MAX_POINTS);
        } else {
            ck_assert_msg(e == -EINVAL, "case %zu accepted", i);
            ck_assert_msg(strstr(err, k->error) != NULL, "case %zu: \"%s\" lacks \"%s\"", i, err,
                          k->error);
            ck_assert_int_eq(r.step, -1); /* untouched */
        }
    }
    /* the longest range allowed gets a step that keeps it within the points */
    struct charts_range r;
    char err[CHARTS_ERROR_MAX];
    ck_assert_int_eq(charts_range_parse(NULL, NULL, "2678400", NULL, now, 1, &r, err), 0);
    ck_assert_int_le((r.end - r.start) / r.step + 1, CHARTS_MAX_POINTS);
    /* Kubeflow's step is never below its floor */
    ck_assert_int_eq(charts_range_parse(NULL, NULL, "60", NULL, now, 10, &r, err), 0);
    ck_assert_int_eq(r.step, 10);
}
END_TEST

START_TEST(prometheus_answers_become_sorted_series_with_gaps_for_nan)
{
    const struct charts_chart *c = charts_find("endpoint-latency", false);
    const char *answer =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
        "{\"metric\":{\"serving_kserve_io_inferenceservice\":\"iris\",\"quantile\":\"p99\"},"
        "\"values\":[[1700000000,\"0.25\"],[1700000015,\"NaN\"],[1700000030,\"+Inf\"]]},"
        "{\"metric\":{\"serving_kserve_io_inferenceservice\":\"iris\",\"quantile\":\"p50\"},"
        "\"values\":[[1700000000.5,\"0.01\"]]}]}}";
    cJSON *series = NULL;
    bool truncated = true;
    char err[CHARTS_ERROR_MAX];
    ck_assert_int_eq(charts_series(answer, strlen(answer), c, &series, &truncated, err), 0);
    ck_assert(!truncated);
    ck_assert_int_eq(cJSON_GetArraySize(series), 2);
    ck_assert_str_eq(fx_str_at(series, "0.label"), "iris p50");
    ck_assert_str_eq(fx_str_at(series, "1.label"), "iris p99");
    ck_assert_str_eq(fx_str_at(series, "1.labels.quantile"), "p99");
    ck_assert_double_eq(fx_at(series, "0.points.0.0")->valuedouble, 1700000000.5);
    ck_assert_double_eq(fx_at(series, "1.points.0.1")->valuedouble, 0.25);
    ck_assert(cJSON_IsNull(fx_at(series, "1.points.1.1")));
    ck_assert(cJSON_IsNull(fx_at(series, "1.points.2.1")));
    cJSON_Delete(series);

    /* more series than answered: the first CHARTS_MAX_SERIES by label, flagged */
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_adds(&b, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[");
    for (int i = 0; i < 60; i++)
        buf_addf(&b,
                 "%s{\"metric\":{\"serving_kserve_io_inferenceservice\":\"m%02d\"},"
                 "\"values\":[[1,\"1\"]]}",
                 i ? "," : "", 59 - i);
    buf_adds(&b, "]}}");
    ck_assert_int_eq(charts_series(buf_str(&b), b.n, c, &series, &truncated, err), 0);
    ck_assert(truncated);
    ck_assert_int_eq(cJSON_GetArraySize(series), CHARTS_MAX_SERIES);
    ck_assert_str_eq(fx_str_at(series, "0.label"), "m00");
    cJSON_Delete(series);
    buf_reset(&b);

    /* what is not a successful matrix */
    const char *bad[] = {
        "", "not json", "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"x\"}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":{}}}"};
    for (size_t i = 0; i < N(bad); i++) {
        series = NULL;
        ck_assert_int_eq(charts_series(bad[i], strlen(bad[i]), c, &series, &truncated, err),
                         -EBADMSG);
        ck_assert_ptr_null(series);
    }
    char why[128];
    charts_prometheus_error(bad[2], strlen(bad[2]), why, sizeof(why));
    ck_assert_str_eq(why, "bad_data: x");
    charts_prometheus_error("<html>", 6, why, sizeof(why));
    ck_assert_str_eq(why, "");
}
END_TEST

START_TEST(kubeflow_points_are_its_shape)
{
    const char *answer = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
                         "{\"metric\":{\"instance\":\"node-1\",\"job\":\"node\"},"
                         "\"values\":[[1700000000,\"250\"],[1700000010,\"NaN\"]]},"
                         "{\"metric\":{},\"values\":[[1700000000,\"3\"]]}]}}";
    cJSON *points = NULL;
    char err[CHARTS_ERROR_MAX];
    ck_assert_int_eq(charts_kubeflow_points(answer, strlen(answer), &points, err), 0);
    ck_assert_int_eq(cJSON_GetArraySize(points), 3);
    ck_assert_double_eq(fx_num(cJSON_GetArrayItem(points, 0), "timestamp"), 1700000000);
    ck_assert_str_eq(fx_str(cJSON_GetArrayItem(points, 0), "label"), "instance=node-1,job=node");
    ck_assert_double_eq(fx_num(cJSON_GetArrayItem(points, 0), "value"), 2.5); /* Kubeflow's /100 */
    ck_assert(cJSON_IsNull(fx_obj(cJSON_GetArrayItem(points, 1), "value")));
    ck_assert_str_eq(fx_str(cJSON_GetArrayItem(points, 2), "label"), "");
    cJSON_Delete(points);
}
END_TEST

START_TEST(quantities_are_read_as_kubernetes_writes_them)
{
    const struct {
        const char *q;
        double v;
    } good[] = {{"16", 16},           {"500m", 0.5}, {"1.5", 1.5},   {"64Gi", 68719476736},
                {"512Mi", 536870912}, {"1k", 1000},  {"2M", 2e6},    {"1e3", 1000},
                {"25E-1", 2.5},       {"0", 0},      {"100n", 1e-7}, {"1Ki", 1024},
                {"3E", 3e18},         {".5", 0.5},   {"+4", 4}};
    for (size_t i = 0; i < N(good); i++) {
        double v = -1;
        ck_assert_msg(quota_value(good[i].q, &v), "%s refused", good[i].q);
        ck_assert_msg(v > good[i].v * 0.999999 - 1e-12 && v < good[i].v * 1.000001 + 1e-12,
                      "%s: %g, wanted %g", good[i].q, v, good[i].v);
    }
    const char *bad[] = {"", "Gi", "1Gb", "1.2.3", "1 Gi", "lots", "1e", "1e1000", "0x10", NULL};
    for (size_t i = 0; bad[i]; i++) {
        double v;
        ck_assert_msg(!quota_value(bad[i], &v), "%s accepted", bad[i]);
    }
    double v;
    ck_assert(!quota_value(NULL, &v));
}
END_TEST

RUN_SUITE("charts", the_reader_of_selectors_sees_every_way_out,
          every_namespace_chart_selects_only_the_callers_namespace,
          the_rate_window_is_written_where_the_template_says,
          names_and_namespaces_that_could_escape_are_refused,
          cluster_charts_are_apart_and_take_no_workload, ranges_and_steps_are_bounded,
          prometheus_answers_become_sorted_series_with_gaps_for_nan, kubeflow_points_are_its_shape,
          quantities_are_read_as_kubernetes_writes_them)
