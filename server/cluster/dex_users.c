/* dex_users: sessions and tokens end with their Dex user; see dex_users.h. */
#include "server/cluster/dex_users.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <mbedtls/sha256.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/store.h"
#include "k8s/watch.h"
#include "lib/hex.h"
#include "lib/log.h"
#include "server/cluster/kube.h"
#include "server/config.h"

#define DISABLED_ANNOTATION "kfdash.io/disabled-hash" /* server/api/admin.c */
#define PATH_MAX_BYTES      512

struct dex_users {
    struct store *store;     /* borrowed */
    struct k8s_watch *watch; /* the Password objects */
    /* The watch thread's own. */
    bool listing; /* between reset and settled of a full list */
    char **seen;  /* emails of that list */
    size_t n_seen, cap_seen;
    bool seen_overflow; /* out of memory: do not judge the missing */
};

static const char *text_at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b) v = cJSON_GetObjectItemCaseSensitive(v, b);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A fingerprint of what lets the user sign in: the hash, and kfdash's mark of a disabled user. */
static void generation_of(const cJSON *password, char out[65])
{
    const char *hash = text_at(password, "hash", NULL);
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(password, "metadata"), "annotations");
    bool disabled = cJSON_GetObjectItemCaseSensitive(ann, DISABLED_ANNOTATION) != NULL;
    mbedtls_sha256_context c;
    unsigned char digest[32];
    mbedtls_sha256_init(&c);
    mbedtls_sha256_starts_ret(&c, 0);
    mbedtls_sha256_update_ret(&c, (const unsigned char *)(hash ? hash : ""),
                              hash ? strlen(hash) : 0);
    mbedtls_sha256_update_ret(&c, (const unsigned char *)(disabled ? "\ndisabled" : "\n"),
                              disabled ? 9 : 1);
    mbedtls_sha256_finish_ret(&c, digest);
    mbedtls_sha256_free(&c);
    hex_encode(digest, 32, out);
}

static void observe(struct dex_users *d, const char *email, const char *generation)
{
    bool changed = false;
    int e = store_user_observe(d->store, email, generation, time(NULL), &changed);
    if (e < 0) {
        log_msg(LOG_ERROR, "cannot record a Dex user's change", "email", email);
        return;
    }
    if (!changed) return;
    struct buf line;
    log_begin(&line, LOG_INFO, "user changed at Dex: every session and token made before ends");
    log_str(&line, "email", email);
    log_str(&line, "now", *generation ? "changed" : "deleted");
    log_end(&line);
}

static void remember_seen(struct dex_users *d, const char *email)
{
    if (d->seen_overflow) return;
    if (d->n_seen == d->cap_seen) {
        size_t cap = d->cap_seen ? d->cap_seen * 2 : 64;
        char **more = realloc(d->seen, cap * sizeof(*d->seen));
        if (!more) {
            d->seen_overflow = true;
            return;
        }
        d->seen = more;
        d->cap_seen = cap;
    }
    if ((d->seen[d->n_seen] = strdup(email)))
        d->n_seen++;
    else
        d->seen_overflow = true;
}

static void forget_seen(struct dex_users *d)
{
    for (size_t i = 0; i < d->n_seen; i++) free(d->seen[i]);
    d->n_seen = 0;
    d->seen_overflow = false;
}

static void on_reset(void *ctx)
{
    struct dex_users *d = ctx;
    forget_seen(d);
    d->listing = true;
}

static void on_apply(void *ctx, enum k8s_event event, const cJSON *object)
{
    struct dex_users *d = ctx;
    const char *email = text_at(object, "email", NULL);
    if (!email || !*email) return;
    char generation[65] = "";
    if (event != K8S_DELETED) generation_of(object, generation);
    observe(d, email, generation);
    if (d->listing && event != K8S_DELETED) remember_seen(d, email);
}

static int compare_text(const void *a, const void *b)
{
    return strcasecmp(*(char *const *)a, *(char *const *)b);
}

static void on_settled(void *ctx)
{
    struct dex_users *d = ctx;
    if (!d->listing) return;
    d->listing = false;
    char **present = NULL;
    size_t n = 0;
    /* Users deleted while nobody watched (a restart, a 410 Gone) are missing from the list. */
    if (!d->seen_overflow && store_users_present(d->store, &present, &n) == 0) {
        if (d->n_seen) qsort(d->seen, d->n_seen, sizeof(*d->seen), compare_text);
        for (size_t i = 0; i < n; i++) {
            if (!d->n_seen ||
                !bsearch(&present[i], d->seen, d->n_seen, sizeof(*d->seen), compare_text))
                observe(d, present[i], "");
            free(present[i]);
        }
        free(present);
    }
    forget_seen(d);
}

static const struct k8s_watch_ops ops = {on_reset, on_apply, on_settled};

bool dex_users_ready(void *dex_users, char *detail, size_t size)
{
    struct dex_users *d = dex_users;
    return k8s_watch_synced(d->watch, detail, size);
}

int dex_users_new(const struct config *cfg, struct store *store, struct kube *kube,
                  struct dex_users **ret, char *err, size_t size)
{
    *ret = NULL;
    if (!kube_on(kube) || !*cfg->dex_namespace) return 0;
    struct dex_users *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, size, "out of memory");
        return -ENOMEM;
    }
    d->store = store;
    char path[PATH_MAX_BYTES];
    snprintf(path, sizeof(path), "/apis/dex.coreos.com/v1/namespaces/%s/passwords",
             cfg->dex_namespace);
    int e = k8s_watch_start(kube_engine(kube), kube_client(kube), path, &ops, d, &d->watch);
    if (e < 0) {
        snprintf(err, size, "cannot watch Dex's users: %s", strerror(-e));
        free(d);
        return e;
    }
    *ret = d;
    return 0;
}

void dex_users_free(struct dex_users *d)
{
    if (!d) return;
    k8s_watch_stop(d->watch);
    forget_seen(d);
    free(d->seen);
    free(d);
}
