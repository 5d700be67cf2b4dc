/* gate: identity of every request, CSRF checks, session renewal; see gate.h. */
#include "server/gate/gate.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <mbedtls/base64.h>
#include <mbedtls/sha256.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/identity.h"
#include "auth/oidc.h"
#include "auth/peers.h"
#include "auth/seal.h"
#include "auth/session.h"
#include "auth/store.h"
#include "k8s/access.h"
#include "k8s/name.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/ttl_cache.h"
#include "lib/upstream.h"
#include "server/cluster/kube.h"
#include "server/cluster/shared_state.h"
#include "server/config.h"
#include "server/gate/apps.h"
#include "server/gate/fairness.h"
#include "server/gate/least_role.h"
#include "server/http/http.h"
#include "server/http/park.h"
#include "server/kfdash.h"

#define PAT_PREFIX          "kfp_"
#define PURPOSE_REFRESH     "kfdash refresh token v1"
#define CALL_TIMEOUT_MS     10000
#define ANSWER_MAX_BYTES    (256 << 10)
#define RETRY_AFTER_ERROR_S 30 /* Dex unreachable: try the renewal again this much later */
#define REVIEWS_SLOTS       1024
#define REVIEW_MAX_AGE_S    60
#define RENEWING_MAX        256
#define RENEWAL_MAX_MS      (CALL_TIMEOUT_MS + 5000) /* a claim outlives its call */
#define DISCOVERY_OK_MS     2000 /* Dex's discovery answer serves sign-ins this long */
#define BAD_TOKENS_SLOTS    4096
#define BAD_TOKEN_MS        30000 /* a token the API server refused is refused here this long */
#define DISCOVERY_FAILED_MS 1000  /* and its failure */
#define CSRF_HEADER         "X-CSRF-Token"
#define BASE64_SIZE(len)    (((len) + 2) / 3 * 4 + 1)

static void identity_free_void(void *who)
{
    identity_free(who);
}

struct gate {
    struct auth_peers *gateways;    /* trusted to name the user in USERID_HEADER */
    struct ttl_cache *reviews;      /* service-account tokens the API server vouched for */
    struct ttl_cache *renewing;     /* sessions whose renewal is under way */
    struct ttl_cache *bad_tokens;   /* service-account tokens the API server just refused */
    pthread_mutex_t discovery_lock; /* guards the three below */
    int64_t discovery_ms;           /* monotonic, when Dex's discovery was last asked; 0 never */
    bool discovery_ok;              /* and answered */
    struct oidc_endpoints discovery;
};

int gate_new(const struct config *cfg, struct gate **ret)
{
    *ret = NULL;
    struct gate *g = calloc(1, sizeof(*g));
    if (!g) return -ENOMEM;
    pthread_mutex_init(&g->discovery_lock, NULL);
    int e = auth_peers_parse(cfg->trusted_header_peers, &g->gateways);
    if (e == 0) e = ttl_cache_new(REVIEWS_SLOTS / 4, 4, identity_free_void, NULL, &g->reviews);
    if (e == 0) e = ttl_cache_new(RENEWING_MAX / 4, 4, NULL, NULL, &g->renewing);
    if (e == 0) e = ttl_cache_new(BAD_TOKENS_SLOTS / 8, 8, NULL, NULL, &g->bad_tokens);
    if (e < 0) {
        gate_free(g);
        return e;
    }
    *ret = g;
    return 0;
}

void gate_free(struct gate *g)
{
    if (!g) return;
    auth_peers_free(g->gateways);
    ttl_cache_free(g->reviews);
    ttl_cache_free(g->renewing);
    ttl_cache_free(g->bad_tokens);
    pthread_mutex_destroy(&g->discovery_lock);
    free(g);
}

int gate_discovery(struct gate *g, struct oidc_endpoints *ret)
{
    pthread_mutex_lock(&g->discovery_lock);
    int64_t age = clock_ms() - g->discovery_ms;
    /* Only an answer is kept: a Dex that is down refuses each sign-in's question at no cost,
     * and one that comes back is asked again at once. */
    int r = g->discovery_ms && g->discovery_ok && age < DISCOVERY_OK_MS ? 0 : -ENOENT;
    if (r == 0) *ret = g->discovery;
    pthread_mutex_unlock(&g->discovery_lock);
    return r;
}

void gate_discovery_set(struct gate *g, const struct oidc_endpoints *ep)
{
    pthread_mutex_lock(&g->discovery_lock);
    g->discovery_ms = clock_ms();
    g->discovery_ok = ep != NULL;
    if (ep) g->discovery = *ep;
    pthread_mutex_unlock(&g->discovery_lock);
}

/* ---------------------------------------------------------------- cookies */

/* Over TLS kfdash's cookies carry the __Host- prefix: the browser then takes them only from this
 * very host, Secure and for Path=/, so no sibling host under the same domain can plant one. */
#define HOST_PREFIX "__Host-"

static int add_cookie(struct http_request *r, const char *name, const char *value, long max_age,
                      const char *same_site, bool http_only)
{
    char header[SEAL_MAX_TEXT + 256];
    bool tls = http_request_is_https(r);
    int n = snprintf(header, sizeof(header), "%s%s=%s; Path=/; Max-Age=%ld; SameSite=%s%s%s",
                     tls ? HOST_PREFIX : "", name, value, max_age, same_site,
                     http_only ? "; HttpOnly" : "", tls ? "; Secure" : "");
    if (n < 0 || (size_t)n >= sizeof(header)) return -E2BIG;
    return http_request_add_reply_header(r, "Set-Cookie", header);
}

const char *gate_session_cookie(const struct http_request *r)
{
    return http_request_cookie(r, http_request_is_https(r) ? HOST_PREFIX SESSION_COOKIE
                                                           : SESSION_COOKIE);
}

int gate_set_app_cookie(struct http_request *r, const struct session *s, const char *label,
                        time_t now)
{
    const struct kfdash *k = kfdash_of(r);
    char *sealed = NULL;
    int e = session_seal_for(k->keys, s, SESSION_APP, label, s->expires, &sealed);
    if (e == 0)
        e = add_cookie(r, SESSION_APP_COOKIE, sealed, (long)(s->expires - now), "Lax", true);
    free(sealed);
    return e;
}

int gate_set_session_cookies(struct http_request *r, const struct session *s, time_t now)
{
    const struct kfdash *k = kfdash_of(r);
    char label[APPS_LABEL_MAX];
    if (apps_request_label(r, label)) return gate_set_app_cookie(r, s, label, now);
    char *sealed = NULL;
    int e = session_seal(k->keys, s, &sealed);
    if (e < 0) return e;
    long age = (long)(s->expires - now);
    e = add_cookie(r, SESSION_COOKIE, sealed, age, "Lax", true);
    free(sealed);
    /* The CSRF token, readable by the page so it can echo it; Strict: never sent cross-site. */
    if (e == 0) e = add_cookie(r, SESSION_CSRF_COOKIE, s->csrf, age, "Strict", false);
    return e;
}

void gate_clear_session_cookies(struct http_request *r)
{
    char label[APPS_LABEL_MAX];
    if (apps_request_label(r, label)) {
        add_cookie(r, SESSION_APP_COOKIE, "", 0, "Lax", true);
        return;
    }
    add_cookie(r, SESSION_COOKIE, "", 0, "Lax", true);
    add_cookie(r, SESSION_CSRF_COOKIE, "", 0, "Strict", false);
}

int gate_seal_refresh_token(const struct http_request *r, const char *token, char **ret)
{
    return seal(kfdash_of(r)->keys, PURPOSE_REFRESH, token, strlen(token), ret);
}

/* ---------------------------------------------------------------- refusing */

static bool is_api(const struct http_request *r, const char *path)
{
    const char *accept = http_request_header(r, "Accept");
    return strncmp(path, "/api/", 5) == 0 || (accept && strstr(accept, "application/json"));
}

/* A page load by a browser: it can follow a redirect to the login page. */
static bool is_page_load(const struct http_request *r, const char *path)
{
    const char *method = http_request_method(r);
    const char *accept = http_request_header(r, "Accept");
    return (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) && !is_api(r, path) &&
           accept && strstr(accept, "text/html");
}

void gate_refuse(struct http_request *r, const char *rd, bool may_redirect, const char *error,
                 const char *message)
{
    char label[APPS_LABEL_MAX], back[4 * SESSION_RD_MAX];
    if (may_redirect && is_page_load(r, rd) && apps_request_label(r, label)) {
        /* An application's host signs nobody in: the same path on kfdash's origin does, and
         * hands the browser back with a code. */
        if (apps_dashboard_url(kfdash_of(r)->cfg, session_rd_is_local(rd) ? rd : "/", back,
                               sizeof(back)) == 0) {
            http_reply_redirect(r, back, NULL);
            return;
        }
    } else if (may_redirect && is_page_load(r, rd)) {
        struct buf location;
        buf_init(&location, 4 * SESSION_RD_MAX);
        buf_adds(&location, "/auth/login?rd=");
        buf_add_url_escaped(&location, session_rd_is_local(rd) ? rd : "/");
        if (buf_error(&location)) {
            buf_reset(&location);
            buf_adds(&location, "/auth/login");
        }
        http_reply_redirect(r, buf_str(&location), NULL);
        buf_reset(&location);
        return;
    }
    char challenge[160];
    if (error)
        snprintf(challenge, sizeof(challenge), "Bearer realm=\"kfdash\", error=\"%s\"", error);
    else
        snprintf(challenge, sizeof(challenge), "Bearer realm=\"kfdash\"");
    const char *headers[] = {"WWW-Authenticate", challenge, "Cache-Control", "no-store", NULL};
    http_reply_error_with(r, 401, message, headers);
}

/* ---------------------------------------------------------------- parked resolutions */

/* A resolution waiting on another server, kept with the parked request. */
struct pending {
    gate_done_fn done;             /* told the outcome */
    http_next_fn next;             /* runs when the answer is in */
    struct upstream_result answer; /* the call's outcome (body owned) */
    unsigned char digest[32];      /* a service-account token's, for the review cache */
    struct session session;        /* a session being renewed */
    char *token;                   /* an ID token waiting for its signing key */
    char *form;                    /* a renewal's request to the token endpoint, for a retry */
    bool waited_for_keys;          /* the keys were fetched again once already */
    bool retried;                  /* the renewal was asked a second time already */
};

static void pending_free(void *p)
{
    struct pending *w = p;
    free(w->answer.body);
    session_reset(&w->session);
    free(w->token);
    if (w->form) explicit_bzero(w->form, strlen(w->form)); /* it holds a refresh token */
    free(w->form);
    free(w);
}

/* Parks r until call is answered (w is taken, kept with the request); then w->next runs. */
static void park_on(struct http_request *r, struct pending *w, const struct upstream_call *call)
{
    const struct kfdash *k = kfdash_of(r);
    http_request_set_context(r, w, pending_free);
    park_call(k->own_engine, r, call, &w->answer, w->next);
}

/* Takes the pending resolution back from the request: the caller frees it. */
static struct pending *unpark(struct http_request *r)
{
    return http_request_take_context(r);
}

/* ---------------------------------------------------------------- identities */

/* A value that may go into a header as it is: printable, no separators that split it. */
static bool header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == ',') return false;
    return true;
}

/* Groups from a comma-separated header value or stored list. */
static struct identity *identity_with_joined_groups(enum identity_source source, const char *email,
                                                    const char *joined)
{
    char *copy = strdup(joined ? joined : "");
    if (!copy) return NULL;
    const char *groups[IDENTITY_MAX_GROUPS];
    size_t n = 0;
    char *save = NULL;
    for (char *g = strtok_r(copy, ",", &save); g && n < IDENTITY_MAX_GROUPS;
         g = strtok_r(NULL, ",", &save)) {
        while (*g == ' ') g++;
        if (*g) groups[n++] = g;
    }
    struct identity *who = identity_new(source, email, groups, n);
    free(copy);
    return who;
}

/* Credentials made before the provider last changed the user (disabled, deleted, a new
 * password: server/cluster/dex_users.c) are void. */
static bool outlived(const struct kfdash *k, const char *email, time_t made)
{
    time_t not_before = store_user_not_before(k->store, email);
    return not_before && made <= not_before;
}

#define OUTLIVED "your account changed at the identity provider; sign in again"

static void from_session(struct http_request *r, gate_done_fn done, const struct session *s)
{
    const struct kfdash *k = kfdash_of(r);
    if (outlived(k, s->email, s->auth_time)) {
        store_session_revoke(k->store, s->id);
        gate_clear_session_cookies(r);
        done(r, NULL, "invalid_token", OUTLIVED);
        return;
    }
    struct identity *who =
        identity_new(IDENTITY_SESSION, s->email, (const char *const *)s->groups, s->n_groups);
    if (who) {
        who->session_id = strdup(s->id);
        who->csrf = strdup(s->csrf);
        who->auth_time = s->auth_time;
    }
    if (!who || !who->session_id || !who->csrf) {
        identity_free(who);
        done(r, NULL, NULL, "out of memory");
        return;
    }
    done(r, who, NULL, NULL);
}

/* ---------------------------------------------------------------- bearer tokens */

static void id_token_verified(struct http_request *r, gate_done_fn done, int e,
                              struct token_claims *claims)
{
    const struct kfdash *k = kfdash_of(r);
    if (e == -EAGAIN)
        done(r, NULL, "invalid_token", "the identity provider's keys are not available yet");
    else if (e < 0)
        done(r, NULL, "invalid_token",
             e == -ETIME ? "token expired or not yet valid" : "invalid token");
    else if (!claims->email || !header_safe(claims->email) ||
             identity_name_is_reserved(claims->email))
        done(r, NULL, "invalid_token", "the token carries no usable email");
    else if (!claims->email_verified)
        done(r, NULL, "invalid_token", "the token's email is not verified");
    else if (outlived(k, claims->email, claims->issued))
        done(r, NULL, "invalid_token", OUTLIVED);
    else {
        struct identity *who = identity_new(IDENTITY_ID_TOKEN, claims->email,
                                            (const char *const *)claims->groups, claims->n_groups);
        if (who) who->auth_time = claims->issued;
        if (who)
            done(r, who, NULL, NULL);
        else
            done(r, NULL, NULL, "out of memory");
    }
    token_claims_reset(claims);
}

/* The refresher fetched the keys again: verify once more, whatever it found. */
static void id_token_retry(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct pending *w = unpark(r);
    struct token_claims claims = {0};
    int e = oidc_verify(k->provider, w->token, &claims);
    id_token_verified(r, w->done, e, &claims);
    pending_free(w);
}

static void keys_fetched(void *ctx)
{
    http_request_resume(ctx, id_token_retry);
}

static void id_token(struct http_request *r, gate_done_fn done, const char *token)
{
    const struct kfdash *k = kfdash_of(r);
    struct token_claims claims = {0};
    int e = oidc_verify(k->provider, token, &claims);
    struct pending *w = e == -ENOKEY ? calloc(1, sizeof(*w)) : NULL;
    if (w && (w->token = strdup(token))) {
        /* Signed with a key we have not seen: the provider has just rotated. Wait for the
         * refetch this asked for rather than refuse a valid token. */
        w->done = done;
        http_request_set_context(r, w, pending_free);
        http_request_suspend(r);
        if (oidc_wait_for_keys(k->provider, keys_fetched, r) < 0)
            http_request_resume(r, id_token_retry);
        return;
    }
    if (w) pending_free(w);
    id_token_verified(r, done, e, &claims);
}

static void personal_token(struct http_request *r, gate_done_fn done, const char *token)
{
    const struct kfdash *k = kfdash_of(r);
    unsigned char digest[32];
    mbedtls_sha256_ret((const unsigned char *)token, strlen(token), digest, 0);
    struct store_token t;
    int e = store_token_find(k->store, digest, time(NULL), &t);
    if (e < 0) {
        done(r, NULL, "invalid_token",
             e == -ENOENT ? "unknown, expired or revoked personal access token"
                          : "cannot check the token now");
        return;
    }
    if (outlived(k, t.email, t.created)) {
        store_token_reset(&t);
        done(r, NULL, "invalid_token", "this token's user changed at the identity provider");
        return;
    }
    struct identity *who = identity_with_joined_groups(IDENTITY_PERSONAL_TOKEN, t.email, t.groups);
    if (who) who->auth_time = t.created;
    store_token_reset(&t);
    if (who)
        done(r, who, NULL, NULL);
    else
        done(r, NULL, NULL, "out of memory");
}

static void copy_identity(void *out, const void *value, long number)
{
    const struct identity *who = value;
    *(struct identity **)out = identity_new(IDENTITY_SERVICE_ACCOUNT, who->email,
                                            (const char *const *)who->groups, who->n_groups);
}

/* The apiserver's answer to a TokenReview, as an identity; NULL with why set otherwise. */
static struct identity *parse_review(const struct upstream_result *a, const char **why)
{
    *why = "the Kubernetes API server could not check the token";
    if (a->error || a->status != 201) return NULL;
    cJSON *j = cJSON_ParseWithLength(a->body, a->len);
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(j, "status");
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(status, "user");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(user, "username");
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(user, "groups");
    struct identity *who = NULL;
    *why = "invalid token";
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(status, "authenticated")) &&
        cJSON_IsString(name) && strncmp(name->valuestring, "system:serviceaccount:", 22) == 0 &&
        header_safe(name->valuestring)) {
        const char *names[IDENTITY_MAX_GROUPS];
        size_t n = 0;
        const cJSON *g;
        cJSON_ArrayForEach(g, groups) if (cJSON_IsString(g) && n < IDENTITY_MAX_GROUPS &&
                                          header_safe(g->valuestring)) names[n++] = g->valuestring;
        who = identity_new(IDENTITY_SERVICE_ACCOUNT, name->valuestring, names, n);
    } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(status, "authenticated"))) {
        *why = "only service-account tokens are accepted from the Kubernetes API server";
    }
    cJSON_Delete(j);
    return who;
}

static void review_answered(struct http_request *r)
{
    struct pending *w = unpark(r);
    const char *why;
    struct identity *who = parse_review(&w->answer, &why);
    if (w->answer.error) log_msg(LOG_WARN, "TokenReview failed", "detail", w->answer.detail);
    struct identity *copy =
        who ? identity_new(who->source, who->email, (const char *const *)who->groups, who->n_groups)
            : NULL;
    if (copy)
        ttl_cache_put(kfdash_of(r)->gate->reviews, w->digest, 32, copy, 0,
                      REVIEW_MAX_AGE_S * 1000L);
    /* The API server's no is remembered: the same token again costs it nothing for a while. */
    if (!who && !w->answer.error && w->answer.status == 201)
        ttl_cache_put(kfdash_of(r)->gate->bad_tokens, w->digest, 32, NULL, 0, BAD_TOKEN_MS);
    gate_done_fn done = w->done;
    pending_free(w);
    if (who)
        done(r, who, NULL, NULL);
    else
        done(r, NULL, "invalid_token", why);
}

static void service_account_token(struct http_request *r, gate_done_fn done, const char *token)
{
    const struct kfdash *k = kfdash_of(r);
    struct pending *w = calloc(1, sizeof(*w));
    if (!w) {
        done(r, NULL, NULL, "out of memory");
        return;
    }
    mbedtls_sha256_ret((const unsigned char *)token, strlen(token), w->digest, 0);
    struct identity *known = NULL;
    if (ttl_cache_get(k->gate->reviews, w->digest, 32, copy_identity, &known) && known) {
        free(w);
        done(r, known, NULL, NULL);
        return;
    }
    if (ttl_cache_get(k->gate->bad_tokens, w->digest, 32, NULL, NULL)) {
        free(w);
        done(r, NULL, "invalid_token", "invalid token");
        return;
    }
    /* A token never seen costs the API server a review: not for an address whose requests
     * without valid credentials are over its budget (each such request is charged, admitted). */
    long retry;
    if (k->fairness && fairness_anonymous(k->fairness, http_request_peer(r), false, &retry) ==
                           FAIR_ANONYMOUS_RATE) {
        free(w);
        done(r, NULL, GATE_RATE_LIMITED, "too many new tokens from this address; try again later");
        return;
    }
    static const char *const headers[] = {"Content-Type: application/json",
                                          "Accept: application/json", NULL};
    struct buf body;
    buf_init(&body, 24576);
    buf_adds(&body, "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\","
                    "\"spec\":{\"token\":");
    buf_add_json_string(&body, token);
    buf_adds(&body, "}}");
    struct kube_call *c = calloc(1, sizeof(*c));
    int e = !c || buf_error(&body)
                ? -ENOMEM
                : kube_own_call(k->kube, c, "POST", "/apis/authentication.k8s.io/v1/tokenreviews",
                                headers, buf_str(&body), CALL_TIMEOUT_MS, ANSWER_MAX_BYTES);
    if (e < 0) {
        free(w);
        done(r, NULL, NULL, "kfdash cannot check service-account tokens now");
    } else {
        w->done = done;
        w->next = review_answered;
        park_on(r, w, &c->call);
    }
    if (c) kube_call_reset(c);
    free(c);
    buf_reset(&body);
}

static void bearer(struct http_request *r, gate_done_fn done, const char *token)
{
    const struct kfdash *k = kfdash_of(r);
    while (*token == ' ') token++;
    char issuer[512];
    if (strncmp(token, PAT_PREFIX, strlen(PAT_PREFIX)) == 0)
        personal_token(r, done, token);
    else if (token_peek_issuer(token, issuer, sizeof(issuer)) < 0)
        done(r, NULL, "invalid_token", "the bearer token is neither a JWT nor a kfdash token");
    else if (k->provider && strcmp(issuer, oidc_issuer(k->provider)) == 0)
        id_token(r, done, token);
    else if (kube_on(k->kube))
        service_account_token(r, done, token);
    else
        done(r, NULL, "invalid_token", "the token's issuer is not trusted here");
}

/* ---------------------------------------------------------------- sessions and renewal */

/* Only one renewal of a session at a time: other requests of it go on meanwhile. */
static bool claim_renewal(struct gate *g, const char *id)
{
    return ttl_cache_claim(g->renewing, id, strlen(id), RENEWAL_MAX_MS) == 0;
}

static void release_renewal(struct gate *g, const char *id)
{
    ttl_cache_drop(g->renewing, id, strlen(id));
}

/* The session goes on unchanged, to be renewed again a little later (Dex unreachable). */
static void keep_for_now(struct http_request *r, struct session *s, time_t now)
{
    s->recheck_at = now + RETRY_AFTER_ERROR_S < s->expires ? now + RETRY_AFTER_ERROR_S : s->expires;
    gate_set_session_cookies(r, s, now);
}

/* Dex answered a refresh: a new ID token (who the user is now) and usually a new refresh
 * token, which must be kept whatever happens next (Dex rotates them: the old one is spent).
 * 0; -EACCES when Dex refused (the session is over); -EAGAIN when it could not say. */
static int apply_renewal(struct http_request *r, struct pending *w, time_t now)
{
    const struct kfdash *k = kfdash_of(r);
    const struct upstream_result *a = &w->answer;
    struct session *s = &w->session;
    if (a->error || a->status >= 500) return -EAGAIN;
    if (a->status != 200) return -EACCES; /* invalid_grant: revoked, rotated away, user gone */
    cJSON *j = cJSON_ParseWithLength(a->body, a->len);
    const cJSON *idt = cJSON_GetObjectItemCaseSensitive(j, "id_token");
    const cJSON *refresh = cJSON_GetObjectItemCaseSensitive(j, "refresh_token");
    char *sealed = NULL;
    if (cJSON_IsString(refresh) && gate_seal_refresh_token(r, refresh->valuestring, &sealed) == 0 &&
        store_session_set_refresh_token(k->store, s->id, sealed) == 0)
        /* The other replicas renew with it next: the old one is spent at the provider. */
        shared_state_session_renewed(k->shared, s->id, s->email, s->expires, sealed);
    free(sealed);
    struct token_claims claims = {0};
    int e = cJSON_IsString(idt) ? oidc_verify_login(k->provider, idt->valuestring, NULL, &claims)
                                : -EPROTO;
    cJSON_Delete(j);
    if (e == -ENOKEY) return -ENOKEY; /* Dex signed with a new key: fetch it, then again */
    if (e == -EAGAIN) return -EAGAIN;
    if (e == 0 && (!claims.email || strcmp(claims.email, s->email) != 0)) e = -EACCES;
    if (e == 0) {
        /* Groups may have changed at the provider: the renewed session carries the new ones. */
        char **old = s->groups;
        size_t n_old = s->n_groups;
        s->groups = claims.groups;
        s->n_groups = claims.n_groups;
        claims.groups = old;
        claims.n_groups = n_old;
        s->recheck_at = now + k->cfg->session_recheck_s;
        if (s->recheck_at > s->expires) s->recheck_at = s->expires;
        e = gate_set_session_cookies(r, s, now) < 0 ? -EAGAIN : 0;
    }
    token_claims_reset(&claims);
    return e == 0 || e == -EAGAIN ? e : -EACCES;
}

static void renewal_answered(struct http_request *r);

static void keys_fetched_for_renewal(void *ctx)
{
    http_request_resume(ctx, renewal_answered);
}

/* Dex failed of its own (a 5xx): two replicas renewing one session at once make its storage
 * refuse one of them, and a second ask, with the same refresh token, is answered (with Dex's
 * refreshTokens.reuseInterval, by the token the first one minted). Asked again once, at once:
 * true when under way. */
static bool renewal_retried(struct http_request *r, struct pending *w)
{
    const struct kfdash *k = kfdash_of(r);
    struct oidc_endpoints ep;
    if (w->retried || !w->form || w->answer.error || w->answer.status < 500 ||
        oidc_cached_endpoints(k->provider, &ep) < 0)
        return false;
    w->retried = true;
    free(w->answer.body);
    memset(&w->answer, 0, sizeof(w->answer));
    http_request_set_context(r, w, pending_free);
    if (gate_call_token_endpoint(r, ep.token, w->form, &w->answer, renewal_answered) == 0)
        return true;
    http_request_take_context(r);
    w->answer.error = -EIO; /* not asked again: the session goes on, as for no answer */
    snprintf(w->answer.detail, sizeof(w->answer.detail), "cannot ask the provider again");
    return false;
}

static void renewal_answered(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct pending *w = unpark(r);
    if (renewal_retried(r, w)) return;
    time_t now = time(NULL);
    int e = apply_renewal(r, w, now);
    if (e == -ENOKEY && !w->waited_for_keys) {
        /* As for bearer tokens: wait for the key set the -ENOKEY asked for, then check again. */
        w->waited_for_keys = true;
        http_request_set_context(r, w, pending_free);
        http_request_suspend(r);
        if (oidc_wait_for_keys(k->provider, keys_fetched_for_renewal, r) < 0)
            http_request_resume(r, renewal_answered);
        return;
    }
    if (e == -ENOKEY) e = -EAGAIN;
    release_renewal(k->gate, w->session.id);
    gate_done_fn done = w->done;
    if (e == -EAGAIN) {
        struct buf line;
        log_begin(&line, LOG_WARN, "cannot renew a session now; it goes on");
        if (w->answer.error) {
            log_str(&line, "detail", w->answer.detail);
        } else {
            log_str(&line, "detail", "the provider's answer was not usable");
            log_int(&line, "status", w->answer.status);
            if (w->answer.body) {
                char head[160];
                snprintf(head, sizeof(head), "%s", w->answer.body);
                log_str(&line, "answer", head);
            }
        }
        log_end(&line);
        keep_for_now(r, &w->session, now);
        e = 0;
    }
    if (e == 0) {
        from_session(r, done, &w->session);
    } else {
        log_msg(LOG_INFO, "session ended by the provider", "email", w->session.email);
        store_session_revoke(k->store, w->session.id);
        shared_state_session_ended(k->shared, w->session.id, w->session.email, w->session.expires);
        gate_clear_session_cookies(r);
        done(r, NULL, "invalid_token", "your sign-in has ended; sign in again");
    }
    pending_free(w);
}

/* Asks Dex to renew the session with its refresh token; s is taken. */
static void renew(struct http_request *r, gate_done_fn done, struct session *s)
{
    const struct kfdash *k = kfdash_of(r);
    char *sealed = NULL, *token = NULL;
    size_t len;
    struct oidc_endpoints ep;
    int e = store_session_refresh_token(k->store, s->id, &sealed);
    if (e == -EACCES || e == -ENOENT || (e == 0 && !sealed)) {
        /* Revoked, or unknown to this database: the session cannot be renewed. */
        session_reset(s);
        gate_clear_session_cookies(r);
        done(r, NULL, "invalid_token", "your sign-in has ended; sign in again");
        return;
    }
    if (e < 0 || unseal(k->keys, PURPOSE_REFRESH, sealed, &token, &len) < 0 ||
        oidc_cached_endpoints(k->provider, &ep) < 0 || !claim_renewal(k->gate, s->id)) {
        /* Not now (store busy, Dex not discovered yet, or a renewal already under way). */
        free(sealed);
        free(token);
        from_session(r, done, s);
        session_reset(s);
        return;
    }
    free(sealed);
    struct pending *w = calloc(1, sizeof(*w));
    struct buf form;
    buf_init(&form, 8192);
    buf_adds(&form, "grant_type=refresh_token&refresh_token=");
    buf_add_url_escaped(&form, token);
    free(token);
    if (w) {
        w->done = done;
        if (!buf_error(&form)) w->form = strdup(buf_str(&form)); /* NULL: no second ask */
        w->session = *s;
        memset(s, 0, sizeof(*s));
        http_request_set_context(r, w, pending_free);
    }
    if (!w || buf_error(&form) ||
        gate_call_token_endpoint(r, ep.token, buf_str(&form), &w->answer, renewal_answered) < 0) {
        /* Cannot even ask: the session goes on as it is. */
        if (w) {
            http_request_take_context(r);
            *s = w->session;
            memset(&w->session, 0, sizeof(w->session));
            pending_free(w);
        }
        release_renewal(k->gate, s->id);
        from_session(r, done, s);
        session_reset(s);
    }
    buf_reset(&form);
}

/* 0 when a session cookie proved who this is (done was called); -ENOENT when there is none;
 * another -errno with *why when it was sent but is no good. */
static int session_cookie(struct http_request *r, gate_done_fn done, const char **why)
{
    const struct kfdash *k = kfdash_of(r);
    /* On an application's host, its own cookie, sealed for that host alone. */
    char label[APPS_LABEL_MAX];
    bool app = apps_request_label(r, label);
    const char *value =
        app ? http_request_cookie(r, http_request_is_https(r) ? HOST_PREFIX SESSION_APP_COOKIE
                                                              : SESSION_APP_COOKIE)
            : gate_session_cookie(r);
    if (!value || !*value) return -ENOENT;
    time_t now = time(NULL);
    struct session s;
    int e = app ? session_open_for(k->keys, value, SESSION_APP, label, now, &s, NULL)
                : session_open(k->keys, value, now, &s);
    if (e < 0) {
        *why = e == -ETIME ? "your session has expired; sign in again" : "invalid session";
        return e;
    }
    if (store_session_revoked(k->store, s.id)) {
        session_reset(&s);
        *why = "this session has been signed out";
        return -EACCES;
    }
    if (now >= s.recheck_at && s.renewable && k->provider) {
        renew(r, done, &s);
        return 0;
    }
    from_session(r, done, &s);
    session_reset(&s);
    return 0;
}

/* ---------------------------------------------------------------- trusted gateway */

static void trusted_header(struct http_request *r, gate_done_fn done)
{
    const struct kfdash *k = kfdash_of(r);
    const struct config *c = k->cfg;
    const char *user = http_request_trusted_header(r, c->userid_header);
    size_t prefix = strlen(c->userid_prefix);
    if (!user || strncmp(user, c->userid_prefix, prefix) != 0 || !user[prefix] ||
        !header_safe(user + prefix) || identity_name_is_reserved(user + prefix)) {
        done(r, NULL, NULL, "the gateway named no user");
        return;
    }
    struct identity *who = identity_with_joined_groups(
        IDENTITY_GATEWAY, user + prefix, http_request_trusted_header(r, "kubeflow-groups"));
    if (who)
        done(r, who, NULL, NULL);
    else
        done(r, NULL, NULL, "out of memory");
}

/* ---------------------------------------------------------------- resolve and admit */

void gate_resolve(struct http_request *r, gate_done_fn done)
{
    const struct kfdash *k = kfdash_of(r);
    const char *auth = http_request_header(r, "Authorization");
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
        bearer(r, done, auth + 7);
        return;
    }
    const char *why = NULL;
    int e = session_cookie(r, done, &why);
    if (e == 0) return;
    if (e != -ENOENT) gate_clear_session_cookies(r);
    if (!auth_peers_empty(k->gate->gateways) &&
        auth_peers_contains(k->gate->gateways, http_request_peer(r)))
        trusted_header(r, done);
    else if (why)
        done(r, NULL, "invalid_token", why);
    else
        done(r, NULL, NULL, "sign in, or send Authorization: Bearer <token>");
}

static bool changes_state(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
           strcmp(method, "OPTIONS") != 0;
}

/* Same-length comparison that does not stop at the first difference. */
static bool equal_secret(const char *a, const char *b)
{
    size_t n = strlen(a);
    if (n != strlen(b)) return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < n; i++) diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

/* Cross-site request forgery: a state change, or a WebSocket handshake (a kernel runs code),
 * proved only by what the browser adds on its own (a cookie, or the gateway's header) must come
 * from a page of this site. NULL when fine. */
static const char *csrf_refusal(struct http_request *r, const struct identity *who)
{
    if (who->source != IDENTITY_SESSION && who->source != IDENTITY_GATEWAY) return NULL;
    bool websocket = http_request_header(r, "Upgrade") != NULL;
    if (!changes_state(http_request_method(r)) && !websocket) return NULL;
    const char *site = http_request_header(r, "Sec-Fetch-Site");
    if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
        return "cross-site request refused";
    const char *origin = http_request_header(r, "Origin");
    char ours[300];
    if (origin && (http_request_origin(r, ours, sizeof(ours)) < 0 || strcmp(origin, ours) != 0))
        return "request from another origin refused";
    /* Browsers send Origin with every WebSocket handshake, and cannot add a token to it. */
    if (websocket) return origin ? NULL : "WebSocket handshakes need an Origin header";
    if (who->source == IDENTITY_GATEWAY || (http_request_route_flags(r) & ROUTE_PROXIED))
        return site || origin ? NULL : "state changes need an Origin or Sec-Fetch-Site header";
    const char *token = http_request_header(r, CSRF_HEADER);
    if (!token || !equal_secret(token, who->csrf))
        return "missing or wrong " CSRF_HEADER " header (echo the kfdash_csrf cookie)";
    return NULL;
}

/* A sensitive route (ROUTE_RECENT_SIGNIN) for a person: their sign-in at Dex (a browser
 * session's, a Dex ID token's issue) is recent; false after replying 403 with where to sign in
 * again. Scripts' tokens and a gateway's word carry no sign-in to judge. */
static bool signed_in_recently(struct http_request *r, const struct identity *who)
{
    const struct kfdash *k = kfdash_of(r);
    if (!(http_request_route_flags(r) & ROUTE_RECENT_SIGNIN) ||
        (who->source != IDENTITY_SESSION && who->source != IDENTITY_ID_TOKEN))
        return true;
    time_t now = time(NULL);
    if (who->auth_time && now - who->auth_time <= k->cfg->tokens_max_auth_age_s) return true;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "error",
                            "this needs a recent sign-in: sign in again at the identity provider, "
                            "then try again");
    /* The web app adds &rd=<the page> and sends the browser there. */
    cJSON_AddStringToObject(j, "signin", "/auth/login?prompt=login");
    http_reply_json(r, 403, j);
    return false;
}

/* The route's least role (routes.c) against the caller's in its :namespace; false after
 * replying 400, 403 or 503. */
static bool holds_least_role(struct http_request *r, const struct identity *who)
{
    const struct kfdash *k = kfdash_of(r);
    unsigned flags = http_request_route_flags(r);
    enum route_role need = (enum route_role)(flags >> ROUTE_ROLE_SHIFT);
    if (need == ROUTE_ANYONE) return true;
    bool admin = kube_is_cluster_admin(k->kube, who);
    enum k8s_role have = K8S_ROLE_NONE;
    if (need != ROUTE_CLUSTER_ADMIN) {
        const struct k8s_snapshot *s = kube_snapshot(k->kube);
        const char *ns = http_request_param(r, "namespace");
        if (!s) {
            http_reply_error(r, 503, "no Kubernetes API server is configured (kube.api)");
            return false;
        }
        if (!ns || !k8s_name_is_dns_label(ns)) {
            http_reply_error(r, 400, "not a namespace name");
            return false;
        }
        have =
            k8s_snapshot_role(s, who->email, (const char *const *)who->groups, who->n_groups, ns);
    }
    /* Path mode: the applications kfdash carries share its origin. */
    bool shared_origin_app = (flags & ROUTE_PROXIED) && !apps_enabled(k->cfg);
    struct least_role_refusal no;
    if (least_role_met(need, have, admin, shared_origin_app, &no)) return true;
    http_reply_error(r, no.status, no.message);
    return false;
}

/* Answers 429: the client must slow down (retry_after_s: when to try again). */
static void too_many(struct http_request *r, long retry_after_s, const char *message)
{
    char retry[24];
    snprintf(retry, sizeof(retry), "%ld", retry_after_s < 1 ? 1 : retry_after_s);
    const char *headers[] = {"Retry-After", retry, NULL};
    http_reply_error_with(r, 429, message, headers);
}

struct fair_share {
    struct fairness *f;
    struct fairness_seat seat;
};

static void share_ended(void *p)
{
    struct fair_share *s = p;
    fairness_leave(s->f, &s->seat);
    free(s);
}

/* The caller's share of kfdash (limits.user_*): false after replying 429. */
static bool within_share(struct http_request *r, const struct identity *who)
{
    struct fairness *f = kfdash_of(r)->fairness;
    if (!f) return true;
    long retry = 1;
    struct fairness_seat seat;
    enum fairness_verdict v = fairness_enter(f, who->email, &seat, &retry);
    if (v == FAIR_IN_FLIGHT) {
        too_many(r, retry,
                 "you have too many requests under way (watches, streams, WebSockets "
                 "included); close some and try again");
        return false;
    }
    if (v == FAIR_RATE) {
        too_many(r, retry, "you are sending requests too fast; slow down");
        return false;
    }
    if (v == FAIR_ADMITTED) {
        struct fair_share *s = malloc(sizeof(*s));
        if (s) {
            *s = (struct fair_share){.f = f, .seat = seat};
            http_request_on_end(r, share_ended, s);
        } else {
            fairness_leave(f, &seat);
        }
    }
    return true;
}

static void admitted(struct http_request *r, struct identity *who, const char *error,
                     const char *message)
{
    if (!who) {
        const struct kfdash *k = kfdash_of(r);
        long retry = 1;
        bool limited = error && strcmp(error, GATE_RATE_LIMITED) == 0;
        /* A request that proved no one costs its address a share of what it may try. */
        if (!limited && k->fairness &&
            fairness_anonymous(k->fairness, http_request_peer(r), true, &retry) ==
                FAIR_ANONYMOUS_RATE) {
            limited = true;
            message = "too many requests without valid credentials from this address";
        }
        if (limited) {
            too_many(r, retry, message);
            return;
        }
        char rd[SESSION_RD_MAX];
        const char *query = http_request_raw_query(r);
        snprintf(rd, sizeof(rd), "%s%s%s", http_request_raw_path(r), *query ? "?" : "", query);
        gate_refuse(r, rd, true, error, message);
        return;
    }
    if (!within_share(r, who)) {
        identity_free(who);
        return;
    }
    const char *csrf = csrf_refusal(r, who);
    if (csrf) {
        identity_free(who);
        http_reply_error(r, 403, csrf);
        return;
    }
    http_request_set_identity(r, who);
    if (holds_least_role(r, who) && signed_in_recently(r, who)) http_request_run_route(r);
}

void gate_admit(struct http_request *r)
{
    /* An application's host serves that application's paths only: a page of another one there
     * would share its origin. */
    char host[APPS_LABEL_MAX], route[APPS_LABEL_MAX];
    if (apps_request_label(r, host) && (!apps_route_label(r, route) || strcmp(host, route) != 0)) {
        http_reply_error(r, 404,
                         "this host serves another application: open it from the dashboard");
        return;
    }
    gate_resolve(r, admitted);
}

int gate_call_token_endpoint(struct http_request *r, const char *endpoint, const char *form,
                             struct upstream_result *answer, http_next_fn next)
{
    const struct kfdash *k = kfdash_of(r);
    /* RFC 6749 2.3.1: id and secret are form-encoded, then joined and base64'd. */
    struct buf plain, basic;
    buf_init(&plain, 3 * 2 * CONFIG_STRING_MAX + 2);
    buf_init(&basic, BASE64_SIZE(3 * 2 * CONFIG_STRING_MAX + 2) + 32);
    buf_add_url_escaped(&plain, k->cfg->oidc_client_id);
    buf_adds(&plain, ":");
    buf_add_url_escaped(&plain, k->cfg->oidc_client_secret);
    size_t size = BASE64_SIZE(plain.n), n = 0;
    unsigned char *encoded = malloc(size);
    int e = encoded && !buf_error(&plain) &&
                    mbedtls_base64_encode(encoded, size, &n, (const unsigned char *)buf_str(&plain),
                                          plain.n) == 0
                ? 0
                : -ENOMEM;
    if (e == 0) buf_addf(&basic, "Authorization: Basic %.*s", (int)n, encoded);
    free(encoded);
    if (e == 0 && buf_error(&basic)) e = -ENOMEM;
    if (e == 0) {
        const char *headers[] = {buf_str(&basic), "Content-Type: application/x-www-form-urlencoded",
                                 "Accept: application/json", NULL};
        struct upstream_call call = {.method = "POST",
                                     .url = endpoint,
                                     .headers = headers,
                                     .body = form,
                                     .body_len = strlen(form),
                                     .timeout_ms = CALL_TIMEOUT_MS,
                                     .max_response_bytes = ANSWER_MAX_BYTES};
        park_call(k->own_engine, r, &call, answer, next);
    }
    buf_reset(&plain);
    buf_reset(&basic);
    return e;
}
