#include "lib/ttl_cache.h"

#include <errno.h>
#include <mbedtls/sha256.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"

struct slot {
    unsigned char digest[32]; /* SHA-256 of the key */
    int64_t expires_ms;       /* 0: free */
    long number;
    void *value;
};

struct bucket {
    pthread_mutex_t lock;
    struct slot *slots; /* ways of them, in the cache's one array */
};

struct ttl_cache {
    size_t n_buckets, ways;
    void (*value_free)(void *);
    int64_t (*now_ms)(void);
    struct bucket *buckets;
    struct slot *slots;
};

int ttl_cache_new(size_t buckets, size_t ways, void (*value_free)(void *), int64_t (*now_ms)(void),
                  struct ttl_cache **ret)
{
    *ret = NULL;
    if (!buckets || !ways || buckets > SIZE_MAX / ways / sizeof(struct slot)) return -EINVAL;
    struct ttl_cache *c = calloc(1, sizeof(*c));
    if (!c) return -ENOMEM;
    c->buckets = calloc(buckets, sizeof(*c->buckets));
    c->slots = calloc(buckets * ways, sizeof(*c->slots));
    if (!c->buckets || !c->slots) {
        free(c->buckets);
        free(c->slots);
        free(c);
        return -ENOMEM;
    }
    c->n_buckets = buckets;
    c->ways = ways;
    c->value_free = value_free;
    c->now_ms = now_ms ? now_ms : clock_ms;
    for (size_t i = 0; i < buckets; i++) {
        pthread_mutex_init(&c->buckets[i].lock, NULL);
        c->buckets[i].slots = c->slots + i * ways;
    }
    *ret = c;
    return 0;
}

static void empty(struct ttl_cache *c, struct slot *s)
{
    if (s->value && c->value_free) c->value_free(s->value);
    *s = (struct slot){0};
}

void ttl_cache_clear(struct ttl_cache *c)
{
    for (size_t b = 0; b < c->n_buckets; b++) {
        pthread_mutex_lock(&c->buckets[b].lock);
        for (size_t w = 0; w < c->ways; w++) empty(c, &c->buckets[b].slots[w]);
        pthread_mutex_unlock(&c->buckets[b].lock);
    }
}

void ttl_cache_free(struct ttl_cache *c)
{
    if (!c) return;
    ttl_cache_clear(c);
    for (size_t b = 0; b < c->n_buckets; b++) pthread_mutex_destroy(&c->buckets[b].lock);
    free(c->buckets);
    free(c->slots);
    free(c);
}

/* The key's bucket, locked, and its digest. */
static struct bucket *lock_bucket(struct ttl_cache *c, const void *key, size_t len,
                                  unsigned char digest[32])
{
    mbedtls_sha256_ret(key, len, digest, 0);
    uint64_t h;
    memcpy(&h, digest, sizeof(h));
    struct bucket *b = &c->buckets[h % c->n_buckets];
    pthread_mutex_lock(&b->lock);
    return b;
}

/* The key's live slot in b, or NULL. */
static struct slot *find(struct ttl_cache *c, struct bucket *b, const unsigned char digest[32],
                         int64_t now)
{
    for (size_t w = 0; w < c->ways; w++) {
        struct slot *s = &b->slots[w];
        if (s->expires_ms > now && memcmp(s->digest, digest, 32) == 0) return s;
    }
    return NULL;
}

bool ttl_cache_get(struct ttl_cache *c, const void *key, size_t len, ttl_cache_copy_fn *copy,
                   void *out)
{
    unsigned char digest[32];
    int64_t now = c->now_ms();
    struct bucket *b = lock_bucket(c, key, len, digest);
    struct slot *s = find(c, b, digest, now);
    if (s && copy) copy(out, s->value, s->number);
    pthread_mutex_unlock(&b->lock);
    return s != NULL;
}

/* The slot a new entry for digest takes: its own (live or not), a free or expired one, or
 * (when may_evict) the one expiring first; NULL when every slot is live and it may not evict. */
static struct slot *place(struct ttl_cache *c, struct bucket *b, const unsigned char digest[32],
                          int64_t now, bool may_evict)
{
    struct slot *dead = NULL, *first = &b->slots[0];
    for (size_t w = 0; w < c->ways; w++) {
        struct slot *s = &b->slots[w];
        if (s->expires_ms && memcmp(s->digest, digest, 32) == 0) return s;
        if (!dead && s->expires_ms <= now) dead = s;
        if (s->expires_ms < first->expires_ms) first = s;
    }
    return dead ? dead : may_evict ? first : NULL;
}

void ttl_cache_put(struct ttl_cache *c, const void *key, size_t len, void *value, long number,
                   int64_t ttl_ms)
{
    unsigned char digest[32];
    int64_t now = c->now_ms();
    struct bucket *b = lock_bucket(c, key, len, digest);
    struct slot *s = place(c, b, digest, now, true);
    empty(c, s);
    memcpy(s->digest, digest, 32);
    s->expires_ms = now + (ttl_ms > 0 ? ttl_ms : 1);
    s->number = number;
    s->value = value;
    pthread_mutex_unlock(&b->lock);
}

int ttl_cache_claim(struct ttl_cache *c, const void *key, size_t len, int64_t ttl_ms)
{
    unsigned char digest[32];
    int64_t now = c->now_ms();
    struct bucket *b = lock_bucket(c, key, len, digest);
    int r = 0;
    if (find(c, b, digest, now)) {
        r = -EEXIST;
    } else {
        struct slot *s = place(c, b, digest, now, false);
        if (!s) {
            r = -ENOSPC;
        } else {
            empty(c, s);
            memcpy(s->digest, digest, 32);
            s->expires_ms = now + (ttl_ms > 0 ? ttl_ms : 1);
        }
    }
    pthread_mutex_unlock(&b->lock);
    return r;
}

void ttl_cache_drop(struct ttl_cache *c, const void *key, size_t len)
{
    unsigned char digest[32];
    struct bucket *b = lock_bucket(c, key, len, digest);
    for (size_t w = 0; w < c->ways; w++)
        if (b->slots[w].expires_ms && memcmp(b->slots[w].digest, digest, 32) == 0)
            empty(c, &b->slots[w]);
    pthread_mutex_unlock(&b->lock);
}
