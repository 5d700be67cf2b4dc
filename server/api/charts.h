/*
 * charts: the named charts kfdash draws from Prometheus, and the PromQL it writes for them.
 *
 * A user never sends PromQL. They name a chart of a fixed table, a namespace (where the gate found
 * them a role), at most one workload of it (a DNS name) and a time range; kfdash writes the query
 * itself from the chart's template, putting the namespace matcher into every selector, so no label
 * trick, regular expression or operator reaches another namespace's series. Cluster charts (every
 * namespace at once) are for cluster admins only (routes.c). There are no free-form queries.
 *
 * Also reads Prometheus's range-query answers into the shapes kfdash serves: its own series and
 * Kubeflow's /api/metrics points.
 *
 * Pure and stateless: the table is constant, any thread may call anything here.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct cJSON;

#define CHARTS_ERROR_MAX      256
#define CHARTS_MAX_POINTS     1200          /* points of one series, at most */
#define CHARTS_MAX_RANGE_S    (31L * 86400) /* the longest range asked for */
#define CHARTS_MAX_STEP_S     86400L        /* the longest step */
#define CHARTS_DEFAULT_RANGE  3600L         /* without start or range: the last hour */
#define CHARTS_DEFAULT_POINTS 240           /* without step: about this many points */
#define CHARTS_MAX_SERIES     50            /* series answered, at most (the rest cut) */
#define CHARTS_FUTURE_S       3600L         /* an end this far past now is refused */
#define CHARTS_QUERY_MAX      (16 * 1024)   /* one query's text, at most */
#define CHARTS_NAME_MAX       253           /* a workload's name (a DNS subdomain) */

/* One chart of the table. */
struct charts_chart {
    const char *name;       /* what routes name it: "endpoint-requests" */
    const char *title;      /* shown above it */
    const char *unit;       /* of its values: "req/s", "ratio", "s", "cores", "bytes", "%" */
    const char *workload;   /* what ?name= names ("endpoint", ...); NULL: no ?name= */
    const char *name_label; /* the label ?name= matches */
    const char *labels;     /* the labels naming a series, space-separated */
    const char *promql;     /* the template: $S the matchers of the caller's namespace (and
                               workload), $W the rate window */
    bool cluster;           /* across every namespace: cluster admins only */
};

/* The table: n entries, namespace charts first. */
const struct charts_chart *charts_table(size_t *ret_n);
/* The chart of that name and scope (cluster or not); NULL when there is none. */
const struct charts_chart *charts_find(const char *name, bool cluster);

/* A range query's bounds, in seconds since the epoch (whole seconds). */
struct charts_range {
    long start, end, step;
};

/*
 * The range asked for: start and end (epoch seconds) or range (seconds back from end), and step;
 * each may be NULL (end: now; start: end - range, range CHARTS_DEFAULT_RANGE; step: about
 * CHARTS_DEFAULT_POINTS points, at least min_step). Numbers are plain decimal seconds (a
 * fraction of up to three digits is dropped). 0 with *ret set, or -EINVAL with why in err:
 * malformed, both start and range, start not before end, a range longer than
 * CHARTS_MAX_RANGE_S, an end more than CHARTS_FUTURE_S past now, a step outside
 * [min_step, CHARTS_MAX_STEP_S], or more than CHARTS_MAX_POINTS points.
 */
int charts_range_parse(const char *start, const char *end, const char *range, const char *step,
                       long now, long min_step, struct charts_range *ret,
                       char err[CHARTS_ERROR_MAX]);

/* The window of a chart's rate(): four scrape intervals, or the step when that is longer. */
long charts_window_s(const struct charts_range *r, long scrape_interval_s);

/* True for what ?name= may hold: a DNS subdomain (lowercase letters, digits, '-' and '.'),
 * at most CHARTS_NAME_MAX bytes. */
bool charts_name_ok(const char *name);

/*
 * Appends the chart's PromQL to out: for a namespace chart, ns's matcher (ns must be a DNS
 * label) and, when name is not NULL, the workload's (charts_name_ok); window_s for $W.
 * -EINVAL for a bad ns or name, or a name for a chart without workloads (cluster charts);
 * -E2BIG/-ENOMEM from out.
 */
int charts_promql(const struct charts_chart *c, const char *ns, const char *name, long window_s,
                  struct buf *out);

/*
 * Reads Prometheus's answer to a range query (its JSON body) into kfdash's series: [{"label",
 * "labels": {...}, "points": [[t, v|null], ...]}], sorted by label, at most CHARTS_MAX_SERIES
 * (*ret_truncated says when more came). A value that is not a finite number (NaN, ±Inf) is null.
 * 0 with *ret (the caller deletes it), -EBADMSG with why in err when the answer is not a
 * successful matrix, -ENOMEM.
 */
int charts_series(const char *body, size_t len, const struct charts_chart *c, struct cJSON **ret,
                  bool *ret_truncated, char err[CHARTS_ERROR_MAX]);

/*
 * The same answer in the shape of Kubeflow's /api/metrics/<type>: [{"timestamp": seconds,
 * "label": "k=v,k2=v2", "value": value / 100}] (Kubeflow's frontend multiplies by 100), series
 * after series. At most CHARTS_MAX_SERIES series. Same returns as charts_series.
 */
int charts_kubeflow_points(const char *body, size_t len, struct cJSON **ret,
                           char err[CHARTS_ERROR_MAX]);

/* Prometheus's own error message in an answer ("bad_data: ..."), or "" (out, size). */
void charts_prometheus_error(const char *body, size_t len, char *out, size_t size);
