/* fairness: see fairness.h. */
#include "server/gate/fairness.h"

#include <errno.h>
#include <mbedtls/sha256.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "server/config.h"

#define BUCKETS 1024
#define WAYS    8

struct entry {
    unsigned char key[FAIRNESS_KEY_LEN]; /* SHA-256 of "u:<name>" or "a:<address>", cut */
    bool used;
    long in_flight; /* requests admitted, not yet ended */
    double tokens;  /* requests that may start now */
    int64_t refilled_ms;
};

struct bucket {
    pthread_mutex_t lock;
    struct entry ways[WAYS];
};

struct fairness {
    long in_flight_max;
    double rate, burst;                     /* per user */
    double anonymous_rate, anonymous_burst; /* per address */
    struct bucket *buckets;
    _Atomic uint64_t refused[3]; /* by -verdict - 1 */
};

int fairness_new(const struct config *cfg, struct fairness **ret)
{
    *ret = NULL;
    struct fairness *f = calloc(1, sizeof(*f));
    if (!f || !(f->buckets = calloc(BUCKETS, sizeof(*f->buckets)))) {
        free(f);
        return -ENOMEM;
    }
    f->in_flight_max = cfg->user_in_flight;
    f->rate = (double)cfg->user_rate;
    f->burst = 2 * f->rate;
    f->anonymous_rate = (double)cfg->anonymous_rate;
    f->anonymous_burst = 3 * f->anonymous_rate;
    for (size_t i = 0; i < BUCKETS; i++) pthread_mutex_init(&f->buckets[i].lock, NULL);
    *ret = f;
    return 0;
}

void fairness_free(struct fairness *f)
{
    if (!f) return;
    for (size_t i = 0; i < BUCKETS; i++) pthread_mutex_destroy(&f->buckets[i].lock);
    free(f->buckets);
    free(f);
}

static void key_of(char kind, const void *name, size_t len, unsigned char key[FAIRNESS_KEY_LEN])
{
    unsigned char digest[32];
    mbedtls_sha256_context c;
    mbedtls_sha256_init(&c);
    mbedtls_sha256_starts_ret(&c, 0);
    mbedtls_sha256_update_ret(&c, (const unsigned char *)&kind, 1);
    mbedtls_sha256_update_ret(&c, name, len);
    mbedtls_sha256_finish_ret(&c, digest);
    mbedtls_sha256_free(&c);
    memcpy(key, digest, FAIRNESS_KEY_LEN);
}

/* The refilled entry for key in its locked bucket (*ret_b), or NULL when it has no room. */
static struct entry *find(struct fairness *f, const unsigned char key[FAIRNESS_KEY_LEN],
                          double burst, double rate, int64_t now, struct bucket **ret_b)
{
    uint32_t h;
    memcpy(&h, key, sizeof(h));
    struct bucket *b = &f->buckets[h % BUCKETS];
    pthread_mutex_lock(&b->lock);
    *ret_b = b;
    struct entry *found = NULL, *free_way = NULL;
    for (size_t w = 0; w < WAYS && !found; w++) {
        struct entry *e = &b->ways[w];
        if (e->used && memcmp(e->key, key, FAIRNESS_KEY_LEN) == 0) {
            found = e;
        } else if (!free_way) {
            /* Free, or forgotten: nothing under way and its tokens back to the full burst. */
            bool idle = e->in_flight == 0 &&
                        e->tokens + (double)(now - e->refilled_ms) / 1000.0 * rate >= burst;
            if (!e->used || idle) free_way = e;
        }
    }
    if (!found && free_way) {
        found = free_way;
        *found = (struct entry){.used = true, .tokens = burst, .refilled_ms = now};
        memcpy(found->key, key, FAIRNESS_KEY_LEN);
    }
    if (found) {
        found->tokens += (double)(now - found->refilled_ms) / 1000.0 * rate;
        if (found->tokens > burst) found->tokens = burst;
        found->refilled_ms = now;
    }
    return found;
}

/* Takes a token from e; false (and *retry_after_s) when there is none. */
static bool take(struct entry *e, double rate, long *retry_after_s)
{
    if (e->tokens >= 1) {
        e->tokens -= 1;
        return true;
    }
    long wait = (long)((1 - e->tokens) / rate) + 1;
    *retry_after_s = wait < 1 ? 1 : wait;
    return false;
}

static enum fairness_verdict refuse(struct fairness *f, enum fairness_verdict v)
{
    atomic_fetch_add_explicit(&f->refused[-v - 1], 1, memory_order_relaxed);
    return v;
}

enum fairness_verdict fairness_enter(struct fairness *f, const char *user,
                                     struct fairness_seat *seat, long *retry_after_s)
{
    key_of('u', user, strlen(user), seat->key);
    struct bucket *b;
    struct entry *e = find(f, seat->key, f->burst, f->rate, clock_ms(), &b);
    enum fairness_verdict v = FAIR_UNCOUNTED;
    if (e && e->in_flight >= f->in_flight_max) {
        *retry_after_s = 1;
        v = FAIR_IN_FLIGHT;
    } else if (e && !take(e, f->rate, retry_after_s)) {
        v = FAIR_RATE;
    } else if (e) {
        e->in_flight++;
        v = FAIR_ADMITTED;
    }
    pthread_mutex_unlock(&b->lock);
    return v < 0 ? refuse(f, v) : v;
}

void fairness_leave(struct fairness *f, const struct fairness_seat *seat)
{
    struct bucket *b;
    struct entry *e = find(f, seat->key, f->burst, f->rate, clock_ms(), &b);
    if (e && e->in_flight > 0) e->in_flight--;
    pthread_mutex_unlock(&b->lock);
}

enum fairness_verdict fairness_anonymous(struct fairness *f, const struct sockaddr *peer,
                                         bool charge, long *retry_after_s)
{
    unsigned char key[FAIRNESS_KEY_LEN];
    if (!peer) return FAIR_UNCOUNTED;
    if (peer->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)peer;
        key_of('a', a->sin6_addr.s6_addr, 8, key); /* its /64: one host has all of it */
    } else if (peer->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)peer;
        key_of('a', &a->sin_addr, sizeof(a->sin_addr), key);
    } else {
        return FAIR_UNCOUNTED;
    }
    struct bucket *b;
    struct entry *e = find(f, key, f->anonymous_burst, f->anonymous_rate, clock_ms(), &b);
    enum fairness_verdict v = FAIR_UNCOUNTED;
    if (e && charge && !take(e, f->anonymous_rate, retry_after_s)) v = FAIR_ANONYMOUS_RATE;
    if (e && !charge && e->tokens < 1) {
        *retry_after_s = (long)((1 - e->tokens) / f->anonymous_rate) + 1;
        v = FAIR_ANONYMOUS_RATE;
    }
    pthread_mutex_unlock(&b->lock);
    return v < 0 ? refuse(f, v) : v;
}

const char *fairness_reason(enum fairness_verdict v)
{
    switch (v) {
    case FAIR_IN_FLIGHT:
        return "user_in_flight";
    case FAIR_RATE:
        return "user_rate";
    case FAIR_ANONYMOUS_RATE:
        return "anonymous_rate";
    default:
        return "none";
    }
}

int fairness_render(const struct fairness *f, struct buf *out)
{
    buf_adds(out, "# HELP kfdash_refused_total Requests refused so that no client starves the "
                  "others, by reason.\n# TYPE kfdash_refused_total counter\n");
    const enum fairness_verdict all[] = {FAIR_IN_FLIGHT, FAIR_RATE, FAIR_ANONYMOUS_RATE};
    for (size_t i = 0; i < 3; i++)
        buf_addf(out, "kfdash_refused_total{reason=\"%s\"} %llu\n", fairness_reason(all[i]),
                 (unsigned long long)atomic_load(&f->refused[-all[i] - 1]));
    return buf_error(out);
}
