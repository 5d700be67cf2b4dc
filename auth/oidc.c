/* auth/oidc: provider discovery, key refresh and ID-token verification; see oidc.h. */
#include "auth/oidc.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <mbedtls/sha256.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/jwks.h"
#include "lib/clock.h"
#include "lib/ttl_cache.h"
#include "lib/upstream.h"

#define FETCH_MAX_BYTES        (256 << 10)
#define FETCH_TIMEOUT_S        10
#define KEYS_MAX_AGE_MIN_S     60          /* refetch no more often than this on our own */
#define KEYS_MAX_AGE_MAX_S     (24 * 3600) /* and at least this often */
#define KEYS_MAX_AGE_DEFAULT_S 300         /* when the provider says nothing */
#define BACKOFF_MAX_S          30
#define LEEWAY_S               60
/* Verified tokens remembered (by SHA-256) so a token presented again skips the signature check;
 * gateways ask about the same bearer token for every request of a client. */
#define VERIFIED_SLOTS     4096
#define VERIFIED_MAX_AGE_S 300

/* Someone waiting for the next key fetch. */
struct waiter {
    oidc_waiter_fn fn; /* called once */
    void *ctx;         /* for fn */
    int64_t since_ms;  /* monotonic, when it began to wait */
};

struct oidc {
    char *issuer;                    /* exact `iss` of its tokens */
    char *client_id;                 /* our client id: the audience */
    pthread_rwlock_t lock;           /* guards keys, n_fetches and error */
    struct jwks *keys;               /* current key set, NULL until the first fetch */
    struct oidc_endpoints endpoints; /* from the discovery document, valid once keys is set */
    unsigned long n_fetches;         /* successful key fetches so far */
    char error[256];                 /* the last fetch error, "" after a success */
    pthread_mutex_t wake_lock;       /* guards refetch_wanted and stopping */
    pthread_cond_t wake;             /* wakes the refresher early */
    bool refetch_wanted;             /* a token named an unknown key */
    atomic_bool stopping;            /* the refresher must exit (also aborts a fetch under way) */
    pthread_t thread;                /* the refresher */
    struct waiter *waiters;          /* told after the next fetch; guarded by wake_lock */
    size_t n_waiters;                /* entries in waiters */
    struct ttl_cache *verified;      /* SHA-256 of a token → its claims (struct token_claims) */
    struct upstream *engine;         /* the fetches go through it */
    struct upstream_reader *current; /* the fetch under way (guarded by wake_lock) */
};

/* Tells the waiters that began before `before` (monotonic ms); INT64_MAX tells all. */
static void release_waiters_since(struct oidc *o, int64_t before)
{
    struct waiter done[OIDC_WAITERS_MAX];
    size_t n = 0;
    pthread_mutex_lock(&o->wake_lock);
    size_t kept = 0;
    for (size_t i = 0; i < o->n_waiters; i++) {
        if (o->waiters[i].since_ms < before)
            done[n++] = o->waiters[i];
        else
            o->waiters[kept++] = o->waiters[i];
    }
    o->n_waiters = kept;
    pthread_mutex_unlock(&o->wake_lock);
    for (size_t i = 0; i < n; i++) done[i].fn(done[i].ctx);
}

void oidc_release_waiters(struct oidc *o)
{
    release_waiters_since(o, INT64_MAX);
}

/* Waiters are not kept past OIDC_WAIT_MAX_MS, even while a fetch hangs. */
static void release_overdue_waiters(struct oidc *o)
{
    release_waiters_since(o, clock_ms() - OIDC_WAIT_MAX_MS);
}

/* ---------------------------------------------------------------- fetching */

struct fetched {
    char *body;     /* the response body, NUL-terminated */
    size_t len;     /* bytes in body */
    long max_age_s; /* Cache-Control max-age, -1 when absent */
};

static void tick(void *ctx)
{
    release_overdue_waiters(ctx);
}

/* GETs url through the engine (a stop cancels it); 0 with *ret filled, or -EIO with a reason
 * in err. */
static int fetch(struct oidc *o, const char *url, struct fetched *ret, char *err, size_t err_size)
{
    const char *headers[] = {"Accept: application/json", NULL};
    struct upstream_call call = {.method = "GET",
                                 .url = url,
                                 .headers = headers,
                                 .timeout_ms = FETCH_TIMEOUT_S * 1000L,
                                 .connect_timeout_ms = 5000,
                                 .max_response_bytes = FETCH_MAX_BYTES,
                                 .decompress = true};
    struct upstream_reader *r = NULL;
    struct upstream_result a = {0};
    int e = upstream_reader_open(o->engine, &call, tick, o, &r);
    if (e == 0) {
        pthread_mutex_lock(&o->wake_lock);
        o->current = r;
        bool stopping = atomic_load(&o->stopping);
        pthread_mutex_unlock(&o->wake_lock);
        if (stopping) upstream_reader_cancel(r);
        e = upstream_reader_whole(r, &a);
        pthread_mutex_lock(&o->wake_lock);
        o->current = NULL;
        pthread_mutex_unlock(&o->wake_lock);
        upstream_reader_close(r);
    }
    if (e < 0 || a.status != 200) {
        if (e < 0)
            snprintf(err, err_size, "%.100s: %s", url, upstream_error_text(e));
        else
            snprintf(err, err_size, "%.100s: HTTP %ld", url, a.status);
        free(a.body);
        return -EIO;
    }
    *ret = (struct fetched){a.body, a.len, a.max_age_s};
    return 0;
}

/* Discovery then keys. On success *ret_keys, *ret_endpoints and *ret_max_age_s; else -errno
 * with err set. */
static int fetch_keys(struct oidc *o, struct jwks **ret_keys, struct oidc_endpoints *ret_endpoints,
                      long *ret_max_age_s, char *err, size_t err_size)
{
    char url[1024];
    snprintf(url, sizeof(url), "%s/.well-known/openid-configuration", o->issuer);
    struct fetched doc;
    int r = fetch(o, url, &doc, err, err_size);
    if (r < 0) return r;
    r = oidc_parse_discovery(o->issuer, doc.body, doc.len, ret_endpoints);
    cJSON *j = r == 0 ? cJSON_Parse(doc.body) : NULL;
    free(doc.body);
    const cJSON *uri = cJSON_GetObjectItemCaseSensitive(j, "jwks_uri");
    if (r < 0 || !cJSON_IsString(uri)) {
        snprintf(err, err_size, "%.100s: not the discovery document of %.40s", url, o->issuer);
        cJSON_Delete(j);
        return -EPROTO;
    }
    snprintf(url, sizeof(url), "%s", uri->valuestring);
    cJSON_Delete(j);
    struct fetched keys;
    r = fetch(o, url, &keys, err, err_size);
    if (r < 0) return r;
    r = jwks_parse(keys.body, keys.len, ret_keys);
    if (r < 0) snprintf(err, err_size, "%.100s: no usable RS256 key in the key set", url);
    long age = keys.max_age_s < 0 ? KEYS_MAX_AGE_DEFAULT_S : keys.max_age_s;
    *ret_max_age_s = age < KEYS_MAX_AGE_MIN_S   ? KEYS_MAX_AGE_MIN_S
                     : age > KEYS_MAX_AGE_MAX_S ? KEYS_MAX_AGE_MAX_S
                                                : age;
    free(keys.body);
    return r;
}

/* ---------------------------------------------------------------- the refresher */

int oidc_wait_for_keys(struct oidc *o, oidc_waiter_fn fn, void *ctx)
{
    pthread_mutex_lock(&o->wake_lock);
    int r = 0;
    if (!o->waiters) o->waiters = calloc(OIDC_WAITERS_MAX, sizeof(*o->waiters));
    if (!o->waiters)
        r = -ENOMEM;
    else if (o->n_waiters == OIDC_WAITERS_MAX)
        r = -EBUSY;
    else
        o->waiters[o->n_waiters++] = (struct waiter){fn, ctx, clock_ms()};
    if (r == 0) {
        o->refetch_wanted = true;
        pthread_cond_signal(&o->wake);
    }
    pthread_mutex_unlock(&o->wake_lock);
    return r;
}

static void *refresher_main(void *arg)
{
    struct oidc *o = arg;
    long backoff = 1;
    time_t last_fetch = 0;
    for (;;) {
        struct jwks *keys = NULL;
        struct oidc_endpoints endpoints;
        long max_age = 0;
        char err[256] = "";
        last_fetch = time(NULL);
        int r = fetch_keys(o, &keys, &endpoints, &max_age, err, sizeof(err));
        pthread_rwlock_wrlock(&o->lock);
        if (r == 0) {
            jwks_free(o->keys);
            o->keys = keys;
            o->endpoints = endpoints;
            o->n_fetches++;
            o->error[0] = '\0';
        } else {
            snprintf(o->error, sizeof(o->error), "%s", err);
        }
        pthread_rwlock_unlock(&o->lock);
        oidc_release_waiters(o);
        long wait_s = r == 0 ? max_age : backoff;
        backoff = r == 0 ? 1 : backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff * 2;

        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += wait_s;
        pthread_mutex_lock(&o->wake_lock);
        for (;;) {
            if (atomic_load(&o->stopping)) {
                pthread_mutex_unlock(&o->wake_lock);
                return NULL;
            }
            /* An unknown key id cuts the wait short, but not more often than the limit. */
            if (o->refetch_wanted && time(NULL) - last_fetch >= OIDC_REFETCH_MIN_S) break;
            struct timespec step = until;
            if (o->refetch_wanted) {
                clock_gettime(CLOCK_REALTIME, &step);
                step.tv_sec = last_fetch + OIDC_REFETCH_MIN_S;
                if (step.tv_sec > until.tv_sec) step = until;
            }
            if (o->n_waiters) {
                /* Wake at least each second to let overdue waiters go. */
                struct timespec soon;
                clock_gettime(CLOCK_REALTIME, &soon);
                soon.tv_sec += 1;
                if (soon.tv_sec < step.tv_sec) step = soon;
            }
            int waited = pthread_cond_timedwait(&o->wake, &o->wake_lock, &step);
            if (o->n_waiters) {
                pthread_mutex_unlock(&o->wake_lock);
                release_overdue_waiters(o);
                pthread_mutex_lock(&o->wake_lock);
            }
            if (waited == ETIMEDOUT && step.tv_sec >= until.tv_sec) break;
        }
        o->refetch_wanted = false;
        pthread_mutex_unlock(&o->wake_lock);
    }
}

/* ---------------------------------------------------------------- verified tokens */

static void claims_free(void *claims)
{
    token_claims_reset(claims);
    free(claims);
}

struct recalled {
    struct token_claims *claims;
    int error;
};

static void copy_claims(void *out, const void *value, long number)
{
    struct recalled *r = out;
    r->error = token_claims_copy(value, r->claims);
}

/* 0 with *ret filled when this exact token was verified and is still valid. */
static int recall(struct oidc *o, const unsigned char digest[32], struct token_claims *ret)
{
    struct recalled r = {ret, -ENOENT};
    return ttl_cache_get(o->verified, digest, 32, copy_claims, &r) ? r.error : -ENOENT;
}

static void remember(struct oidc *o, const unsigned char digest[32], time_t now,
                     const struct token_claims *claims)
{
    time_t until =
        claims->expires < now + VERIFIED_MAX_AGE_S ? claims->expires : now + VERIFIED_MAX_AGE_S;
    struct token_claims *copy = calloc(1, sizeof(*copy));
    if (until <= now || !copy || token_claims_copy(claims, copy) < 0) {
        free(copy);
        return;
    }
    ttl_cache_put(o->verified, digest, 32, copy, 0, (int64_t)(until - now) * 1000);
}

/* ---------------------------------------------------------------- public */

int oidc_new(const char *issuer, const char *client_id, struct upstream *engine, struct oidc **ret)
{
    struct oidc *o = calloc(1, sizeof(*o));
    if (!o) return -ENOMEM;
    o->engine = engine;
    o->issuer = strdup(issuer);
    o->client_id = strdup(client_id);
    if (!o->issuer || !o->client_id ||
        ttl_cache_new(VERIFIED_SLOTS / 4, 4, claims_free, NULL, &o->verified) < 0) {
        free(o->issuer);
        free(o->client_id);
        free(o);
        return -ENOMEM;
    }
    size_t n = strlen(o->issuer);
    if (n && o->issuer[n - 1] == '/') o->issuer[n - 1] = '\0';
    pthread_rwlock_init(&o->lock, NULL);
    pthread_mutex_init(&o->wake_lock, NULL);
    pthread_cond_init(&o->wake, NULL);
    snprintf(o->error, sizeof(o->error), "fetching the keys of %s", o->issuer);
    if (pthread_create(&o->thread, NULL, refresher_main, o) != 0) {
        atomic_store(&o->stopping, true); /* no thread to join */
        oidc_free(o);
        return -EAGAIN;
    }
    *ret = o;
    return 0;
}

void oidc_stop(struct oidc *o)
{
    if (!o) return;
    pthread_mutex_lock(&o->wake_lock);
    bool joinable = !atomic_exchange(&o->stopping, true);
    if (o->current) upstream_reader_cancel(o->current);
    pthread_cond_signal(&o->wake);
    pthread_mutex_unlock(&o->wake_lock);
    if (joinable) pthread_join(o->thread, NULL);
}

void oidc_free(struct oidc *o)
{
    if (!o) return;
    oidc_stop(o);
    oidc_release_waiters(o);
    free(o->waiters);
    jwks_free(o->keys);
    ttl_cache_free(o->verified);
    pthread_rwlock_destroy(&o->lock);
    pthread_mutex_destroy(&o->wake_lock);
    pthread_cond_destroy(&o->wake);
    free(o->issuer);
    free(o->client_id);
    free(o);
}

/* Checks token against the current keys; an unknown key asks the refresher for new ones. */
static int verify(struct oidc *o, const char *token, const char *nonce, time_t now,
                  struct token_claims *ret)
{
    struct token_expect expect = {o->issuer, o->client_id, nonce, now, LEEWAY_S};
    pthread_rwlock_rdlock(&o->lock);
    int r = o->keys ? token_verify(o->keys, token, &expect, ret) : -EAGAIN;
    pthread_rwlock_unlock(&o->lock);
    if (r == -ENOKEY || r == -EAGAIN) {
        pthread_mutex_lock(&o->wake_lock);
        o->refetch_wanted = true;
        pthread_cond_signal(&o->wake);
        pthread_mutex_unlock(&o->wake_lock);
    }
    return r;
}

int oidc_verify(struct oidc *o, const char *token, struct token_claims *ret)
{
    time_t now = time(NULL);
    size_t len = strlen(token);
    if (len > TOKEN_MAX_BYTES) return -E2BIG;
    unsigned char digest[32];
    mbedtls_sha256_ret((const unsigned char *)token, len, digest, 0);
    if (recall(o, digest, ret) == 0) return 0;
    int r = verify(o, token, NULL, now, ret);
    if (r == 0) remember(o, digest, now, ret);
    return r;
}

int oidc_verify_login(struct oidc *o, const char *token, const char *nonce,
                      struct token_claims *ret)
{
    if (strlen(token) > TOKEN_MAX_BYTES) return -E2BIG;
    return verify(o, token, nonce, time(NULL), ret);
}

int oidc_cached_endpoints(struct oidc *o, struct oidc_endpoints *ret)
{
    pthread_rwlock_rdlock(&o->lock);
    int r = o->keys ? 0 : -EAGAIN;
    if (r == 0) *ret = o->endpoints;
    pthread_rwlock_unlock(&o->lock);
    return r;
}

const char *oidc_issuer(const struct oidc *o)
{
    return o->issuer;
}

const char *oidc_client_id(const struct oidc *o)
{
    return o->client_id;
}

int oidc_parse_discovery(const char *issuer, const char *doc, size_t len,
                         struct oidc_endpoints *ret)
{
    cJSON *j = cJSON_ParseWithLength(doc, len);
    const cJSON *iss = cJSON_GetObjectItemCaseSensitive(j, "issuer");
    const cJSON *auth = cJSON_GetObjectItemCaseSensitive(j, "authorization_endpoint");
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(j, "token_endpoint");
    size_t n = strlen(issuer);
    if (n && issuer[n - 1] == '/') n--;
    bool ok = cJSON_IsString(iss) && strlen(iss->valuestring) == n &&
              strncmp(iss->valuestring, issuer, n) == 0 && cJSON_IsString(auth) &&
              cJSON_IsString(tok) && strlen(auth->valuestring) < sizeof(ret->authorization) &&
              strlen(tok->valuestring) < sizeof(ret->token);
    if (ok) {
        strcpy(ret->authorization, auth->valuestring);
        strcpy(ret->token, tok->valuestring);
    }
    cJSON_Delete(j);
    return ok ? 0 : -EPROTO;
}

bool oidc_ready(struct oidc *o, char *detail, size_t size)
{
    pthread_rwlock_rdlock(&o->lock);
    bool ready = o->keys != NULL;
    if (ready && !o->error[0])
        snprintf(detail, size, "%zu signing keys of %s", jwks_count(o->keys), o->issuer);
    else if (ready)
        snprintf(detail, size, "using cached keys; last refresh failed: %s", o->error);
    else
        snprintf(detail, size, "%s", o->error);
    pthread_rwlock_unlock(&o->lock);
    return ready;
}
