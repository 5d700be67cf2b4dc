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
#include "lib/hex.h"
#include "lib/log.h"
#include "lib/upstream.h"
#include "server/cluster/kube.h"
#include "server/config.h"

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

struct shared_state {
    struct store *store;        /* the local copy (borrowed) */
    struct kube *kube;          /* kfdash's own credentials and guard (borrowed) */
    char collection[PATH_SIZE]; /* /api/v1/namespaces/<ns>/secrets */
    struct k8s_watch *watch;    /* the Secrets of every replica */
    pthread_t sweeper;          /* clears expired Secrets */
    bool sweeper_running;       /* sweeper was started */
    bool stopping;              /* guarded by sweep_lock: the sweeper exits */
    pthread_mutex_t sweep_lock;
    pthread_cond_t sweep_wake;
    /* The watch thread's own: what a list under way has seen. */
    bool listing;         /* between reset and settled of a full list */
    char **listed;        /* token ids seen by that list, LISTED_MAX at most */
    size_t n_listed;      /* entries in listed */
    bool listed_overflow; /* too many to prune by */
    size_t n_sessions;    /* live sessions mirrored since the last list */
    bool warned_sessions; /* the cap was reported */
};

/* ---------------------------------------------------------------- names and bodies */

/* "kfdash-session-" and 40 hex digits of the id's SHA-256: the id itself is no name. */
static void session_name(const char *id, char out[NAME_SIZE])
{
    unsigned char digest[32];
    mbedtls_sha256_ret((const unsigned char *)id, strlen(id), digest, 0);
    int n = snprintf(out, NAME_SIZE, "%s", SESSION_PREFIX);
    hex_encode(digest, 20, out + n);
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

/* One write to the API server. */
struct job {
    struct shared_state *ss;
    shared_state_done_fn *done; /* told once whether it was written; NULL: only logged */
    void *ctx;                  /* for done */
    char *create;               /* POSTed when the PATCH finds no Secret; NULL otherwise */
    bool deleting;              /* a 404 means done */
    char name[NAME_SIZE];       /* the Secret, for the log */
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
    struct kube_call *c = malloc(sizeof(*c));
    int e = c ? kube_own_call(j->ss->kube, c, method, path, headers, body, CALL_TIMEOUT_MS,
                              ANSWER_MAX_BYTES)
              : -ENOMEM;
    if (e == 0) e = upstream_fetch(kube_engine(j->ss->kube), &c->call, job_done, j);
    if (c) kube_call_reset(c);
    free(c);
    return e;
}

/* Tells the caller how the write went (a failure is logged); frees j. */
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
    if (j->done) j->done(j->ctx, written);
    job_free(j);
}

static void job_done(void *ctx, struct upstream_result *res)
{
    struct job *j = ctx;
    if (!res->error && res->status == 404 && j->create) {
        /* No Secret to patch (made before shared state was on, or swept): create it whole. */
        char *body = j->create;
        j->create = NULL;
        int e = submit(j, "POST", j->ss->collection, body);
        free(body);
        if (e == 0) return;
        res->error = e;
        snprintf(res->detail, sizeof(res->detail), "cannot start the call");
    }
    finish(j, res);
}

/* Starts a write; body is copied, create taken. On failure done hears so at once. */
static void start(struct shared_state *ss, shared_state_done_fn *done, void *ctx,
                  const char *method, const char *name, const char *body, char *create_taken,
                  bool deleting)
{
    struct job *j = calloc(1, sizeof(*j));
    char path[PATH_SIZE + NAME_SIZE];
    snprintf(path, sizeof(path), "%s%s%s", ss->collection, strcmp(method, "POST") == 0 ? "" : "/",
             strcmp(method, "POST") == 0 ? "" : name);
    if (j) {
        *j = (struct job){
            .ss = ss, .done = done, .ctx = ctx, .create = create_taken, .deleting = deleting};
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
    } else if (done) {
        done(ctx, false);
    }
}

/* ---------------------------------------------------------------- writes */

bool shared_state_on(const struct shared_state *ss)
{
    return ss != NULL;
}

void shared_state_put_session(struct shared_state *ss, const char *id, const char *email,
                              time_t expires, const char *sealed_refresh,
                              shared_state_done_fn *done, void *ctx)
{
    if (!ss) {
        done(ctx, true);
        return;
    }
    char name[NAME_SIZE];
    session_name(id, name);
    char *body = session_body(id, email, expires, sealed_refresh, false, false);
    start(ss, done, ctx, "POST", name, body, NULL, false);
    free(body);
}

/* PATCH the session's Secret, or create it when it is not there. */
static void patch_session(struct shared_state *ss, shared_state_done_fn *done, void *ctx,
                          const char *id, const char *email, time_t expires, const char *refresh,
                          bool revoked)
{
    char name[NAME_SIZE];
    session_name(id, name);
    char *patch = session_body(id, email, expires, refresh, revoked, true);
    char *create = session_body(id, email, expires, refresh, revoked, false);
    start(ss, done, ctx, "PATCH", name, create ? patch : NULL, create, false);
    free(patch);
}

void shared_state_end_session(struct shared_state *ss, const char *id, const char *email,
                              time_t expires, shared_state_done_fn *done, void *ctx)
{
    if (!ss) {
        done(ctx, true);
        return;
    }
    patch_session(ss, done, ctx, id, email, expires, NULL, true);
}

void shared_state_session_renewed(struct shared_state *ss, const char *id, const char *email,
                                  time_t expires, const char *sealed_refresh)
{
    if (ss) patch_session(ss, NULL, NULL, id, email, expires, sealed_refresh, false);
}

void shared_state_session_ended(struct shared_state *ss, const char *id, const char *email,
                                time_t expires)
{
    if (ss) patch_session(ss, NULL, NULL, id, email, expires, NULL, true);
}

void shared_state_put_token(struct shared_state *ss, const unsigned char hash[32], const char *id,
                            const char *email, const char *groups, const char *name, time_t created,
                            time_t expires, shared_state_done_fn *done, void *ctx)
{
    if (!ss) {
        done(ctx, true);
        return;
    }
    char secret[NAME_SIZE], hex[65];
    token_name(id, secret);
    hex_encode(hash, 32, hex);
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
    start(ss, done, ctx, "POST", secret, body, NULL, false);
    free(body);
}

void shared_state_delete_token(struct shared_state *ss, const char *id, shared_state_done_fn *done,
                               void *ctx)
{
    if (!ss) {
        done(ctx, true);
        return;
    }
    char name[NAME_SIZE];
    token_name(id, name);
    start(ss, done, ctx, "DELETE", name, NULL, NULL, true);
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

static void ignore(const char *why, const char *name)
{
    struct buf line;
    log_begin(&line, LOG_WARN, why);
    log_str(&line, "secret", name);
    log_end(&line);
}

static void mirror_session(struct shared_state *ss, enum k8s_event event, const char *name,
                           const cJSON *data)
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
        if (store_session_mirror(ss->store, id, email, expires, NULL, true) < 0)
            ignore("cannot record another replica's sign-out", name);
    } else if (ss->n_sessions >= SESSIONS_MAX) {
        if (!ss->warned_sessions) ignore("too many shared sessions; ignoring more", name);
        ss->warned_sessions = true;
    } else if (store_session_mirror(ss->store, id, email, expires, refresh, false) < 0) {
        ignore("cannot record another replica's session", name);
    } else if (event == K8S_ADDED) {
        ss->n_sessions++;
    }
    free(id);
    free(email);
    free(refresh);
    free(revoked_text);
}

/* Remembers a ss->listed token's id, for dropping the ones the list no longer has. */
static void remember_listed(struct shared_state *ss, const char *id)
{
    if (ss->listed_overflow) return;
    char *copy = ss->n_listed < LISTED_MAX ? strdup(id) : NULL;
    if (!ss->listed && !(ss->listed = calloc(LISTED_MAX, sizeof(*ss->listed)))) {
        free(copy);
        copy = NULL;
    }
    if (!copy) {
        ss->listed_overflow = true;
        return;
    }
    ss->listed[ss->n_listed++] = copy;
}

static void mirror_token(struct shared_state *ss, enum k8s_event event, const char *name,
                         const cJSON *data)
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
    bool good = hex && hex_is_lower(hex, 64, 64) && id && hex_is_lower(id, 1, 40) && email &&
                !strchr(email, ',') && label && created >= 0 && expires >= 0 &&
                strcmp(expected, name) == 0 &&
                (groups || !json_item(data, "groups") || !*json_text(data, "groups"));
    good = good && hex_decode(hex, 64, hash, sizeof(hash)) == 0;
    if (!good) {
        ignore("ignoring a malformed token Secret", name);
    } else if (event == K8S_DELETED) {
        if (store_token_forget(ss->store, id) < 0) ignore("cannot drop a revoked token", name);
    } else {
        if (ss->listing) remember_listed(ss, id);
        int e = expires > time(NULL)
                    ? store_token_mirror(ss->store, hash, id, email, groups ? groups : "", label,
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
    struct shared_state *ss = ctx;
    for (size_t i = 0; i < ss->n_listed; i++) free(ss->listed[i]);
    ss->n_listed = 0;
    ss->listed_overflow = false;
    ss->listing = true;
    ss->n_sessions = 0;
}

static void watch_apply(void *ctx, enum k8s_event event, const cJSON *object)
{
    struct shared_state *ss = ctx;
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
        mirror_session(ss, event, name, data);
    else
        mirror_token(ss, event, name, data);
}

static int compare_ids(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void watch_settled(void *ctx)
{
    struct shared_state *ss = ctx;
    if (!ss->listing) return;
    ss->listing = false;
    /* Tokens deleted while nobody watched (a 410 Gone, a restart) are gone from the list. */
    if (!ss->listed_overflow) {
        if (ss->n_listed) /* ss->listed is NULL when the list had no token */
            qsort(ss->listed, ss->n_listed, sizeof(*ss->listed), compare_ids);
        if (store_tokens_keep_only(ss->store, (const char *const *)ss->listed, ss->n_listed) < 0)
            log_msg(LOG_WARN, "cannot drop tokens revoked elsewhere", NULL, NULL);
    }
    for (size_t i = 0; i < ss->n_listed; i++) free(ss->listed[i]);
    ss->n_listed = 0;
}

static const struct k8s_watch_ops watch_ops = {watch_reset, watch_apply, watch_settled};

bool shared_state_ready(void *shared_state, char *detail, size_t size)
{
    struct shared_state *ss = shared_state;
    return k8s_watch_synced(ss->watch, detail, size);
}

/* ---------------------------------------------------------------- sweep */

static void sweep(struct shared_state *ss)
{
    time_t now = time(NULL);
    for (int tokens = 0; tokens < 2; tokens++) {
        char *ids[SWEEP_BATCH];
        size_t n = 0;
        if (store_drop_expired(ss->store, tokens, now, ids, SWEEP_BATCH, &n) < 0) continue;
        for (size_t i = 0; i < n; i++) {
            char name[NAME_SIZE];
            if (tokens)
                token_name(ids[i], name);
            else
                session_name(ids[i], name);
            /* Another replica may sweep the same one first: its 404 is fine. */
            start(ss, NULL, NULL, "DELETE", name, NULL, NULL, true);
            free(ids[i]);
        }
    }
}

static void *sweep_main(void *arg)
{
    struct shared_state *ss = arg;
    pthread_mutex_lock(&ss->sweep_lock);
    while (!ss->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += SWEEP_INTERVAL_S;
        while (!ss->stopping &&
               pthread_cond_timedwait(&ss->sweep_wake, &ss->sweep_lock, &until) != ETIMEDOUT) {
        }
        if (ss->stopping) break;
        pthread_mutex_unlock(&ss->sweep_lock);
        sweep(ss);
        pthread_mutex_lock(&ss->sweep_lock);
    }
    pthread_mutex_unlock(&ss->sweep_lock);
    return NULL;
}

/* ---------------------------------------------------------------- start / stop */

int shared_state_new(const struct config *cfg, struct store *store, struct kube *kube,
                     struct shared_state **ret, char *err, size_t size)
{
    *ret = NULL;
    if (strcmp(cfg->shared_state, "kubernetes") != 0) return 0;
    if (!kube_on(kube)) {
        snprintf(err, size,
                 "shared_state=kubernetes needs the Kubernetes API (kube.api, a kubeconfig, or "
                 "running in a pod)");
        return -EINVAL;
    }
    if (!*cfg->pod_namespace) {
        snprintf(err, size, "shared_state=kubernetes needs kubeflow.pod_namespace (POD_NAMESPACE)");
        return -EINVAL;
    }
    struct shared_state *ss = calloc(1, sizeof(*ss));
    if (!ss) {
        snprintf(err, size, "out of memory");
        return -ENOMEM;
    }
    ss->store = store;
    ss->kube = kube;
    pthread_mutex_init(&ss->sweep_lock, NULL);
    pthread_cond_init(&ss->sweep_wake, NULL);
    snprintf(ss->collection, sizeof(ss->collection), "/api/v1/namespaces/%s/secrets",
             cfg->pod_namespace);
    char path[PATH_SIZE + 64];
    snprintf(path, sizeof(path), "%s?%s", ss->collection, SELECTOR);
    int e = k8s_watch_start(kube_engine(kube), kube_client(kube), path, &watch_ops, ss, &ss->watch);
    if (e == 0) {
        e = pthread_create(&ss->sweeper, NULL, sweep_main, ss) == 0 ? 0 : -EAGAIN;
        ss->sweeper_running = e == 0;
    }
    if (e < 0) {
        snprintf(err, size, "cannot start the shared state: %s", strerror(-e));
        shared_state_free(ss);
        return e;
    }
    *ret = ss;
    return 0;
}

void shared_state_free(struct shared_state *ss)
{
    if (!ss) return;
    if (ss->sweeper_running) {
        pthread_mutex_lock(&ss->sweep_lock);
        ss->stopping = true;
        pthread_cond_signal(&ss->sweep_wake);
        pthread_mutex_unlock(&ss->sweep_lock);
        pthread_join(ss->sweeper, NULL);
    }
    k8s_watch_stop(ss->watch);
    for (size_t i = 0; i < ss->n_listed; i++) free(ss->listed[i]);
    free(ss->listed);
    pthread_mutex_destroy(&ss->sweep_lock);
    pthread_cond_destroy(&ss->sweep_wake);
    free(ss);
}
