/* k8s/event: see event.h. */
#include "k8s/event.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const char *string_at(const cJSON *j, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, a);
    if (b) v = cJSON_GetObjectItemCaseSensitive(v, b);
    return cJSON_IsString(v) && *v->valuestring ? v->valuestring : NULL;
}

const char *k8s_event_time(const cJSON *e)
{
    const char *t = string_at(e, "lastTimestamp", NULL);
    if (!t) t = string_at(e, "eventTime", NULL);
    if (!t) t = string_at(e, "series", "lastObservedTime");
    if (!t) t = string_at(e, "firstTimestamp", NULL);
    if (!t) t = string_at(e, "metadata", "creationTimestamp");
    return t ? t : "";
}

static int newer_first(const void *a, const void *b)
{
    return strcmp(k8s_event_time(*(const cJSON *const *)b),
                  k8s_event_time(*(const cJSON *const *)a));
}

void k8s_events_newest_first(const cJSON **events, size_t n)
{
    if (n > 1) qsort(events, n, sizeof(*events), newer_first);
}
