/*
 * login: the browser's sign-in with Dex (authorization code + PKCE), and sign-out.
 *
 * /auth/login fetches Dex's discovery document (so a Dex that is down shows as a clear page,
 * not a browser error), seals a fresh attempt (state, nonce, PKCE verifier, where to land) into
 * a cookie named after its state, and sends the browser to Dex. /auth/callback opens that
 * cookie, trades the code for tokens, checks the ID token (with the attempt's nonce), records
 * the session and sets its cookies. /auth/logout revokes the session for good.
 */
#include "server/gate/login.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/identity.h"
#include "auth/oidc.h"
#include "auth/seal.h"
#include "auth/session.h"
#include "auth/store.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/upstream.h"
#include "server/cluster/shared_state.h"
#include "server/config.h"
#include "server/gate/fairness.h"
#include "server/gate/gate.h"
#include "server/http/http.h"
#include "server/http/park.h"
#include "server/kfdash.h"

#define DISCOVERY_TIMEOUT_MS 5000
#define ANSWER_MAX_BYTES     (256 << 10)
#define PAGE_MAX             8192
#define URL_MAX              4096
#define SEAL_COOKIE_MAX      (SEAL_MAX_TEXT + 256)

/* A small HTML page for the browser: what happened and where to go next. */
static void page(struct http_request *r, unsigned status, const char *title, const char *message,
                 const char *detail)
{
    struct buf b;
    buf_init(&b, PAGE_MAX);
    buf_adds(&b, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width\"><title>");
    buf_add_html_escaped(&b, title);
    buf_adds(&b, " · kfdash</title></head><body style=\"font-family:sans-serif;max-width:40em;"
                 "margin:4em auto;padding:0 1em\"><h1>");
    buf_add_html_escaped(&b, title);
    buf_adds(&b, "</h1><p>");
    buf_add_html_escaped(&b, message);
    buf_adds(&b, "</p>");
    if (detail) {
        buf_adds(&b, "<p><code>");
        buf_add_html_escaped(&b, detail);
        buf_adds(&b, "</code></p>");
    }
    buf_adds(&b, "<p><a href=\"/auth/login\">Sign in again</a> · <a href=\"/\">Home</a></p>"
                 "</body></html>");
    const char *headers[] = {"Cache-Control", "no-store", status == 503 ? "Retry-After" : NULL, "5",
                             NULL};
    size_t len;
    char *body = buf_take(&b, &len);
    if (!body) {
        http_reply_error(r, status, message);
        return;
    }
    http_reply_take(r, status, "text/html; charset=utf-8", body, len, headers);
}

/* The callback URL registered at Dex: configured, or this site's /auth/callback. */
static int redirect_uri(const struct http_request *r, char out[URL_MAX])
{
    const struct kfdash *k = kfdash_of(r);
    if (*k->cfg->oidc_redirect_url) {
        snprintf(out, URL_MAX, "%s", k->cfg->oidc_redirect_url);
        return 0;
    }
    char origin[URL_MAX - 32];
    int e = http_request_origin(r, origin, sizeof(origin));
    if (e == 0) snprintf(out, URL_MAX, "%s/auth/callback", origin);
    return e;
}

static bool signin_configured(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    if (k->provider && *k->cfg->oidc_client_secret) return true;
    page(r, 503, "Sign-in is not configured",
         "This kfdash has no identity provider to sign in with. Set oidc.issuer and "
         "oidc.client_secret (KFDASH_OIDC_ISSUER, KFDASH_OIDC_CLIENT_SECRET).",
         NULL);
    return false;
}

/* What a parked login step waits for, kept with the request. */
struct login_wait {
    struct upstream_result answer; /* the call's outcome (body owned) */
    struct login_attempt attempt;  /* the attempt under way */
    char redirect_uri[URL_MAX];    /* as sent to Dex: the code exchange repeats it */
    bool waited_for_keys;          /* the ID token named an unknown key: refetched once */
    struct token_claims claims;    /* the signed-in user, while the session is shared */
    struct session session;        /* the new session (email and groups borrowed from claims) */
    char *sealed_refresh;          /* its refresh token, sealed; NULL when none */
    bool prompt_login;             /* ask Dex to sign the user in again (prompt=login) */
    bool shared;                   /* the session's Secret was written (shared state) */
};

static void wait_free(void *p)
{
    struct login_wait *w = p;
    free(w->answer.body);
    token_claims_reset(&w->claims);
    free(w->sealed_refresh);
    free(w);
}

static void unreachable(struct http_request *r, const char *detail)
{
    page(r, 503, "The sign-in service is unreachable",
         "kfdash cannot reach the identity provider (Dex) right now. Sessions already signed in "
         "keep working; try signing in again in a moment.",
         detail);
}

/* ---------------------------------------------------------------- GET /auth/login */

/* Sends the browser to the provider's sign-in page (ep: where it is). */
static void send_to_provider(struct http_request *r, struct login_wait *w,
                             const struct oidc_endpoints *ep)
{
    const struct kfdash *k = kfdash_of(r);
    char *sealed = NULL;
    char challenge[SESSION_RANDOM_SIZE];
    login_attempt_challenge(&w->attempt, challenge);
    struct buf location, cookie;
    buf_init(&location, URL_MAX * 3);
    buf_init(&cookie, SEAL_COOKIE_MAX);
    const char *sign_in =
        *k->cfg->oidc_authorization_url ? k->cfg->oidc_authorization_url : ep->authorization;
    buf_addf(&location, "%s%sclient_id=", sign_in, strchr(sign_in, '?') ? "&" : "?");
    buf_add_url_escaped(&location, k->cfg->oidc_client_id);
    buf_adds(&location, "&response_type=code&redirect_uri=");
    buf_add_url_escaped(&location, w->redirect_uri);
    buf_adds(&location, "&scope=");
    buf_add_url_escaped(&location, k->cfg->oidc_scopes);
    buf_addf(&location, "&state=%s&nonce=%s&code_challenge=%s&code_challenge_method=S256%s",
             w->attempt.state, w->attempt.nonce, challenge,
             w->prompt_login ? "&prompt=login&max_age=0" : "");
    int e = login_attempt_seal(k->keys, &w->attempt, &sealed);
    if (e == 0)
        buf_addf(&cookie, "%s%s=%s; Path=/auth/callback; Max-Age=%d; SameSite=Lax; HttpOnly%s",
                 LOGIN_COOKIE_PREFIX, w->attempt.state, sealed, LOGIN_ATTEMPT_TTL_S,
                 http_request_is_https(r) ? "; Secure" : "");
    free(sealed);
    if (e < 0 || buf_error(&location) || buf_error(&cookie)) {
        http_reply_error(r, 500, "cannot start the sign-in");
    } else {
        const char *headers[] = {"Set-Cookie", buf_str(&cookie), NULL};
        http_reply_redirect(r, buf_str(&location), headers);
    }
    buf_reset(&location);
    buf_reset(&cookie);
}

/* Dex's discovery document is in: remembered for the next sign-ins, then on to Dex. */
static void login_discovered(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct login_wait *w = http_request_context(r);
    struct oidc_endpoints ep;
    if (w->answer.error || w->answer.status != 200) {
        char detail[UPSTREAM_DETAIL_MAX + 32];
        /* The detail names the call's URL: the log gets it, the page a phrase. */
        if (w->answer.error) {
            log_msg(LOG_WARN, "cannot reach the identity provider", "detail", w->answer.detail);
            snprintf(detail, sizeof(detail), "%s", upstream_error_text(w->answer.error));
        } else {
            snprintf(detail, sizeof(detail), "discovery answered HTTP %ld", w->answer.status);
        }
        gate_discovery_set(k->gate, NULL);
        unreachable(r, detail);
        return;
    }
    if (oidc_parse_discovery(oidc_issuer(k->provider), w->answer.body, w->answer.len, &ep) < 0) {
        gate_discovery_set(k->gate, NULL);
        page(r, 502, "The sign-in service answered oddly",
             "The identity provider's discovery document does not match the configured issuer.",
             oidc_issuer(k->provider));
        return;
    }
    gate_discovery_set(k->gate, &ep);
    send_to_provider(r, w, &ep);
}

/* A sign-in costs Dex work before anyone is known: the client's address pays for it. False after
 * answering 429. */
static bool within_address_share(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    long retry = 1;
    if (!k->fairness ||
        fairness_anonymous(k->fairness, http_request_peer(r), true, &retry) != FAIR_ANONYMOUS_RATE)
        return true;
    char seconds[24];
    snprintf(seconds, sizeof(seconds), "%ld", retry);
    const char *headers[] = {"Retry-After", seconds, "Cache-Control", "no-store", NULL};
    http_reply_error_with(r, 429, "too many sign-ins from this address; try again in a moment",
                          headers);
    return false;
}

void login_start(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    if (!signin_configured(r) || !within_address_share(r)) return;
    const char *rd = http_request_query(r, "rd");
    if (!rd || !*rd) rd = "/";
    if (!session_rd_is_local(rd) || strlen(rd) >= SESSION_RD_MAX) {
        page(r, 400, "Cannot sign in from this link",
             "The rd parameter must be a path on this site, starting with a single '/'.", NULL);
        return;
    }
    struct login_wait *w = calloc(1, sizeof(*w));
    if (!w || login_attempt_new(rd, time(NULL), &w->attempt) < 0) {
        free(w);
        http_reply_error(r, 500, "cannot start the sign-in");
        return;
    }
    if (redirect_uri(r, w->redirect_uri) < 0) {
        free(w);
        page(r, 400, "Cannot sign in", "The request's Host header is not a plain host name.", NULL);
        return;
    }
    const char *prompt = http_request_query(r, "prompt");
    w->prompt_login = prompt && strcmp(prompt, "login") == 0;
    http_request_set_context(r, w, wait_free);
    /* A burst of sign-ins asks Dex once: its answer is kept a moment. */
    struct oidc_endpoints ep;
    if (gate_discovery(k->gate, &ep) == 0) {
        send_to_provider(r, w, &ep);
        return;
    }
    char url[URL_MAX];
    snprintf(url, sizeof(url), "%s/.well-known/openid-configuration", oidc_issuer(k->provider));
    const char *headers[] = {"Accept: application/json", NULL};
    struct upstream_call call = {.method = "GET",
                                 .url = url,
                                 .headers = headers,
                                 .timeout_ms = DISCOVERY_TIMEOUT_MS,
                                 .max_response_bytes = ANSWER_MAX_BYTES};
    park_call(k->own_engine, r, &call, &w->answer, login_discovered);
}

/* ---------------------------------------------------------------- GET /auth/callback */

/* Records the session (unless e says it failed already), sets its cookies and lands. */
static void open_session(struct http_request *r, struct login_wait *w, int e)
{
    const struct kfdash *k = kfdash_of(r);
    struct session *s = &w->session;
    if (e == 0) e = store_session_add(k->store, s->id, s->email, s->expires, w->sealed_refresh);
    if (e == -EEXIST && shared_state_on(k->shared)) e = 0; /* the watch brought its Secret in */
    if (e == 0) e = gate_set_session_cookies(r, s, time(NULL));
    if (e == -E2BIG) {
        page(r, 500, "Sign-in failed",
             "Your account belongs to too many groups to fit a session cookie.", NULL);
        return;
    }
    const char *store_down = store_write_failure(e);
    if (store_down) {
        char why[160];
        snprintf(why, sizeof(why), "kfdash cannot record a new sign-in now (%s). Try again later.",
                 store_down);
        page(r, 503, "Sign-in failed", why, NULL);
        return;
    }
    if (e < 0) {
        http_reply_error(r, 500, "cannot record the session");
        return;
    }
    struct buf line;
    log_begin(&line, LOG_INFO, "signed in");
    log_str(&line, "email", s->email);
    log_str(&line, "request_id", http_request_id(r));
    log_end(&line);
    char gone[128];
    snprintf(gone, sizeof(gone), "%s%s=; Path=/auth/callback; Max-Age=0; HttpOnly",
             LOGIN_COOKIE_PREFIX, w->attempt.state);
    const char *headers[] = {"Set-Cookie", gone, NULL};
    http_reply_redirect(r, w->attempt.rd, headers);
}

/* The session's Secret is written (or not): only then is the session opened. */
static void session_shared(struct http_request *r)
{
    struct login_wait *w = http_request_context(r);
    if (w->shared) {
        open_session(r, w, 0);
        return;
    }
    page(r, 503, "Sign-in failed",
         "kfdash cannot record the session where its other replicas see it (the Kubernetes API). "
         "Try signing in again in a moment.",
         NULL);
}

static void session_written(void *ctx, bool written)
{
    struct http_request *r = ctx;
    struct login_wait *w = http_request_context(r);
    w->shared = written;
    http_request_resume(r, session_shared);
}

static void login_exchanged(struct http_request *r);

static void keys_fetched(void *ctx)
{
    http_request_resume(ctx, login_exchanged);
}

/* The code is traded for tokens: check the ID token and open the session. */
static void login_exchanged(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct login_wait *w = http_request_context(r);
    const struct upstream_result *a = &w->answer;
    if (a->error) {
        log_msg(LOG_WARN, "cannot reach the identity provider", "detail", a->detail);
        unreachable(r, upstream_error_text(a->error));
        return;
    }
    cJSON *j = cJSON_ParseWithLength(a->body, a->len);
    const cJSON *idt = cJSON_GetObjectItemCaseSensitive(j, "id_token");
    const cJSON *refresh = cJSON_GetObjectItemCaseSensitive(j, "refresh_token");
    if (a->status != 200 || !cJSON_IsString(idt)) {
        const cJSON *why = cJSON_GetObjectItemCaseSensitive(j, "error_description");
        if (!cJSON_IsString(why)) why = cJSON_GetObjectItemCaseSensitive(j, "error");
        page(r, 502, "Sign-in failed",
             "The identity provider did not accept this sign-in; start again.",
             cJSON_IsString(why) ? why->valuestring : NULL);
        cJSON_Delete(j);
        return;
    }
    struct token_claims claims = {0};
    int e = oidc_verify_login(k->provider, idt->valuestring, w->attempt.nonce, &claims);
    if (e == -ENOKEY && !w->waited_for_keys) {
        /* Dex has just rotated its keys: wait for the key set this asked for, then again. */
        w->waited_for_keys = true;
        cJSON_Delete(j);
        http_request_suspend(r);
        if (oidc_wait_for_keys(k->provider, keys_fetched, r) < 0)
            http_request_resume(r, login_exchanged);
        return;
    }
    if (e < 0 || !claims.email || !claims.email_verified ||
        identity_name_is_reserved(claims.email) || !identity_name_is_safe(claims.email)) {
        page(r, 401, "Sign-in failed",
             e == -ENOKEY || e == -EAGAIN
                 ? "The identity provider has just changed its signing keys; start again."
             : e < 0 ? "The identity provider's answer did not pass kfdash's checks."
             : !claims.email || !claims.email_verified
                 ? "The account has no verified email address."
             : identity_name_is_reserved(claims.email)
                 ? "The account's name is one Kubernetes keeps for itself."
                 : "The account's email holds characters kfdash cannot pass on.",
             NULL);
        token_claims_reset(&claims);
        cJSON_Delete(j);
        return;
    }
    time_t now = time(NULL);
    w->claims = claims;
    struct session *s = &w->session;
    *s = (struct session){
        .email = w->claims.email,
        .groups = w->claims.groups,
        .n_groups = w->claims.n_groups,
        .expires = now + k->cfg->session_lifetime_s,
        .auth_time = now,
        .renewable = cJSON_IsString(refresh),
    };
    /* Without a refresh token nothing can renew the session past the ID token's life. */
    if (!s->renewable && w->claims.expires < s->expires) s->expires = w->claims.expires;
    s->recheck_at = now + k->cfg->session_recheck_s;
    if (s->recheck_at > s->expires) s->recheck_at = s->expires;
    e = session_random(s->id);
    if (e == 0) e = session_random(s->csrf);
    if (e == 0 && s->renewable)
        e = gate_seal_refresh_token(r, refresh->valuestring, &w->sealed_refresh);
    cJSON_Delete(j);
    if (e == 0 && shared_state_on(k->shared)) {
        /* Every replica must know the session before the browser comes back with it. */
        http_request_suspend(r);
        shared_state_put_session(k->shared, s->id, s->email, s->expires, w->sealed_refresh,
                                 session_written, r);
        return;
    }
    open_session(r, w, e);
}

static bool is_random_token(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
              (s[n] >= '0' && s[n] <= '9') || s[n] == '-' || s[n] == '_'))
            return false;
    return n == SESSION_RANDOM_LEN;
}

void login_callback(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    if (!signin_configured(r) || !within_address_share(r)) return;
    const char *error = http_request_query(r, "error");
    if (error) {
        const char *why = http_request_query(r, "error_description");
        page(r, 401, "Sign-in was not completed", "The identity provider ended the sign-in.",
             why ? why : error);
        return;
    }
    const char *state = http_request_query(r, "state");
    const char *code = http_request_query(r, "code");
    if (!state || !code || !is_random_token(state) || strlen(code) > 1024) {
        page(r, 400, "Sign-in failed", "This page needs the code and state Dex sends back.", NULL);
        return;
    }
    char name[sizeof(LOGIN_COOKIE_PREFIX) + SESSION_RANDOM_SIZE];
    snprintf(name, sizeof(name), "%s%s", LOGIN_COOKIE_PREFIX, state);
    const char *sealed = http_request_cookie(r, name);
    struct login_wait *w = calloc(1, sizeof(*w));
    int e = !w        ? -ENOMEM
            : !sealed ? -ENOENT
                      : login_attempt_open(k->keys, sealed, time(NULL), &w->attempt);
    if (e == 0 && strcmp(w->attempt.state, state) != 0) e = -EBADMSG;
    if (e < 0) {
        free(w);
        page(r, 400, "Sign-in expired",
             "This sign-in was not started in this browser, or took longer than ten minutes. "
             "Start again.",
             NULL);
        return;
    }
    struct oidc_endpoints ep;
    if (oidc_cached_endpoints(k->provider, &ep) < 0 || redirect_uri(r, w->redirect_uri) < 0) {
        free(w);
        unreachable(r, "the provider's endpoints are not known yet");
        return;
    }
    http_request_set_context(r, w, wait_free);
    struct buf form;
    buf_init(&form, 16384);
    buf_adds(&form, "grant_type=authorization_code&code=");
    buf_add_url_escaped(&form, code);
    buf_adds(&form, "&redirect_uri=");
    buf_add_url_escaped(&form, w->redirect_uri);
    buf_addf(&form, "&code_verifier=%s", w->attempt.verifier);
    if (buf_error(&form) ||
        gate_call_token_endpoint(r, ep.token, buf_str(&form), &w->answer, login_exchanged) < 0)
        http_reply_error(r, 500, "cannot build the token request");
    buf_reset(&form);
}

/* ---------------------------------------------------------------- GET /auth/logout */

/* Where logout lands. */
static void logged_out(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    gate_clear_session_cookies(r);
    http_reply_redirect(r, *k->cfg->logout_url ? k->cfg->logout_url : "/auth/login", NULL);
}

static void logout_written(void *ctx, bool written)
{
    http_request_resume(ctx, logged_out); /* a failure is logged by shared_state */
}

void login_logout(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    const char *value = gate_session_cookie(r);
    struct session s;
    if (!value || !k->keys || session_open(k->keys, value, time(NULL), &s) < 0) {
        logged_out(r);
        return;
    }
    store_session_revoke(k->store, s.id);
    struct buf line;
    log_begin(&line, LOG_INFO, "signed out");
    log_str(&line, "email", s.email);
    log_str(&line, "request_id", http_request_id(r));
    log_end(&line);
    if (shared_state_on(k->shared)) {
        /* The other replicas refuse the cookie too. */
        http_request_suspend(r);
        shared_state_end_session(k->shared, s.id, s.email, s.expires, logout_written, r);
    } else {
        logged_out(r);
    }
    session_reset(&s);
}
