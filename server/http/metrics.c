/* metrics: lock-free counters and Prometheus text rendering; see metrics.h. */
#include "server/http/metrics.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define METRICS_MAX_ROUTES 128
#define STATUS_MIN         100
#define STATUS_MAX         599

/* Upper bounds of the latency buckets, in microseconds. */
static const uint64_t bucket_us[] = {100,     250,     500,     1000,    2500,   5000,
                                     10000,   25000,   50000,   100000,  250000, 500000,
                                     1000000, 2500000, 5000000, 10000000};
#define N_BUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))

struct route_stats {
    _Atomic uint64_t by_status[STATUS_MAX - STATUS_MIN + 1]; /* requests per status code */
    _Atomic uint64_t buckets[N_BUCKETS + 1];                 /* latency, last is +Inf */
    _Atomic uint64_t sum_us;                                 /* total latency */
};

struct metrics {
    const struct route *routes;                       /* borrowed */
    size_t n_routes;                                  /* entries in routes */
    struct route_stats stats[METRICS_MAX_ROUTES + 1]; /* last slot: no route */
    _Atomic int64_t in_flight;                        /* requests received, not yet completed */
    _Atomic int64_t connections;                      /* open client connections */
    _Atomic uint64_t timeouts;                        /* connections closed for slowness */
    time_t started_at;                                /* for process_start_time_seconds */
};

int metrics_new(const struct route *routes, size_t n_routes, struct metrics **ret)
{
    *ret = NULL;
    if (n_routes > METRICS_MAX_ROUTES) return -E2BIG;
    struct metrics *m = calloc(1, sizeof(*m));
    if (!m) return -ENOMEM;
    m->routes = routes;
    m->n_routes = n_routes;
    m->started_at = time(NULL);
    *ret = m;
    return 0;
}

void metrics_free(struct metrics *m)
{
    free(m);
}

void metrics_observe(struct metrics *m, size_t route, unsigned status, uint64_t micros)
{
    struct route_stats *s = &m->stats[route < m->n_routes ? route : METRICS_MAX_ROUTES];
    if (status >= STATUS_MIN && status <= STATUS_MAX)
        atomic_fetch_add_explicit(&s->by_status[status - STATUS_MIN], 1, memory_order_relaxed);
    size_t b = 0;
    while (b < N_BUCKETS && micros > bucket_us[b]) b++;
    atomic_fetch_add_explicit(&s->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->sum_us, micros, memory_order_relaxed);
}

void metrics_in_flight(struct metrics *m, int delta)
{
    atomic_fetch_add_explicit(&m->in_flight, delta, memory_order_relaxed);
}

void metrics_connections(struct metrics *m, int delta)
{
    atomic_fetch_add_explicit(&m->connections, delta, memory_order_relaxed);
}

int64_t metrics_connections_open(const struct metrics *m)
{
    return atomic_load_explicit(&m->connections, memory_order_relaxed);
}

void metrics_timeout(struct metrics *m)
{
    atomic_fetch_add_explicit(&m->timeouts, 1, memory_order_relaxed);
}

/* Label values are route patterns and methods: no quotes or backslashes to escape, but be safe. */
static void add_label(struct buf *out, const char *name, const char *value)
{
    buf_addf(out, "%s=\"", name);
    for (const char *c = value; *c; c++) {
        if (*c == '"' || *c == '\\') buf_add(out, "\\", 1);
        if (*c == '\n')
            buf_adds(out, "\\n");
        else
            buf_add(out, c, 1);
    }
    buf_adds(out, "\"");
}

static void route_labels(const struct metrics *m, struct buf *out, size_t i)
{
    if (i < m->n_routes) {
        add_label(out, "route", m->routes[i].pattern);
        buf_adds(out, ",");
        add_label(out, "method", m->routes[i].method ? m->routes[i].method : "ANY");
    } else {
        add_label(out, "route", "none");
        buf_adds(out, ",");
        add_label(out, "method", "ANY");
    }
}

static uint64_t load(const _Atomic uint64_t *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

static long rss_bytes(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "re");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
        fclose(f);
    }
    return rss * sysconf(_SC_PAGESIZE);
}

int metrics_render(const struct metrics *m, struct buf *out, const char *version)
{
    buf_adds(out, "# HELP kfdash_http_requests_total HTTP requests answered, by route and status.\n"
                  "# TYPE kfdash_http_requests_total counter\n");
    for (size_t i = 0; i <= METRICS_MAX_ROUTES; i++) {
        if (i >= m->n_routes && i != METRICS_MAX_ROUTES) continue;
        for (unsigned st = STATUS_MIN; st <= STATUS_MAX; st++) {
            uint64_t v = load(&m->stats[i].by_status[st - STATUS_MIN]);
            if (!v) continue;
            buf_adds(out, "kfdash_http_requests_total{");
            route_labels(m, out, i);
            buf_addf(out, ",code=\"%u\"} %llu\n", st, (unsigned long long)v);
        }
    }
    buf_adds(out, "# HELP kfdash_http_request_duration_seconds Time from request line to response "
                  "sent, by route.\n# TYPE kfdash_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i <= METRICS_MAX_ROUTES; i++) {
        if (i >= m->n_routes && i != METRICS_MAX_ROUTES) continue;
        uint64_t cum = 0;
        for (size_t b = 0; b <= N_BUCKETS; b++) cum += load(&m->stats[i].buckets[b]);
        if (!cum) continue;
        uint64_t total = cum;
        cum = 0;
        for (size_t b = 0; b <= N_BUCKETS; b++) {
            cum += load(&m->stats[i].buckets[b]);
            buf_adds(out, "kfdash_http_request_duration_seconds_bucket{");
            route_labels(m, out, i);
            if (b < N_BUCKETS)
                buf_addf(out, ",le=\"%g\"} %llu\n", (double)bucket_us[b] / 1e6,
                         (unsigned long long)cum);
            else
                buf_addf(out, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
        }
        buf_adds(out, "kfdash_http_request_duration_seconds_sum{");
        route_labels(m, out, i);
        buf_addf(out, "} %.6f\n", (double)load(&m->stats[i].sum_us) / 1e6);
        buf_adds(out, "kfdash_http_request_duration_seconds_count{");
        route_labels(m, out, i);
        buf_addf(out, "} %llu\n", (unsigned long long)total);
    }
    buf_addf(out,
             "# HELP kfdash_http_requests_in_flight Requests being received or answered.\n"
             "# TYPE kfdash_http_requests_in_flight gauge\n"
             "kfdash_http_requests_in_flight %lld\n"
             "# HELP kfdash_http_connections_open Open client connections.\n"
             "# TYPE kfdash_http_connections_open gauge\n"
             "kfdash_http_connections_open %lld\n"
             "# HELP kfdash_http_timeouts_total Connections closed because the client was too "
             "slow.\n"
             "# TYPE kfdash_http_timeouts_total counter\n"
             "kfdash_http_timeouts_total %llu\n"
             "# HELP kfdash_build_info Build of the running binary.\n"
             "# TYPE kfdash_build_info gauge\n"
             "kfdash_build_info{version=\"%s\"} 1\n"
             "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
             "# TYPE process_resident_memory_bytes gauge\n"
             "process_resident_memory_bytes %ld\n"
             "# HELP process_start_time_seconds Start time of the process since the epoch.\n"
             "# TYPE process_start_time_seconds gauge\n"
             "process_start_time_seconds %lld\n",
             (long long)atomic_load(&m->in_flight), (long long)atomic_load(&m->connections),
             (unsigned long long)atomic_load(&m->timeouts), version, rss_bytes(),
             (long long)m->started_at);
    return buf_error(out);
}
