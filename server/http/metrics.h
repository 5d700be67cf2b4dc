/*
 * metrics: request counters, latency histograms and gauges, rendered in Prometheus text format.
 *
 * Routes are registered once at start-up; after that every update is a relaxed atomic add, so
 * any thread may record without locks. Rendering reads the counters without stopping writers.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "server/http/router.h"

/* Index used for requests that matched no route (rejected early, or 404). */
#define METRICS_NO_ROUTE SIZE_MAX

/* Registers the route table; metrics_observe takes indexes into it. -E2BIG if too many. */
int metrics_init(const struct route *routes, size_t n_routes);

void metrics_observe(size_t route, unsigned status, uint64_t micros);
void metrics_in_flight(int delta);
void metrics_connections(int delta);
int64_t metrics_connections_open(void);
/* A connection closed because a client took too long. */
void metrics_timeout(void);

/* Appends the exposition text; version goes into kfdash_build_info. */
int metrics_render(struct buf *out, const char *version);
