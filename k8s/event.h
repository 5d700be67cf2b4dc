/*
 * k8s/event: reading core/v1 and events.k8s.io Events the same way everywhere. Pure.
 */
#pragma once

#include <stddef.h>

struct cJSON;

/* When the event last happened (RFC 3339): lastTimestamp, eventTime, series.lastObservedTime,
 * firstTimestamp or the object's creationTimestamp, the first one set; "" if none. */
const char *k8s_event_time(const struct cJSON *e);
/* Sorts events newest first (by k8s_event_time). */
void k8s_events_newest_first(const struct cJSON **events, size_t n);
