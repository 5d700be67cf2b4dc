/*
 * handlers_monitoring: the charts of a namespace and of the cluster, Kubeflow's /api/metrics
 * (server/api/monitoring.c) and a namespace's quota (server/api/quota.c), as far as kfdash decides:
 * who reaches them (the gate, by the route's least role), what a client may ask (chart names,
 * parameters, ranges, workload names), the PromQL sent, and what Prometheus's answers and failures
 * become. Prometheus here is a small server of the test's own that records what it was sent.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fixtures.h"
#include "handlers.h"
#include "lib/buf.h"

#define ALICE "alice@example.com"
#define BOB   "bob@example.com"
#define CAROL "carol@example.com"
#define ADMIN "admin@example.com"
#define NOONE "dave@example.com"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- a Prometheus of our own */

static struct {
    int fd; /* listening */
    int port;
    pthread_t thread;
    pthread_mutex_t lock;
    unsigned status; /* what it answers */
    char answer[8192];
    char path[256];       /* what it was last sent */
    char form[64 * 1024]; /* the body, percent-decoded */
    int calls;
} prom;

static int unhex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10;
}

/* A form body decoded (+ is a space). */
static void decode(const char *in, size_t n, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < size; i++) {
        if (in[i] == '%' && i + 2 < n) {
            out[o++] = (char)(unhex(in[i + 1]) * 16 + unhex(in[i + 2]));
            i += 2;
        } else {
            out[o++] = in[i] == '+' ? ' ' : in[i];
        }
    }
    out[o] = '\0';
}

static void *serve(void *arg)
{
    (void)arg;
    for (;;) {
        int c = accept(prom.fd, NULL, NULL);
        if (c < 0) return NULL;
        static char req[128 * 1024];
        size_t n = 0;
        long want = -1;
        char *body = NULL;
        while (n < sizeof(req) - 1) {
            ssize_t got = read(c, req + n, sizeof(req) - 1 - n);
            if (got <= 0) break;
            n += (size_t)got;
            req[n] = '\0';
            body = strstr(req, "\r\n\r\n");
            if (body && want < 0) {
                const char *cl = strcasestr(req, "Content-Length:");
                want = cl ? atol(cl + 15) : 0;
            }
            if (body && (long)(n - (size_t)(body + 4 - req)) >= want) break;
        }
        pthread_mutex_lock(&prom.lock);
        prom.calls++;
        sscanf(req, "%*s %255s", prom.path);
        if (body) decode(body + 4, n - (size_t)(body + 4 - req), prom.form, sizeof(prom.form));
        char head[256];
        int len = snprintf(head, sizeof(head),
                           "HTTP/1.1 %u X\r\nContent-Type: application/json\r\nContent-Length: "
                           "%zu\r\nConnection: close\r\n\r\n",
                           prom.status, strlen(prom.answer));
        (void)!write(c, head, (size_t)len);
        (void)!write(c, prom.answer, strlen(prom.answer));
        pthread_mutex_unlock(&prom.lock);
        close(c);
    }
}

static void prom_start(void)
{
    memset(&prom, 0, sizeof(prom));
    pthread_mutex_init(&prom.lock, NULL);
    prom.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(prom.fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t len = sizeof(a);
    getsockname(prom.fd, (struct sockaddr *)&a, &len);
    prom.port = ntohs(a.sin_port);
    ck_assert_int_eq(listen(prom.fd, 16), 0);
    pthread_create(&prom.thread, NULL, serve, NULL);
}

static void prom_stop(void)
{
    shutdown(prom.fd, SHUT_RDWR);
    close(prom.fd);
    pthread_join(prom.thread, NULL);
    pthread_mutex_destroy(&prom.lock);
}

static void prom_answers(unsigned status, const char *answer)
{
    pthread_mutex_lock(&prom.lock);
    prom.status = status;
    snprintf(prom.answer, sizeof(prom.answer), "%s", answer);
    pthread_mutex_unlock(&prom.lock);
}

/* The form's field (decoded); "" when absent. */
static const char *sent(const char *field)
{
    static char out[64 * 1024];
    char key[64];
    snprintf(key, sizeof(key), "%s=", field);
    out[0] = '\0';
    for (const char *p = prom.form; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        /* the query's own '&'s would split it: it is the first field and sent escaped */
        if (strncmp(p, key, strlen(key)) == 0) {
            if (strcmp(field, "query") == 0) {
                const char *rest = strstr(p, "&start=");
                n = rest ? (size_t)(rest - p) : strlen(p);
            }
            snprintf(out, sizeof(out), "%.*s", (int)(n - strlen(key)), p + strlen(key));
            return out;
        }
        p = amp ? amp + 1 : NULL;
    }
    return out;
}

/* ---------------------------------------------------------------- the server */

static struct server_fixture f;
static struct table t;

/* prometheus: the URL kfdash is given ("" for none; "fake" for ours). */
static void start(const char *prometheus)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", prom.port);
    const char *args[] = {"--cluster-admins",
                          ADMIN,
                          "--prometheus-url",
                          strcmp(prometheus, "fake") == 0 ? url : prometheus,
                          "--prometheus-scrape-interval",
                          "5",
                          "--metrics-dashboard",
                          "https://grafana.example.com/d/kubeflow",
                          NULL};
    sfx_start(&f, args);
    table_load(&t, &f);
    sfx_profile(&f, "alice", ALICE);
    sfx_profile(&f, "bob", BOB);
    sfx_binding(&f, "alice", "kubeflow-view", CAROL);
}

static void stop(void)
{
    table_free(&t);
    sfx_stop(&f);
}

/* GET target as who, through the gate (the route's least role), until it answers. */
static struct http_request *get(const char *who, const char *target)
{
    struct http_request *r = routed(&f, &t, "GET", target, false);
    browser_session(&f, r, who, time(NULL));
    admit(r);
    return r;
}

static void expect(struct http_request *r, unsigned status, const char *error_part)
{
    ck_assert_msg(fake_status(r) == status, "%u, wanted %u: %s", fake_status(r), status,
                  fake_reply_body(r));
    if (error_part) ck_assert_error_has(r, error_part);
}

#define MATRIX(result)                                                                             \
    "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":" result "}}"

/* ---------------------------------------------------------------- the listing */

START_TEST(the_listing_says_whether_prometheus_is_there_and_hides_cluster_charts)
{
    start("");
    struct http_request *r = get(ALICE, "/api/charts");
    expect(r, 200, NULL);
    cJSON *j = fake_reply_json(r);
    ck_assert(cJSON_IsFalse(fx_obj(j, "configured")));
    const cJSON *c;
    size_t n = 0;
    cJSON_ArrayForEach(c, fx_obj(j, "charts"))
    {
        ck_assert_str_eq(fx_str(c, "scope"), "namespace");
        n++;
    }
    ck_assert_uint_ge(n, 11);
    cJSON_Delete(j);
    fake_free(r);

    r = get(ADMIN, "/api/charts");
    j = fake_reply_json(r);
    size_t cluster = 0;
    cJSON_ArrayForEach(c, fx_obj(j, "charts")) cluster +=
        strcmp(fx_str(c, "scope"), "cluster") == 0;
    ck_assert_uint_ge(cluster, 5);
    ck_assert_str_eq(fx_str(j, "dashboardUrl"), "https://grafana.example.com/d/kubeflow");
    cJSON_Delete(j);
    fake_free(r);

    /* not configured: a chart is 503, Kubeflow's /api/metrics its own 405 */
    r = get(ALICE, "/api/namespaces/alice/charts/notebook-cpu");
    expect(r, 503, "no Prometheus is configured (prometheus.url)");
    fake_free(r);
    r = get(ALICE, "/api/metrics");
    ck_assert_refused(r, 405, "Operation not supported");
    fake_free(r);
    r = get(ALICE, "/api/metrics/podcpu");
    ck_assert_refused(r, 405, "Operation not supported");
    fake_free(r);
    stop();
}
END_TEST

/* ---------------------------------------------------------------- who reaches what */

START_TEST(only_members_reach_a_namespaces_charts_and_quota)
{
    prom_answers(200, MATRIX("[]"));
    start("fake");
    const struct {
        const char *who, *target;
        unsigned status;
    } cases[] = {
        {BOB, "/api/namespaces/alice/charts/endpoint-requests", 403},
        {NOONE, "/api/namespaces/alice/charts/endpoint-requests", 403},
        {ALICE, "/api/namespaces/bob/charts/notebook-cpu", 403},
        {CAROL, "/api/namespaces/alice/charts/endpoint-requests", 200}, /* a viewer reads */
        {ALICE, "/api/namespaces/alice/charts/endpoint-requests", 200},
        {ADMIN, "/api/namespaces/bob/charts/notebook-cpu", 200},
        {ALICE, "/api/cluster/charts/process-cpu", 403},
        {CAROL, "/api/cluster/charts/requests", 403},
        {ADMIN, "/api/cluster/charts/process-cpu", 200},
        {ALICE, "/api/metrics/node", 403},
        {ADMIN, "/api/metrics/node", 200},
        {BOB, "/api/namespaces/alice/quota", 403},
        {NOONE, "/api/namespaces/carol/quota", 403},
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct http_request *r = get(cases[i].who, cases[i].target);
        ck_assert_msg(fake_status(r) == cases[i].status, "%s %s: %u %s", cases[i].who,
                      cases[i].target, fake_status(r), fake_reply_body(r));
        fake_free(r);
    }
    stop();
}
END_TEST

/* ---------------------------------------------------------------- what may be asked */

START_TEST(crafted_chart_requests_are_refused_before_prometheus_hears_of_them)
{
    prom_answers(200, MATRIX("[]"));
    start("fake");
    const struct {
        const char *target;
        unsigned status;
        const char *error;
    } cases[] = {
        /* chart names outside the table */
        {"/api/namespaces/alice/charts/up", 404, "no such chart"},
        {"/api/namespaces/alice/charts/process-cpu", 404, "no such chart"}, /* a cluster one */
        {"/api/namespaces/alice/charts/notebook-cpu%7Bnamespace%3D%22bob%22%7D", 404,
         "no such chart"},
        {"/api/namespaces/alice/charts/sum(up)", 404, "no such chart"},
        {"/api/cluster/charts/notebook-cpu", 404, "no such cluster chart"},
        /* PromQL in any parameter */
        {"/api/namespaces/alice/charts/notebook-cpu?query=up", 400, "unknown query parameter"},
        {"/api/namespaces/alice/charts/notebook-cpu?match[]=up", 400, "unknown query parameter"},
        {"/api/namespaces/alice/charts/notebook-cpu?namespace=bob", 400, "unknown query parameter"},
        {"/api/namespaces/alice/charts/notebook-cpu?Name=nb1", 400, "unknown query parameter"},
        {"/api/namespaces/alice/charts/notebook-cpu?range=60&range=120", 400,
         "range: given more than once"},
        {"/api/namespaces/alice/charts/notebook-cpu?name=nb1&name=nb2", 400,
         "name: given more than once"},
        /* names that would leave the string they go into */
        {"/api/namespaces/alice/charts/notebook-cpu?name=nb1%22%7D%20or%20up%7Bx%3D%22", 400,
         "name: a Kubernetes object name"},
        {"/api/namespaces/alice/charts/notebook-cpu?name=.%2B", 400, "name:"},
        {"/api/namespaces/alice/charts/notebook-cpu?name=nb1%7Cnb2", 400, "name:"},
        {"/api/namespaces/alice/charts/notebook-cpu?name=nb1%5C", 400, "name:"},
        {"/api/namespaces/alice/charts/notebook-cpu?name=", 400, "name:"},
        {"/api/namespaces/alice/charts/notebook-cpu?name=%ZZ", 400, "name: malformed"},
        {"/api/cluster/charts/process-cpu?name=alice", 400, "every namespace"},
        /* ranges and steps */
        {"/api/namespaces/alice/charts/notebook-cpu?step=0", 400, "step: from 1"},
        {"/api/namespaces/alice/charts/notebook-cpu?range=86400&step=1", 400, "at most 1200"},
        {"/api/namespaces/alice/charts/notebook-cpu?range=-1", 400, "range:"},
        {"/api/namespaces/alice/charts/notebook-cpu?range=NaN", 400, "range:"},
        {"/api/namespaces/alice/charts/notebook-cpu?start=1&end=2&step=1e-9", 400, "step:"},
        {"/api/namespaces/alice/charts/notebook-cpu?start=0&end=99999999999", 400, "end:"},
        {"/api/namespaces/alice/charts/notebook-cpu?start=10&range=60", 400, "not both"},
        {"/api/namespaces/alice/charts/notebook-cpu?range=99999999", 400, "range: at most"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        bool cluster = strncmp(cases[i].target, "/api/cluster/", 13) == 0;
        struct http_request *r = get(cluster ? ADMIN : ALICE, cases[i].target);
        ck_assert_msg(fake_status(r) == cases[i].status, "%s: %u %s", cases[i].target,
                      fake_status(r), fake_reply_body(r));
        ck_assert_msg(strstr(error_of(r), cases[i].error), "%s: %s", cases[i].target,
                      fake_reply_body(r));
        fake_free(r);
    }
    ck_assert_int_eq(prom.calls, 0);
    stop();
}
END_TEST

/* ---------------------------------------------------------------- what Prometheus is sent */

START_TEST(the_query_sent_is_kfdashs_with_the_callers_namespace)
{
    prom_answers(200, MATRIX("[{\"metric\":{\"serving_kserve_io_inferenceservice\":\"iris\"},"
                             "\"values\":[[1700000000,\"0.5\"],[1700000015,\"NaN\"]]}]"));
    start("fake");
    struct http_request *r =
        get(CAROL, "/api/namespaces/alice/charts/endpoint-requests?name=iris&range=600&step=15");
    expect(r, 200, NULL);
    ck_assert_str_eq(prom.path, "/api/v1/query_range");
    const char *want =
        "(sum by (serving_kserve_io_inferenceservice) (rate(model_infer_request_success_total{"
        "namespace=\"alice\",serving_kserve_io_inferenceservice=\"iris\"}[20s])) + sum by "
        "(serving_kserve_io_inferenceservice) (rate(model_infer_request_failure_total{"
        "namespace=\"alice\",serving_kserve_io_inferenceservice=\"iris\"}[20s])))";
    ck_assert_str_eq(sent("query"), want);
    ck_assert_str_eq(sent("step"), "15");
    ck_assert_str_eq(sent("timeout"), "10s");
    long start_s = atol(sent("start")), end_s = atol(sent("end"));
    ck_assert_int_eq(end_s - start_s, 600);
    ck_assert_int_le(labs(end_s - (long)time(NULL)), 5);
    cJSON *j = fake_reply_json(r);
    ck_assert_str_eq(fx_str(j, "chart"), "endpoint-requests");
    ck_assert_str_eq(fx_str(j, "namespace"), "alice");
    ck_assert_str_eq(fx_str(j, "name"), "iris");
    ck_assert_str_eq(fx_str(j, "unit"), "req/s");
    ck_assert_str_eq(fx_str(j, "query"), want);
    ck_assert_double_eq(fx_num(j, "window"), 20);
    ck_assert_str_eq(fx_str_at(j, "series.0.label"), "iris");
    ck_assert_double_eq(fx_at(j, "series.0.points.0.1")->valuedouble, 0.5);
    ck_assert(cJSON_IsNull(fx_at(j, "series.0.points.1.1")));
    ck_assert(cJSON_IsFalse(fx_obj(j, "truncated")));
    cJSON_Delete(j);
    fake_free(r);

    /* the cluster's chart, for an admin: no namespace in it */
    r = get(ADMIN, "/api/cluster/charts/process-cpu?range=3600&step=60");
    expect(r, 200, NULL);
    ck_assert_str_eq(sent("query"), "topk(20, sum by (namespace) "
                                    "(rate(process_cpu_seconds_total{namespace!=\"\"}[60s])))");
    fake_free(r);
    stop();
}
END_TEST

START_TEST(prometheus_failures_are_told_without_its_address)
{
    prom_answers(422, "{\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"query "
                      "processing would load too many samples into memory\"}");
    start("fake");
    struct http_request *r = get(ALICE, "/api/namespaces/alice/charts/notebook-memory");
    ck_assert_refused(r, 502,
                      "Prometheus refused the query (HTTP 422): execution: query processing "
                      "would load too many samples into memory");
    fake_free(r);
    prom_answers(200,
                 "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}");
    r = get(ALICE, "/api/namespaces/alice/charts/notebook-memory");
    ck_assert_refused(r, 502, "Prometheus's answer is not a range of values");
    fake_free(r);
    stop();

    start("http://127.0.0.1:1/prometheus");
    r = get(ALICE, "/api/namespaces/alice/charts/notebook-memory");
    ck_assert_refused(r, 502, "Prometheus did not answer: connection refused");
    ck_assert(strstr(fake_reply_body(r), "127.0.0.1") == NULL);
    fake_free(r);
    stop();
}
END_TEST

/* ---------------------------------------------------------------- Kubeflow's /api/metrics */

START_TEST(kubeflows_metrics_keep_its_shapes_and_scope_non_admins)
{
    prom_answers(200,
                 MATRIX("[{\"metric\":{\"instance\":\"n1\"},\"values\":[[1700000000,\"150\"]]}]"));
    start("fake");
    struct http_request *r = get(ALICE, "/api/metrics");
    expect(r, 200, NULL);
    cJSON *j = fake_reply_json(r);
    ck_assert_str_eq(fx_str(j, "resourceChartsLink"), "https://grafana.example.com/d/kubeflow");
    ck_assert_str_eq(fx_str(j, "resourceChartsLinkText"), "View in dashboard");
    cJSON_Delete(j);
    fake_free(r);

    /* an admin: Kubeflow's very queries, its interval and its 10 s step */
    r = get(ADMIN, "/api/metrics/node?interval=Last5m");
    expect(r, 200, NULL);
    ck_assert_str_eq(sent("query"), "sum(rate(node_cpu_seconds_total[5m])) by (instance)");
    ck_assert_str_eq(sent("step"), "10");
    ck_assert_int_eq(atol(sent("end")) - atol(sent("start")), 300);
    j = fake_reply_json(r);
    ck_assert(cJSON_IsArray(j));
    ck_assert_str_eq(fx_str(cJSON_GetArrayItem(j, 0), "label"), "instance=n1");
    ck_assert_double_eq(fx_num(cJSON_GetArrayItem(j, 0), "value"), 1.5);
    ck_assert_double_eq(fx_num(cJSON_GetArrayItem(j, 0), "timestamp"), 1700000000);
    cJSON_Delete(j);
    fake_free(r);
    r = get(ADMIN, "/api/metrics/podcpu?interval=nonsense");
    ck_assert_str_eq(sent("query"), "sum(rate(container_cpu_usage_seconds_total[5m]))");
    ck_assert_int_eq(atol(sent("end")) - atol(sent("start")), 900); /* Kubeflow's Last15m */
    fake_free(r);
    r = get(ADMIN, "/api/metrics/podmem?interval=Last180m");
    ck_assert_str_eq(sent("query"), "sum(container_memory_usage_bytes)");
    ck_assert_int_eq(atol(sent("end")) - atol(sent("start")), 10800);
    fake_free(r);

    /* anyone else: their own namespaces only */
    r = get(CAROL, "/api/metrics/podcpu");
    expect(r, 200, NULL);
    ck_assert_str_eq(sent("query"),
                     "sum(rate(container_cpu_usage_seconds_total{namespace=~\"alice\"}[5m]))");
    fake_free(r);
    sfx_binding(&f, "bob", "kubeflow-edit", CAROL);
    r = get(CAROL, "/api/metrics/podmem");
    ck_assert_str_eq(sent("query"), "sum(container_memory_usage_bytes{namespace=~\"alice|bob\"})");
    fake_free(r);
    int calls = prom.calls;
    r = get(NOONE, "/api/metrics/podcpu");
    expect(r, 200, NULL);
    ck_assert_str_eq(fake_reply_body(r), "[]");
    ck_assert_int_eq(prom.calls, calls); /* nothing of theirs to ask about */
    fake_free(r);
    r = get(ALICE, "/api/metrics/pods");
    ck_assert_refused(r, 404, "no such API route");
    fake_free(r);
    stop();
}
END_TEST

/* ---------------------------------------------------------------- quota */

START_TEST(a_members_quota_is_read_as_them_and_failures_hide_the_api_servers_address)
{
    start("");
    struct http_request *r = get(CAROL, "/api/namespaces/alice/quota");
    ck_assert_uint_eq(fake_status(r), 502); /* the gate let her in; the API server is away */
    ck_assert_error_has(r, "cannot read the namespace's quotas: connection refused");
    ck_assert(strstr(fake_reply_body(r), "127.0.0.1") == NULL);
    fake_free(r);
    stop();
}
END_TEST

static void setup(void)
{
    prom_start();
}

static void teardown(void)
{
    prom_stop();
}

int main(void)
{
    Suite *s = suite_create("handlers_monitoring");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, the_listing_says_whether_prometheus_is_there_and_hides_cluster_charts);
    tcase_add_test(tc, only_members_reach_a_namespaces_charts_and_quota);
    tcase_add_test(tc, crafted_chart_requests_are_refused_before_prometheus_hears_of_them);
    tcase_add_test(tc, the_query_sent_is_kfdashs_with_the_callers_namespace);
    tcase_add_test(tc, prometheus_failures_are_told_without_its_address);
    tcase_add_test(tc, kubeflows_metrics_keep_its_shapes_and_scope_non_admins);
    tcase_add_test(tc, a_members_quota_is_read_as_them_and_failures_hide_the_api_servers_address);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
