/*
 * metrics: request counters, latency histograms and gauges, rendered in Prometheus text format.
 *
 * One set per HTTP server (http_server_metrics), over its route table; every update is a relaxed
 * atomic add, so any thread may record without locks. Rendering reads the counters without
 * stopping writers.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "server/http/router.h"

/* Index used for requests that matched no route (rejected early, or 404). */
#define METRICS_NO_ROUTE SIZE_MAX

struct metrics;

/* Counters for a route table (borrowed; outlives them): -E2BIG if too many routes, -ENOMEM. */
int metrics_new(const struct route *routes, size_t n_routes, struct metrics **ret);
void metrics_free(struct metrics *m);

void metrics_observe(struct metrics *m, size_t route, unsigned status, uint64_t micros);
void metrics_in_flight(struct metrics *m, int delta);
void metrics_connections(struct metrics *m, int delta);
int64_t metrics_connections_open(const struct metrics *m);
/* A connection closed because a client took too long. */
void metrics_timeout(struct metrics *m);

/* Appends the exposition text; version goes into kfdash_build_info. */
int metrics_render(const struct metrics *m, struct buf *out, const char *version);
