/*
 * ring: a byte queue of fixed capacity over storage the owner provides (no allocation), for
 * bytes passing between a reader and a writer that go at different speeds (a proxied answer,
 * an upload, a WebSocket relay). Not thread-safe: its owner locks.
 */
#pragma once

#include <stddef.h>

struct ring {
    char *data; /* cap bytes, the owner's */
    size_t cap;
    size_t start; /* the oldest byte */
    size_t len;   /* bytes queued */
};

static inline void ring_init(struct ring *r, char *storage, size_t cap)
{
    *r = (struct ring){.data = storage, .cap = cap};
}
static inline size_t ring_len(const struct ring *r)
{
    return r->len;
}
static inline size_t ring_room(const struct ring *r)
{
    return r->cap - r->len;
}

/* Queues as much of p as fits; returns how much that was. */
size_t ring_put(struct ring *r, const void *p, size_t n);
/* Moves up to max queued bytes into out; returns how many. */
size_t ring_get(struct ring *r, void *out, size_t max);

/* The oldest queued bytes that lie in one piece (*n of them; 0 when empty), to send in place;
 * ring_consume then drops what was sent. */
const char *ring_peek(const struct ring *r, size_t *n);
void ring_consume(struct ring *r, size_t n);
/* Free room in one piece after the queued bytes (*n of it; 0 when full), to receive into in
 * place; ring_commit then queues what was written there. */
char *ring_space(struct ring *r, size_t *n);
void ring_commit(struct ring *r, size_t n);
