/*
 * ttl_cache: a bounded, thread-safe map from keys to values that live a set time: answers
 * remembered briefly (SubjectAccessReviews, TokenReviews, verified ID tokens, model addresses)
 * and one-time marks (hand-over codes used, sessions being renewed).
 *
 * Keys are any bytes, known by their SHA-256; each key has a bucket of `ways` slots. Putting a
 * key takes its own slot, a free or expired one, or else the one expiring first; claiming never
 * pushes out a live entry. Each bucket has its own lock, so threads rarely wait on each other.
 * Entries expire by the monotonic clock (a wall-clock jump changes nothing).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ttl_cache;

/* Copies what a get found into out (runs under the bucket's lock; must not block). */
typedef void ttl_cache_copy_fn(void *out, const void *value, long number);

/* buckets * ways slots. value_free (may be NULL) frees the values put in. now_ms (NULL: the
 * monotonic clock) is for tests. -ENOMEM or -EINVAL. */
int ttl_cache_new(size_t buckets, size_t ways, void (*value_free)(void *), int64_t (*now_ms)(void),
                  struct ttl_cache **ret);
void ttl_cache_free(struct ttl_cache *c);

/* True when key is there and alive; then copy (may be NULL) gets its value and number. */
bool ttl_cache_get(struct ttl_cache *c, const void *key, size_t len, ttl_cache_copy_fn *copy,
                   void *out);
/* Remembers value (taken; may be NULL) and number for key, for ttl_ms. */
void ttl_cache_put(struct ttl_cache *c, const void *key, size_t len, void *value, long number,
                   int64_t ttl_ms);
/* Marks key for ttl_ms unless it is marked already: 0, -EEXIST when it is, -ENOSPC when its
 * bucket holds only live entries (the caller refuses: nothing was forgotten). */
int ttl_cache_claim(struct ttl_cache *c, const void *key, size_t len, int64_t ttl_ms);
/* Forgets key (harmless when absent). */
void ttl_cache_drop(struct ttl_cache *c, const void *key, size_t len);
/* Forgets everything. */
void ttl_cache_clear(struct ttl_cache *c);
