/* metrics: counts land on the right series and the text is valid Prometheus exposition. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "server/http/metrics.h"
#include "unit.h"

static void h(struct http_request *r)
{
    (void)r;
}

static const struct route table[] = {
    {"GET", "/healthz", h, 0},
    {"GET", "/api/activities/:namespace", h, 0},
};

static struct metrics *m;

static void fresh(void)
{
    metrics_free(m);
    ck_assert_int_eq(metrics_new(table, 2, &m), 0);
}

static char *render(void)
{
    static struct buf b;
    buf_reset(&b);
    buf_init(&b, 1 << 20);
    ck_assert_int_eq(metrics_render(m, &b, "1.2.3"), 0);
    return (char *)buf_str(&b);
}

/* The value of the sample whose name and labels are exactly `series`, or -1. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        if (strncmp(line, series, n) == 0 && line[n] == ' ') return atof(line + n + 1);
        if (!end) break;
        line = end + 1;
    }
    return -1;
}

START_TEST(counts_requests_by_route_method_and_status)
{
    fresh();
    metrics_observe(m, 0, 200, 50);
    metrics_observe(m, 0, 200, 50);
    metrics_observe(m, 1, 403, 50);
    metrics_observe(m, METRICS_NO_ROUTE, 431, 10);
    char *t = render();
    ck_assert_double_eq(
        sample(t, "kfdash_http_requests_total{route=\"/healthz\",method=\"GET\",code=\"200\"}"), 2);
    ck_assert_double_eq(sample(t, "kfdash_http_requests_total{route=\"/api/activities/:namespace\","
                                  "method=\"GET\",code=\"403\"}"),
                        1);
    ck_assert_double_eq(
        sample(t, "kfdash_http_requests_total{route=\"none\",method=\"ANY\",code=\"431\"}"), 1);
}
END_TEST

START_TEST(histogram_buckets_are_cumulative_and_end_in_inf_equal_to_count)
{
    fresh();
    metrics_observe(m, 1, 200, 90);       /* <= 100 µs */
    metrics_observe(m, 1, 200, 3000);     /* <= 5 ms */
    metrics_observe(m, 1, 200, 60000000); /* beyond every bucket */
    char *t = render();
    const char *labels = "route=\"/api/activities/:namespace\",method=\"GET\"";
    char series[256];
    snprintf(series, sizeof(series),
             "kfdash_http_request_duration_seconds_bucket{%s,le=\"0.0001\"}", labels);
    double first = sample(t, series);
    snprintf(series, sizeof(series), "kfdash_http_request_duration_seconds_bucket{%s,le=\"0.005\"}",
             labels);
    double mid = sample(t, series);
    snprintf(series, sizeof(series), "kfdash_http_request_duration_seconds_bucket{%s,le=\"+Inf\"}",
             labels);
    double inf = sample(t, series);
    snprintf(series, sizeof(series), "kfdash_http_request_duration_seconds_count{%s}", labels);
    double count = sample(t, series);
    ck_assert_double_ge(first, 1);
    ck_assert_double_ge(mid, first + 1);
    ck_assert_double_eq(inf, count);
    ck_assert_double_ge(inf, mid + 1);
}
END_TEST

START_TEST(every_sample_has_a_type_line_and_build_info_carries_the_version)
{
    fresh();
    metrics_in_flight(m, 1);
    char *t = render();
    ck_assert_double_eq(sample(t, "kfdash_build_info{version=\"1.2.3\"}"), 1);
    ck_assert_double_ge(sample(t, "kfdash_http_requests_in_flight"), 1);
    ck_assert_double_gt(sample(t, "process_resident_memory_bytes"), 0);
    /* Every sample's family was declared by a # TYPE line before it. */
    for (const char *line = t; *line;) {
        const char *end = strchr(line, '\n');
        ck_assert_ptr_nonnull(end);
        if (*line != '#') {
            char name[128];
            size_t n = strcspn(line, "{ ");
            snprintf(name, sizeof(name), "%.*s", (int)n, line);
            char *suffix = strstr(name, "_bucket");
            if (!suffix) suffix = strstr(name, "_sum");
            if (!suffix) suffix = strstr(name, "_count");
            if (suffix && strncmp(name, "kfdash_http_request_duration", 28) == 0) *suffix = '\0';
            char type_line[160];
            snprintf(type_line, sizeof(type_line), "# TYPE %s ", name);
            const char *decl = strstr(t, type_line);
            ck_assert_msg(decl && decl < line, "no TYPE before %s", name);
        }
        line = end + 1;
    }
    metrics_in_flight(m, -1);
}
END_TEST

START_TEST(a_table_too_large_is_refused)
{
    static struct route big[200];
    struct metrics *none = NULL;
    ck_assert_int_eq(metrics_new(big, 200, &none), -E2BIG);
    ck_assert_ptr_null(none);
}
END_TEST

RUN_SUITE("metrics", a_table_too_large_is_refused, counts_requests_by_route_method_and_status,
          histogram_buckets_are_cumulative_and_end_in_inf_equal_to_count,
          every_sample_has_a_type_line_and_build_info_carries_the_version)
