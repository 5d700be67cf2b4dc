/*
 * k8s/watch: one resource kept in step with the API server, as client-go's informers do.
 *
 * A thread of its own lists the resource (paged), then watches from the list's resourceVersion
 * with bookmarks; a 410 Gone (the version is too old) lists again, any other failure retries
 * with backoff (1 s doubling to 30 s). The owner sees every object through ops, on that thread,
 * and publishes what it built when told the state settled.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct cJSON;
struct k8s_client;
struct k8s_watch;

enum k8s_event { K8S_ADDED, K8S_MODIFIED, K8S_DELETED };

struct k8s_watch_ops {
    /* A full list begins: forget everything seen so far. */
    void (*reset)(void *ctx);
    /* One object added, changed or removed (borrowed for the call). */
    void (*apply)(void *ctx, enum k8s_event event, const struct cJSON *object);
    /* A list or a batch of watch events is complete: publish. */
    void (*settled)(void *ctx);
};

/* Starts watching path (e.g. "/apis/kubeflow.org/v1/profiles", which may end in a query such
 * as "?labelSelector=..."); client must outlive it. */
int k8s_watch_start(struct k8s_client *c, const char *path, const struct k8s_watch_ops *ops,
                    void *ctx, struct k8s_watch **ret);
/* Stops the thread (aborting a transfer under way) and frees; NULL-safe. */
void k8s_watch_stop(struct k8s_watch *w);
/* True once a first list has completed; detail says how many objects or the last error. */
bool k8s_watch_synced(struct k8s_watch *w, char *detail, size_t size);
