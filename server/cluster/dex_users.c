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
#include "server/config.h"
#include "server/http/health.h"
#include "server/cluster/kube.h"
#include "lib/log.h"

#define DISABLED_ANNOTATION "kfdash.io/disabled-hash" /* server/api/admin.c */
#define PATH_MAX_BYTES      512

static struct store *store;     /* borrowed */
static struct k8s_watch *watch; /* the Password objects */
static bool listing;            /* between reset and settled of a full list */
static char **seen;             /* emails of that list */
static size_t n_seen, cap_seen;
static bool seen_overflow; /* out of memory: do not judge the missing */

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
    for (size_t i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

static void observe(const char *email, const char *generation)
{
    bool changed = false;
    int e = store_user_observe(store, email, generation, time(NULL), &changed);
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

static void remember_seen(const char *email)
{
    if (seen_overflow) return;
    if (n_seen == cap_seen) {
        size_t cap = cap_seen ? cap_seen * 2 : 64;
        char **more = realloc(seen, cap * sizeof(*seen));
        if (!more) {
            seen_overflow = true;
            return;
        }
        seen = more;
        cap_seen = cap;
    }
    if ((seen[n_seen] = strdup(email)))
        n_seen++;
    else
        seen_overflow = true;
}

static void forget_seen(void)
{
    for (size_t i = 0; i < n_seen; i++) free(seen[i]);
    n_seen = 0;
    seen_overflow = false;
}

static void on_reset(void *ctx)
{
    (void)ctx;
    forget_seen();
    listing = true;
}

static void on_apply(void *ctx, enum k8s_event event, const cJSON *object)
{
    (void)ctx;
    const char *email = text_at(object, "email", NULL);
    if (!email || !*email) return;
    char generation[65] = "";
    if (event != K8S_DELETED) generation_of(object, generation);
    observe(email, generation);
    if (listing && event != K8S_DELETED) remember_seen(email);
}

static int compare_text(const void *a, const void *b)
{
    return strcasecmp(*(char *const *)a, *(char *const *)b);
}

static void on_settled(void *ctx)
{
    (void)ctx;
    if (!listing) return;
    listing = false;
    char **present = NULL;
    size_t n = 0;
    /* Users deleted while nobody watched (a restart, a 410 Gone) are missing from the list. */
    if (!seen_overflow && store_users_present(store, &present, &n) == 0) {
        if (n_seen) qsort(seen, n_seen, sizeof(*seen), compare_text);
        for (size_t i = 0; i < n; i++) {
            if (!n_seen || !bsearch(&present[i], seen, n_seen, sizeof(*seen), compare_text))
                observe(present[i], "");
            free(present[i]);
        }
        free(present);
    }
    forget_seen();
}

static const struct k8s_watch_ops ops = {on_reset, on_apply, on_settled};

static bool synced(char *detail, size_t size)
{
    return k8s_watch_synced(watch, detail, size);
}

int dex_users_start(const struct config *cfg, struct store *s, char *err, size_t size)
{
    if (!kube_client() || !*cfg->dex_namespace) return 0;
    store = s;
    char path[PATH_MAX_BYTES];
    snprintf(path, sizeof(path), "/apis/dex.coreos.com/v1/namespaces/%s/passwords",
             cfg->dex_namespace);
    int e = k8s_watch_start(kube_client(), path, &ops, NULL, &watch);
    if (e == 0) e = health_register("dex users", synced);
    if (e < 0) snprintf(err, size, "cannot watch Dex's users: %s", strerror(-e));
    return e;
}

void dex_users_stop(void)
{
    k8s_watch_stop(watch);
    watch = NULL;
    forget_seen();
    free(seen);
    seen = NULL;
    cap_seen = 0;
}
