/* api_monitoring: see monitoring.h. */
#include "server/api/monitoring.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/identity.h"
#include "k8s/access.h"
#include "k8s/name.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/upstream.h"
#include "server/api/charts.h"
#include "server/cluster/kube.h"
#include "server/config.h"
#include "server/http/http.h"
#include "server/http/park.h"
#include "server/kfdash.h"

#define PROM_TIMEOUT_MS   15000        /* one query, connecting included */
#define PROM_QUERY_TIME_S 10           /* Prometheus's own timeout for it */
#define PROM_ANSWER_MAX   (4 << 20)    /* its answer, at most */
#define FORM_MAX          (512 * 1024) /* the form sent (the query and the range) */
#define PARAMS_MAX        8            /* query parameters looked at */
#define MEMBERSHIPS_MAX   4096         /* namespaces summed for Kubeflow's podcpu/podmem */
#define KUBEFLOW_STEP_S   10           /* Kubeflow's step */
#define NOT_CONFIGURED    "no Prometheus is configured (prometheus.url)"

/* A query under way, kept with the parked request. */
struct chart_call {
    struct upstream_result answer;    /* Prometheus's */
    const struct charts_chart *chart; /* NULL: Kubeflow's /api/metrics/<type> */
    struct charts_range range;        /* what was asked */
    long window_s;                    /* of the rates */
    char ns[64];                      /* the namespace, "" for cluster charts */
    char name[CHARTS_NAME_MAX + 1];   /* the workload, "" for all */
    char *query;                      /* the PromQL sent (heap) */
};

static void chart_call_free(void *p)
{
    struct chart_call *c = p;
    free(c->answer.body);
    free(c->query);
    free(c);
}

/* ---------------------------------------------------------------- the listing */

void api_monitoring_charts(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    bool admin = kube_is_cluster_admin(k->kube, http_request_identity(r));
    size_t n;
    const struct charts_chart *table = charts_table(&n);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddBoolToObject(j, "configured", *k->cfg->prometheus_url != '\0');
    cJSON_AddNumberToObject(j, "scrapeInterval", (double)k->cfg->prometheus_scrape_s);
    if (*k->cfg->metrics_dashboard)
        cJSON_AddStringToObject(j, "dashboardUrl", k->cfg->metrics_dashboard);
    cJSON *list = cJSON_AddArrayToObject(j, "charts");
    for (size_t i = 0; list && i < n; i++) {
        const struct charts_chart *c = &table[i];
        if (c->cluster && !admin) continue;
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "name", c->name);
        cJSON_AddStringToObject(item, "title", c->title);
        cJSON_AddStringToObject(item, "unit", c->unit);
        cJSON_AddStringToObject(item, "scope", c->cluster ? "cluster" : "namespace");
        if (c->workload) cJSON_AddStringToObject(item, "workload", c->workload);
        cJSON_AddItemToArray(list, item);
    }
    http_reply_json(r, 200, j);
}

/* ---------------------------------------------------------------- asking Prometheus */

/*
 * Refuses (400) a query string with a parameter not in allowed (NULL-terminated), or one given
 * twice, or malformed; else fills values (in allowed's order, NULL when absent) and returns true.
 */
static bool take_params(struct http_request *r, const char *const *allowed, const char **values)
{
    size_t n_allowed = 0;
    while (allowed[n_allowed]) n_allowed++;
    unsigned seen[PARAMS_MAX] = {0};
    const char *q = http_request_raw_query(r);
    char message[160];
    for (const char *p = q; *p;) {
        size_t len = strcspn(p, "&");
        size_t key_len = strcspn(p, "=&");
        size_t i = 0;
        while (i < n_allowed && (strlen(allowed[i]) != key_len || memcmp(allowed[i], p, key_len)))
            i++;
        if (len == 0) {
            /* "a=1&&b=2": nothing between */
        } else if (i == n_allowed) {
            snprintf(message, sizeof(message),
                     "unknown query parameter \"%.*s\": a chart takes only ",
                     (int)(key_len > 40 ? 40 : key_len), p);
            for (size_t a = 0; a < n_allowed; a++)
                snprintf(message + strlen(message), sizeof(message) - strlen(message), "%s%s",
                         a ? ", " : "", allowed[a]);
            http_reply_error(r, 400, message);
            return false;
        } else if (++seen[i] > 1) {
            snprintf(message, sizeof(message), "%s: given more than once", allowed[i]);
            http_reply_error(r, 400, message);
            return false;
        }
        p += len + (p[len] == '&');
    }
    for (size_t i = 0; i < n_allowed; i++) {
        values[i] = seen[i] ? http_request_query(r, allowed[i]) : NULL;
        if (seen[i] && !values[i]) {
            snprintf(message, sizeof(message), "%s: malformed", allowed[i]);
            http_reply_error(r, 400, message);
            return false;
        }
    }
    return true;
}

/* The Prometheus URL for an API path (the setting may end with '/'). */
static void prometheus_url(const struct config *cfg, const char *path, struct buf *out)
{
    size_t n = strlen(cfg->prometheus_url);
    while (n && cfg->prometheus_url[n - 1] == '/') n--;
    buf_add(out, cfg->prometheus_url, n);
    buf_adds(out, path);
}

/* POSTs c's query over c's range to Prometheus; next reads c->answer. */
static void ask(struct http_request *r, struct chart_call *c, http_next_fn next)
{
    const struct kfdash *k = kfdash_of(r);
    struct buf url, form;
    buf_init(&url, CONFIG_STRING_MAX + 64);
    buf_init(&form, FORM_MAX);
    prometheus_url(k->cfg, "/api/v1/query_range", &url);
    buf_adds(&form, "query=");
    buf_add_url_escaped(&form, c->query);
    buf_addf(&form, "&start=%ld&end=%ld&step=%ld&timeout=%ds", c->range.start, c->range.end,
             c->range.step, PROM_QUERY_TIME_S);
    if (buf_error(&url) || buf_error(&form)) {
        buf_reset(&url);
        buf_reset(&form);
        http_reply_error(r, 500, "out of memory");
        return;
    }
    const char *headers[] = {"Accept: application/json",
                             "Content-Type: application/x-www-form-urlencoded", NULL};
    struct upstream_call call = {.method = "POST",
                                 .url = buf_str(&url),
                                 .headers = headers,
                                 .body = buf_str(&form),
                                 .body_len = form.n,
                                 .timeout_ms = PROM_TIMEOUT_MS,
                                 .max_response_bytes = PROM_ANSWER_MAX};
    park_call(k->engine, r, &call, &c->answer, next);
    buf_reset(&url);
    buf_reset(&form);
}

/* Replies for a query that brought no usable answer; false when the answer is one. */
static bool failed(struct http_request *r, const struct chart_call *c)
{
    const struct upstream_result *a = &c->answer;
    char message[512];
    if (a->error) {
        /* The detail names Prometheus's address: the log gets it, the user does not. */
        log_msg(LOG_WARN, "a Prometheus query failed", "detail", a->detail);
        if (a->error == -EMSGSIZE)
            snprintf(message, sizeof(message),
                     "Prometheus's answer is larger than %d MiB: ask for a shorter range or a "
                     "longer step",
                     PROM_ANSWER_MAX >> 20);
        else
            snprintf(message, sizeof(message), "Prometheus did not answer: %s",
                     upstream_error_text(a->error));
        http_reply_error(r, 502, message);
        return true;
    }
    if (a->status != 200) {
        char why[300];
        charts_prometheus_error(a->body, a->len, why, sizeof(why));
        snprintf(message, sizeof(message), "Prometheus refused the query (HTTP %ld)%s%s", a->status,
                 *why ? ": " : "", why);
        http_reply_error(r, 502, message);
        return true;
    }
    return false;
}

static void chart_answered(struct http_request *r)
{
    struct chart_call *c = http_request_context(r);
    if (failed(r, c)) return;
    cJSON *series = NULL;
    bool truncated = false;
    char err[CHARTS_ERROR_MAX];
    int e = charts_series(c->answer.body, c->answer.len, c->chart, &series, &truncated, err);
    if (e < 0) {
        http_reply_error(r, e == -ENOMEM ? 500 : 502, e == -ENOMEM ? "out of memory" : err);
        return;
    }
    const struct charts_chart *chart = c->chart;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "chart", chart->name);
    cJSON_AddStringToObject(j, "title", chart->title);
    cJSON_AddStringToObject(j, "unit", chart->unit);
    cJSON_AddStringToObject(j, "scope", chart->cluster ? "cluster" : "namespace");
    if (!chart->cluster) cJSON_AddStringToObject(j, "namespace", c->ns);
    if (*c->name)
        cJSON_AddStringToObject(j, "name", c->name);
    else
        cJSON_AddNullToObject(j, "name");
    cJSON_AddNumberToObject(j, "start", (double)c->range.start);
    cJSON_AddNumberToObject(j, "end", (double)c->range.end);
    cJSON_AddNumberToObject(j, "step", (double)c->range.step);
    cJSON_AddNumberToObject(j, "window", (double)c->window_s);
    cJSON_AddStringToObject(j, "query", c->query);
    cJSON_AddItemToObject(j, "series", series);
    cJSON_AddBoolToObject(j, "truncated", truncated);
    http_reply_json(r, 200, j);
}

/* A chart of the table: the namespace's (ns) or the cluster's (ns NULL). */
static void chart(struct http_request *r, const char *ns)
{
    const struct kfdash *k = kfdash_of(r);
    const char *name = http_request_param(r, "chart");
    const struct charts_chart *chart = charts_find(name, ns == NULL);
    if (!chart) {
        http_reply_error(r, 404,
                         ns ? "no such chart of a namespace (GET /api/charts lists them)"
                            : "no such cluster chart (GET /api/charts lists them)");
        return;
    }
    if (ns && !k8s_name_is_dns_label(ns)) {
        http_reply_error(r, 400, "not a namespace name");
        return;
    }
    static const char *const allowed[] = {"start", "end", "range", "step", "name", NULL};
    const char *v[5];
    if (!take_params(r, allowed, v)) return;
    if (v[4] && !chart->workload) {
        http_reply_error(r, 400, "name: this chart is of every namespace, not of one workload");
        return;
    }
    if (v[4] && !charts_name_ok(v[4])) {
        http_reply_error(r, 400,
                         "name: a Kubernetes object name (lowercase letters, digits, "
                         "'-' and '.')");
        return;
    }
    if (!*k->cfg->prometheus_url) {
        http_reply_error(r, 503, NOT_CONFIGURED);
        return;
    }
    struct charts_range range;
    char err[CHARTS_ERROR_MAX];
    if (charts_range_parse(v[0], v[1], v[2], v[3], (long)time(NULL), 1, &range, err) < 0) {
        http_reply_error(r, 400, err);
        return;
    }
    struct chart_call *c = calloc(1, sizeof(*c));
    struct buf query;
    buf_init(&query, CHARTS_QUERY_MAX);
    if (c) {
        c->chart = chart;
        c->range = range;
        c->window_s = charts_window_s(&range, k->cfg->prometheus_scrape_s);
        snprintf(c->ns, sizeof(c->ns), "%s", ns ? ns : "");
        snprintf(c->name, sizeof(c->name), "%s", v[4] ? v[4] : "");
    }
    if (!c || charts_promql(chart, ns, v[4], c->window_s, &query) < 0 ||
        !(c->query = buf_take(&query, NULL))) {
        buf_reset(&query);
        free(c);
        http_reply_error(r, 500, "out of memory");
        return;
    }
    http_request_set_context(r, c, chart_call_free);
    ask(r, c, chart_answered);
}

void api_monitoring_chart(struct http_request *r)
{
    const char *ns = http_request_param(r, "namespace"); /* the gate checked the caller's role */
    chart(r, ns ? ns : "");
}

void api_monitoring_cluster_chart(struct http_request *r)
{
    chart(r, NULL);
}

/* ---------------------------------------------------------------- Kubeflow's /api/metrics */

void api_monitoring_metrics(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    if (!*k->cfg->prometheus_url) {
        http_reply_error(r, 405, "Operation not supported"); /* Kubeflow's words and status */
        return;
    }
    cJSON *j = cJSON_CreateObject();
    if (*k->cfg->metrics_dashboard)
        cJSON_AddStringToObject(j, "resourceChartsLink", k->cfg->metrics_dashboard);
    cJSON_AddStringToObject(j, "resourceChartsLinkText", "View in dashboard");
    http_reply_json(r, 200, j);
}

static void kubeflow_answered(struct http_request *r)
{
    struct chart_call *c = http_request_context(r);
    if (failed(r, c)) return;
    cJSON *points = NULL;
    char err[CHARTS_ERROR_MAX];
    int e = charts_kubeflow_points(c->answer.body, c->answer.len, &points, err);
    if (e < 0) {
        http_reply_error(r, e == -ENOMEM ? 500 : 502, e == -ENOMEM ? "out of memory" : err);
        return;
    }
    http_reply_json(r, 200, points);
}

/* Kubeflow's interval names, in minutes; anything else is its default, Last15m. */
static long interval_minutes(const char *v)
{
    static const struct {
        const char *name;
        long minutes;
    } intervals[] = {
        {"Last5m", 5}, {"Last15m", 15}, {"Last30m", 30}, {"Last60m", 60}, {"Last180m", 180}};
    for (size_t i = 0; v && i < sizeof(intervals) / sizeof(intervals[0]); i++)
        if (strcmp(v, intervals[i].name) == 0) return intervals[i].minutes;
    return 15;
}

/* `{namespace=~"a|b"}`: the caller's namespaces; false when they have none. */
static bool own_namespaces(struct http_request *r, struct buf *out)
{
    const struct kfdash *k = kfdash_of(r);
    const struct k8s_snapshot *s = kube_snapshot(k->kube);
    const struct identity *who = http_request_identity(r);
    struct k8s_membership *m = s ? calloc(MEMBERSHIPS_MAX, sizeof(*m)) : NULL;
    size_t n = m ? k8s_snapshot_memberships(s, who->email, (const char *const *)who->groups,
                                            who->n_groups, m, MEMBERSHIPS_MAX)
                 : 0;
    if (n > MEMBERSHIPS_MAX) n = MEMBERSHIPS_MAX;
    size_t used = 0;
    buf_adds(out, "{namespace=~\"");
    for (size_t i = 0; i < n; i++) {
        if (!k8s_name_is_dns_label(m[i].ns)) continue; /* nothing a regex could read otherwise */
        buf_addf(out, "%s%s", used++ ? "|" : "", m[i].ns);
    }
    buf_adds(out, "\"}");
    free(m);
    return used > 0;
}

/* Kubeflow's chart of that type. */
static void kubeflow(struct http_request *r, const char *type)
{
    const struct kfdash *k = kfdash_of(r);
    bool node = type && strcmp(type, "node") == 0;
    bool cpu = type && strcmp(type, "podcpu") == 0, mem = type && strcmp(type, "podmem") == 0;
    if (!node && !cpu && !mem) {
        http_reply_error(r, 404, "no such API route");
        return;
    }
    if (!*k->cfg->prometheus_url) {
        http_reply_error(r, 405, "Operation not supported");
        return;
    }
    bool admin = kube_is_cluster_admin(k->kube, http_request_identity(r));
    if (node && !admin) { /* routes.c sends node to admins first; this is the second lock */
        http_reply_error(r, 403, "the nodes' charts are for cluster admins");
        return;
    }
    struct buf scope, query;
    buf_init(&scope, FORM_MAX / 2);
    buf_init(&query, FORM_MAX / 2);
    if (!admin && !own_namespaces(r, &scope)) {
        buf_reset(&scope);
        buf_reset(&query);
        http_reply_json(r, 200, cJSON_CreateArray()); /* no namespace: nothing of theirs */
        return;
    }
    const char *sel = admin ? "" : buf_str(&scope);
    /* Kubeflow's own queries (prometheus_metrics_service.ts), scoped for non-admins. */
    if (node)
        buf_adds(&query, "sum(rate(node_cpu_seconds_total[5m])) by (instance)");
    else if (cpu)
        buf_addf(&query, "sum(rate(container_cpu_usage_seconds_total%s[5m]))", sel);
    else
        buf_addf(&query, "sum(container_memory_usage_bytes%s)", sel);
    long now = (long)time(NULL);
    struct chart_call *c = calloc(1, sizeof(*c));
    if (!c || buf_error(&scope) || buf_error(&query) || !(c->query = buf_take(&query, NULL))) {
        free(c);
        buf_reset(&scope);
        buf_reset(&query);
        http_reply_error(r, 500, "out of memory");
        return;
    }
    buf_reset(&scope);
    c->range = (struct charts_range){
        .start = now - interval_minutes(http_request_query(r, "interval")) * 60,
        .end = now,
        .step = KUBEFLOW_STEP_S};
    http_request_set_context(r, c, chart_call_free);
    ask(r, c, kubeflow_answered);
}

void api_monitoring_kubeflow(struct http_request *r)
{
    kubeflow(r, http_request_param(r, "type"));
}

void api_monitoring_kubeflow_node(struct http_request *r)
{
    kubeflow(r, "node");
}
