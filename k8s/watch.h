/*
 * k8s/watch: one resource kept in step with the API server, as client-go's informers do.
 *
 * A thread of its own lists the resource (paged), then watches from the list's resourceVersion
 * (both through the upstream engine, lib/upstream.h, which the watch must not outlive)
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
struct upstream;

enum k8s_event { K8S_ADDED, K8S_MODIFIED, K8S_DELETED };

struct k8s_watch_ops {
    /* A full list begins: forget everything seen so far. */
    void (*reset)(void *ctx);
    /* One object added, changed or removed (borrowed for the call). */
    void (*apply)(void *ctx, enum k8s_event event, const struct cJSON *object);
    /* A list or a batch of watch events is complete: publish. */
    void (*settled)(void *ctx);
};

/* What one line of a watch response says (k8s_watch_line_parse). */
enum k8s_watch_kind {
    K8S_WATCH_OBJECT,   /* ADDED, MODIFIED or DELETED: event and object */
    K8S_WATCH_BOOKMARK, /* only a newer resource_version */
    K8S_WATCH_GONE,     /* ERROR with code 410: the version is too old, list again */
    K8S_WATCH_ERROR,    /* any other ERROR */
};

/* One line of a watch response, parsed. */
struct k8s_watch_line {
    enum k8s_watch_kind kind;     /* what the line says */
    enum k8s_event event;         /* for K8S_WATCH_OBJECT */
    const struct cJSON *object;   /* the event's object; borrowed from root */
    const char *resource_version; /* object.metadata.resourceVersion or NULL; from root */
    struct cJSON *root;           /* the parsed line, owned: k8s_watch_line_reset frees it */
};

/*
 * Hands each complete line of p (n bytes; a line ends in '\n', empty ones are skipped, the
 * text passed excludes the '\n') to on_line, in order, and returns the bytes consumed: what is
 * left is the start of a line still arriving. Pure.
 */
size_t k8s_watch_lines(const char *p, size_t n,
                       void (*on_line)(void *ctx, const char *text, size_t len), void *ctx);
/*
 * Parses one line of a watch response (len bytes, no NUL needed): {"type": ..., "object":
 * {...}}. 0 with *ret filled (release with k8s_watch_line_reset); -EBADMSG when it is not JSON,
 * lacks a string type or an object, or names a type the API server does not send (out of
 * memory reads as not JSON). Pure, thread-safe.
 */
int k8s_watch_line_parse(const char *text, size_t len, struct k8s_watch_line *ret);
/* Frees what l holds and zeroes it; idempotent. */
void k8s_watch_line_reset(struct k8s_watch_line *l);

/* Starts watching path (e.g. "/apis/kubeflow.org/v1/profiles", which may end in a query such
 * as "?labelSelector=..."); client must outlive it. */
int k8s_watch_start(struct upstream *engine, struct k8s_client *c, const char *path,
                    const struct k8s_watch_ops *ops, void *ctx, struct k8s_watch **ret);
/* Stops the thread (aborting a transfer under way) and frees; NULL-safe. */
void k8s_watch_stop(struct k8s_watch *w);
/* True once a first list has completed; detail says how many objects or the last error (false,
 * "stopped", for NULL). */
bool k8s_watch_synced(struct k8s_watch *w, char *detail, size_t size);
