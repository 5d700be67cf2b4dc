/* shared_state: sessions and tokens mirrored between replicas as Secrets; see shared_state.h. */
#include "server/cluster/shared_state.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <mbedtls/base64.h>
#include <mbedtls/sha256.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/store.h"
#include "k8s/client.h"
#include "k8s/json.h"
#include "k8s/watch.h"
#include "lib/buf.h"
#include "server/config.h"
#include "server/http/health.h"
#include "server/cluster/kube.h"
#include "lib/log.h"
#include "lib/upstream.h"

#define LABEL_MANAGED    "app.kubernetes.io/managed-by"
#define LABEL_STATE      "kfdash.dev/state"
#define SELECTOR         "labelSelector=app.kubernetes.io%2Fmanaged-by%3Dkfdash"
#define SESSION_PREFIX   "kfdash-session-"
#define TOKEN_PREFIX     "kfdash-token-"
#define NAME_SIZE        64         /* a Secret name we make, NUL included */
#define PATH_SIZE        256        /* an API path we call */
#define SECRET_DATA_MAX  (16 << 10) /* the encoded data of one Secret; bigger ones are ignored */
#define EMAIL_MAX        320        /* bytes of an email in a Secret */
#define NUMBER_MAX       20         /* digits of a unix time */
#define SESSIONS_MAX     100000     /* live sessions mirrored; more are ignored (sign-outs never) */
#define LISTED_MAX       (1 << 16)  /* token ids remembered during a list; past it, no pruning */
#define SWEEP_INTERVAL_S 300        /* how often expired sessions and tokens are cleared */
#define SWEEP_BATCH      128        /* Secrets deleted per kind and sweep, at most */
#define CALL_TIMEOUT_MS  10000
#define ANSWER_MAX_BYTES (64 << 10)

static bool on;                    /* shared_state = kubernetes and started */
static struct store *store;        /* the local copy (borrowed) */
static struct upstream *engine;    /* where the writes go (borrowed) */
static struct k8s_client *client;  /* kfdash's own credentials (borrowed from kube) */
static char collection[PATH_SIZE]; /* /api/v1/namespaces/<ns>/secrets */
static struct k8s_watch *watch;    /* the Secrets of every replica */

static pthread_t sweeper;    /* clears expired Secrets */
static bool sweeper_running; /* sweeper was started */
static bool stopping;        /* guarded by sweep_lock: the sweeper exits */
static pthread_mutex_t sweep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sweep_wake = PTHREAD_COND_INITIALIZER;

/* The watch thread's own: what a list under way has seen. */
static bool listing;         /* between reset and settled of a full list */
static char **listed;        /* token ids seen by that list, LISTED_MAX at most */
static size_t n_listed;      /* entries in listed */
static bool listed_overflow; /* too many to prune by */
static size_t n_sessions;    /* live sessions mirrored since the last list */
static bool warned_sessions; /* the cap was reported */

/* ---------------------------------------------------------------- names and bodies */

/* "kfdash-session-" and 40 hex digits of the id's SHA-256: the id itself is no name. */
static void session_name(const char *id, char out[NAME_SIZE])
{
    unsigned char digest[32];
    mbedtls_sha256_ret((const unsigned char *)id, strlen(id), digest, 0);
    int n = snprintf(out, NAME_SIZE, "%s", SESSION_PREFIX);
    for (size_t i = 0; i < 20; i++)
        n += snprintf(out + n, NAME_SIZE - (size_t)n, "%02x", digest[i]);
}

static void token_name(const char *id, char out[NAME_SIZE])
{
    snprintf(out, NAME_SIZE, "%s%.40s", TOKEN_PREFIX, id);
}

/* A Secret (create) or a merge patch of one; its data object in *ret_data. */
static cJSON *secret_body(const char *name, const char *kind, bool patch, cJSON **ret_data,
                          bool *ok)
{
    cJSON *j = cJSON_CreateObject();
    if (!j) *ok = false;
    if (!patch) {
        json_add_string(j, "apiVersion", "v1", ok);
        json_add_string(j, "kind", "Secret", ok);
        json_add_string(j, "type", "Opaque", ok);
    }
    cJSON *meta = json_add_object(j, "metadata", ok);
    if (!patch) json_add_string(meta, "name", name, ok);
    cJSON *labels = json_add_object(meta, "labels", ok);
    json_add_string(labels, LABEL_MANAGED, "kfdash", ok);
    json_add_string(labels, LABEL_STATE, kind, ok);
    *ret_data = json_add_object(j, "data", ok);
    return j;
}

/* data[key] = base64(value). */
static void add_field(cJSON *data, const char *key, const char *value, bool *ok)
{
    size_t len = strlen(value), size = (len + 2) / 3 * 4 + 1, n = 0;
    unsigned char *out = calloc(1, size); /* an empty value encodes to nothing, not even a NUL */
    if (!out || mbedtls_base64_encode(out, size, &n, (const unsigned char *)value, len) != 0)
        *ok = false;
    else
        json_add_string(data, key, (const char *)out, ok);
    free(out);
}

static void add_number(cJSON *data, const char *key, time_t value, bool *ok)
{
    char text[32];
    snprintf(text, sizeof(text), "%lld", (long long)value);
    add_field(data, key, text, ok);
}

/* The text of a Secret, NULL when out of memory or bigger than another replica would take. */
static char *finish_body(cJSON *j, bool ok)
{
    char *text = ok ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (text && strlen(text) > SECRET_DATA_MAX) {
        free(text);
        text = NULL;
    }
    return text;
}

/* A session's Secret; as a merge patch, what it no longer has is removed (null). */
static char *session_body(const char *id, const char *email, time_t expires, const char *refresh,
                          bool revoked, bool patch)
{
    char name[NAME_SIZE];
    session_name(id, name);
    bool ok = true;
    cJSON *data = NULL;
    cJSON *j = secret_body(name, "session", patch, &data, &ok);
    add_field(data, "id", id, &ok);
    add_field(data, "email", email, &ok);
    add_number(data, "expires", expires, &ok);
    if (refresh && !revoked)
        add_field(data, "refresh", refresh, &ok);
    else if (patch && !cJSON_AddNullToObject(data, "refresh"))
        ok = false;
    if (revoked)
        add_field(data, "revoked", "1", &ok);
    else if (patch && !cJSON_AddNullToObject(data, "revoked"))
        ok = false;
    return finish_body(j, ok);
}

/* ---------------------------------------------------------------- calls */

/* One write to the API server, parked (r set) or not. */
struct job {
    struct http_request *r;         /* resumed with the answer; NULL for unparked writes */
    struct upstream_result *answer; /* r's slot */
    http_next_fn next;              /* runs on r when the answer is in */
    char *create;                   /* POSTed when the PATCH finds no Secret; NULL otherwise */
    bool deleting;                  /* a 404 means done */
    char name[NAME_SIZE];           /* the Secret, for the log */
};

static void job_free(struct job *j)
{
    free(j->create);
    free(j);
}

static void job_done(void *ctx, struct upstream_result *res);

static int submit(struct job *j, const char *method, const char *path, const char *body)
{
    const char *headers[] = {strcmp(method, "PATCH") == 0
                                 ? "Content-Type: application/merge-patch+json"
                                 : "Content-Type: application/json",
                             "Accept: application/json", NULL};
    struct kube_own *o = malloc(sizeof(*o));
    struct upstream_call call;
    int e =
        o ? kube_own_call(o, method, path, headers, body, CALL_TIMEOUT_MS, ANSWER_MAX_BYTES, &call)
          : -ENOMEM;
    if (e == 0) e = upstream_fetch(engine, &call, job_done, j);
    free(o);
    return e;
}

/* Hands the outcome to the parked request, or logs a failed unparked write; frees j. */
static void finish(struct job *j, struct upstream_result *res)
{
    if (j->deleting && !res->error && res->status == 404) res->status = 204; /* already gone */
    bool written = !res->error && res->status >= 200 && res->status < 300;
    if (!written) {
        char status[32];
        snprintf(status, sizeof(status), "HTTP %ld", res->status);
        struct buf line;
        log_begin(&line, LOG_WARN, "cannot write shared state to the cluster");
        log_str(&line, "secret", j->name);
        log_str(&line, "detail", res->error ? res->detail : status);
        log_end(&line);
    }
    if (j->r) {
        struct http_request *r = j->r;
        http_next_fn next = j->next;
        *j->answer = *res;
        res->body = NULL; /* the slot owns it now */
        job_free(j);
        http_request_resume(r, next);
        return;
    }
    job_free(j);
}

static void job_done(void *ctx, struct upstream_result *res)
{
    struct job *j = ctx;
    if (!res->error && res->status == 404 && j->create) {
        /* No Secret to patch (made before shared state was on, or swept): create it whole. */
        char *body = j->create;
        j->create = NULL;
        int e = submit(j, "POST", collection, body);
        free(body);
        if (e == 0) return;
        res->error = e;
        snprintf(res->detail, sizeof(res->detail), "cannot start the call");
    }
    finish(j, res);
}

/* Starts a write; body and create are copied. On failure a parked r resumes with the error. */
static void start(struct http_request *r, struct upstream_result *answer, http_next_fn next,
                  const char *method, const char *name, const char *body, char *create_taken,
                  bool deleting)
{
    struct job *j = calloc(1, sizeof(*j));
    if (answer) *answer = (struct upstream_result){0};
    if (r) http_request_suspend(r);
    char path[PATH_SIZE + NAME_SIZE];
    snprintf(path, sizeof(path), "%s%s%s", collection, strcmp(method, "POST") == 0 ? "" : "/",
             strcmp(method, "POST") == 0 ? "" : name);
    if (j) {
        *j = (struct job){
            .r = r, .answer = answer, .next = next, .create = create_taken, .deleting = deleting};
        create_taken = NULL;
        snprintf(j->name, sizeof(j->name), "%s", name);
    }
    int e = j && (body || strcmp(method, "DELETE") == 0) ? submit(j, method, path, body) : -ENOMEM;
    if (e == 0) return;
    free(create_taken);
    struct upstream_result res = {.error = e};
    snprintf(res.detail, sizeof(res.detail), "%s",
             e == -EBUSY    ? "too many calls under way"
             : e == -ENOMEM ? "out of memory, or the Secret is too big"
                            : "cannot start the call");
    if (j) {
        j->create = NULL;
        finish(j, &res);
    } else if (r) {
        *answer = res;
        http_request_resume(r, next);
    }
}

/* With shared state off, a parked write is done at once. */
static void done_at_once(struct http_request *r, struct upstream_result *answer, http_next_fn next)
{
    *answer = (struct upstream_result){.status = 204};
    http_request_suspend(r);
    http_request_resume(r, next);
}

/* ---------------------------------------------------------------- writes */

bool shared_state_on(void)
{
    return on;
}

bool shared_state_written(const struct upstream_result *a)
{
    return !a->error && a->status >= 200 && a->status < 300;
}

void shared_state_put_session(struct http_request *r, const char *id, const char *email,
                              time_t expires, const char *sealed_refresh,
                              struct upstream_result *answer, http_next_fn next)
{
    if (!on) {
        done_at_once(r, answer, next);
        return;
    }
    char name[NAME_SIZE];
    session_name(id, name);
    char *body = session_body(id, email, expires, sealed_refresh, false, false);
    start(r, answer, next, "POST", name, body, NULL, false);
    free(body);
}

/* PATCH the session's Secret, or create it when it is not there. */
static void patch_session(struct http_request *r, struct upstream_result *answer, http_next_fn next,
                          const char *id, const char *email, time_t expires, const char *refresh,
                          bool revoked)
{
    char name[NAME_SIZE];
    session_name(id, name);
    char *patch = session_body(id, email, expires, refresh, revoked, true);
    char *create = session_body(id, email, expires, refresh, revoked, false);
    start(r, answer, next, "PATCH", name, create ? patch : NULL, create, false);
    free(patch);
}

void shared_state_end_session(struct http_request *r, const char *id, const char *email,
                              time_t expires, struct upstream_result *answer, http_next_fn next)
{
    if (!on) {
        done_at_once(r, answer, next);
        return;
    }
    patch_session(r, answer, next, id, email, expires, NULL, true);
}

void shared_state_session_renewed(const char *id, const char *email, time_t expires,
                                  const char *sealed_refresh)
{
    if (on) patch_session(NULL, NULL, NULL, id, email, expires, sealed_refresh, false);
}

void shared_state_session_ended(const char *id, const char *email, time_t expires)
{
    if (on) patch_session(NULL, NULL, NULL, id, email, expires, NULL, true);
}

void shared_state_put_token(struct http_request *r, const unsigned char hash[32], const char *id,
                            const char *email, const char *groups, const char *name, time_t created,
                            time_t expires, struct upstream_result *answer, http_next_fn next)
{
    if (!on) {
        done_at_once(r, answer, next);
        return;
    }
    char secret[NAME_SIZE], hex[65];
    token_name(id, secret);
    for (size_t i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", hash[i]);
    bool ok = true;
    cJSON *data = NULL;
    cJSON *j = secret_body(secret, "token", false, &data, &ok);
    add_field(data, "hash", hex, &ok);
    add_field(data, "id", id, &ok);
    add_field(data, "email", email, &ok);
    add_field(data, "groups", groups, &ok);
    add_field(data, "name", name, &ok);
    add_number(data, "created", created, &ok);
    add_number(data, "expires", expires, &ok);
    char *body = finish_body(j, ok);
    start(r, answer, next, "POST", secret, body, NULL, false);
    free(body);
}

void shared_state_delete_token(struct http_request *r, const char *id,
                               struct upstream_result *answer, http_next_fn next)
{
    if (!on) {
        done_at_once(r, answer, next);
        return;
    }
    char name[NAME_SIZE];
    token_name(id, name);
    start(r, answer, next, "DELETE", name, NULL, NULL, true);
}

/* ---------------------------------------------------------------- mirroring */

/* data[key] decoded (heap), at most max bytes of printable text; NULL when absent or bad. */
static char *field(const cJSON *data, const char *key, size_t max)
{
    const char *encoded = json_text(data, key);
    size_t len = strlen(encoded), n = 0;
    if (!*encoded || len > (max + 2) / 3 * 4) return NULL;
    char *out = malloc(len + 1);
    if (!out ||
        mbedtls_base64_decode((unsigned char *)out, len, &n, (const unsigned char *)encoded, len) !=
            0 ||
        n > max) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    if (strlen(out) != n || json_has_control(out, false)) {
        free(out);
        return NULL;
    }
    return out;
}

/* A unix time written in decimal; -1 when it is not one. */
static time_t field_time(const cJSON *data, const char *key)
{
    char *text = field(data, key, NUMBER_MAX);
    long long v = -1;
    char *end = NULL;
    if (text && text[0] >= '0' && text[0] <= '9') v = strtoll(text, &end, 10);
    if (!end || *end) v = -1;
    free(text);
    return (time_t)v;
}

static bool is_hex(const char *s, size_t min, size_t max)
{
    size_t n = strspn(s, "0123456789abcdef");
    return !s[n] && n >= min && n <= max;
}

static void ignore(const char *why, const char *name)
{
    struct buf line;
    log_begin(&line, LOG_WARN, why);
    log_str(&line, "secret", name);
    log_end(&line);
}

static void mirror_session(enum k8s_event event, const char *name, const cJSON *data)
{
    char *id = field(data, "id", STORE_ID_MAX - 1);
    char *email = field(data, "email", EMAIL_MAX);
    char *refresh = json_item(data, "refresh") ? field(data, "refresh", SECRET_DATA_MAX) : NULL;
    char *revoked_text = json_item(data, "revoked") ? field(data, "revoked", 1) : NULL;
    time_t expires = field_time(data, "expires");
    char expected[NAME_SIZE] = "";
    if (id) session_name(id, expected);
    bool revoked = revoked_text && strcmp(revoked_text, "1") == 0;
    time_t now = time(NULL);
    if (!id || !email || expires < 0 || strcmp(expected, name) != 0 ||
        (json_item(data, "refresh") && !refresh)) {
        ignore("ignoring a malformed session Secret", name);
    } else if (expires <= now) {
        /* Over anyway: nothing to mirror; the sweep removes the Secret. */
    } else if (event == K8S_DELETED || revoked) {
        /* Signed out (or the Secret deleted by hand): refused here too, whatever the cap. */
        if (store_session_mirror(store, id, email, expires, NULL, true) < 0)
            ignore("cannot record another replica's sign-out", name);
    } else if (n_sessions >= SESSIONS_MAX) {
        if (!warned_sessions) ignore("too many shared sessions; ignoring more", name);
        warned_sessions = true;
    } else if (store_session_mirror(store, id, email, expires, refresh, false) < 0) {
        ignore("cannot record another replica's session", name);
    } else if (event == K8S_ADDED) {
        n_sessions++;
    }
    free(id);
    free(email);
    free(refresh);
    free(revoked_text);
}

/* Remembers a listed token's id, for dropping the ones the list no longer has. */
static void remember_listed(const char *id)
{
    if (listed_overflow) return;
    char *copy = n_listed < LISTED_MAX ? strdup(id) : NULL;
    if (!listed && !(listed = calloc(LISTED_MAX, sizeof(*listed)))) {
        free(copy);
        copy = NULL;
    }
    if (!copy) {
        listed_overflow = true;
        return;
    }
    listed[n_listed++] = copy;
}

static void mirror_token(enum k8s_event event, const char *name, const cJSON *data)
{
    char *hex = field(data, "hash", 64);
    char *id = field(data, "id", STORE_ID_MAX - 1);
    char *email = field(data, "email", EMAIL_MAX);
    char *groups = json_item(data, "groups") ? field(data, "groups", SECRET_DATA_MAX) : NULL;
    char *label = field(data, "name", STORE_TOKEN_NAME_MAX);
    time_t created = field_time(data, "created"), expires = field_time(data, "expires");
    char expected[NAME_SIZE] = "";
    if (id) token_name(id, expected);
    unsigned char hash[32];
    bool good = hex && is_hex(hex, 64, 64) && id && is_hex(id, 1, 40) && email &&
                !strchr(email, ',') && label && created >= 0 && expires >= 0 &&
                strcmp(expected, name) == 0 &&
                (groups || !json_item(data, "groups") || !*json_text(data, "groups"));
    for (size_t i = 0; good && i < 32; i++) sscanf(hex + 2 * i, "%2hhx", &hash[i]);
    if (!good) {
        ignore("ignoring a malformed token Secret", name);
    } else if (event == K8S_DELETED) {
        if (store_token_forget(store, id) < 0) ignore("cannot drop a revoked token", name);
    } else {
        if (listing) remember_listed(id);
        int e = expires > time(NULL)
                    ? store_token_mirror(store, hash, id, email, groups ? groups : "", label,
                                         created, expires)
                    : 0;
        if (e == -EDQUOT)
            ignore("a user has too many tokens; ignoring this one", name);
        else if (e < 0)
            ignore("cannot record another replica's token", name);
    }
    free(hex);
    free(id);
    free(email);
    free(groups);
    free(label);
}

static void watch_reset(void *ctx)
{
    (void)ctx;
    for (size_t i = 0; i < n_listed; i++) free(listed[i]);
    n_listed = 0;
    listed_overflow = false;
    listing = true;
    n_sessions = 0;
}

static void watch_apply(void *ctx, enum k8s_event event, const cJSON *object)
{
    (void)ctx;
    const cJSON *meta = json_item(object, "metadata");
    const char *kind = json_text(json_item(meta, "labels"), LABEL_STATE);
    const char *name = json_text(meta, "name");
    const cJSON *data = json_item(object, "data");
    bool session = strcmp(kind, "session") == 0, token = strcmp(kind, "token") == 0;
    if (!session && !token) return; /* another Secret kfdash manages (its key, say) */
    size_t size = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, data) size += strlen(f->string) + strlen(json_text(data, f->string));
    if (!cJSON_IsObject(data) || size > SECRET_DATA_MAX) {
        ignore("ignoring a shared-state Secret without data or too big", name);
        return;
    }
    if (session)
        mirror_session(event, name, data);
    else
        mirror_token(event, name, data);
}

static int compare_ids(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void watch_settled(void *ctx)
{
    (void)ctx;
    if (!listing) return;
    listing = false;
    /* Tokens deleted while nobody watched (a 410 Gone, a restart) are gone from the list. */
    if (!listed_overflow) {
        if (n_listed) /* listed is NULL when the list had no token */
            qsort(listed, n_listed, sizeof(*listed), compare_ids);
        if (store_tokens_keep_only(store, (const char *const *)listed, n_listed) < 0)
            log_msg(LOG_WARN, "cannot drop tokens revoked elsewhere", NULL, NULL);
    }
    for (size_t i = 0; i < n_listed; i++) free(listed[i]);
    n_listed = 0;
}

static const struct k8s_watch_ops watch_ops = {watch_reset, watch_apply, watch_settled};

static bool synced(char *detail, size_t size)
{
    if (!watch) {
        snprintf(detail, size, "stopped");
        return false;
    }
    return k8s_watch_synced(watch, detail, size);
}

/* ---------------------------------------------------------------- sweep */

static void sweep(void)
{
    time_t now = time(NULL);
    for (int tokens = 0; tokens < 2; tokens++) {
        char *ids[SWEEP_BATCH];
        size_t n = 0;
        if (store_drop_expired(store, tokens, now, ids, SWEEP_BATCH, &n) < 0) continue;
        for (size_t i = 0; i < n; i++) {
            char name[NAME_SIZE];
            if (tokens)
                token_name(ids[i], name);
            else
                session_name(ids[i], name);
            /* Another replica may sweep the same one first: its 404 is fine. */
            start(NULL, NULL, NULL, "DELETE", name, NULL, NULL, true);
            free(ids[i]);
        }
    }
}

static void *sweep_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&sweep_lock);
    while (!stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += SWEEP_INTERVAL_S;
        while (!stopping && pthread_cond_timedwait(&sweep_wake, &sweep_lock, &until) != ETIMEDOUT) {
        }
        if (stopping) break;
        pthread_mutex_unlock(&sweep_lock);
        sweep();
        pthread_mutex_lock(&sweep_lock);
    }
    pthread_mutex_unlock(&sweep_lock);
    return NULL;
}

/* ---------------------------------------------------------------- start / stop */

int shared_state_start(const struct config *cfg, struct store *s, struct upstream *u, char *err,
                       size_t size)
{
    if (strcmp(cfg->shared_state, "kubernetes") != 0) return 0;
    client = kube_client();
    if (!client) {
        snprintf(err, size,
                 "shared_state=kubernetes needs the Kubernetes API (kube.api, a kubeconfig, or "
                 "running in a pod)");
        return -EINVAL;
    }
    if (!*cfg->pod_namespace) {
        snprintf(err, size, "shared_state=kubernetes needs kubeflow.pod_namespace (POD_NAMESPACE)");
        return -EINVAL;
    }
    store = s;
    engine = u;
    snprintf(collection, sizeof(collection), "/api/v1/namespaces/%s/secrets", cfg->pod_namespace);
    char path[PATH_SIZE + 64];
    snprintf(path, sizeof(path), "%s?%s", collection, SELECTOR);
    int e = k8s_watch_start(client, path, &watch_ops, NULL, &watch);
    if (e == 0) e = health_register("shared state", synced);
    if (e == 0) {
        stopping = false;
        e = pthread_create(&sweeper, NULL, sweep_main, NULL) == 0 ? 0 : -EAGAIN;
        sweeper_running = e == 0;
    }
    if (e < 0) {
        snprintf(err, size, "cannot start the shared state: %s", strerror(-e));
        shared_state_stop();
        return e;
    }
    on = true;
    return 0;
}

void shared_state_stop(void)
{
    on = false;
    if (sweeper_running) {
        pthread_mutex_lock(&sweep_lock);
        stopping = true;
        pthread_cond_signal(&sweep_wake);
        pthread_mutex_unlock(&sweep_lock);
        pthread_join(sweeper, NULL);
        sweeper_running = false;
    }
    k8s_watch_stop(watch);
    watch = NULL;
    for (size_t i = 0; i < n_listed; i++) free(listed[i]);
    free(listed);
    listed = NULL;
    n_listed = 0;
}
