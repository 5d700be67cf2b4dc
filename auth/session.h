/*
 * auth/session: what kfdash hands the browser to carry: the session cookie (who the user is,
 * until when, the session id) and one short-lived cookie per login attempt (state, nonce and
 * PKCE verifier), both sealed (auth/seal) so the browser can neither read nor forge them.
 *
 * Pure apart from randomness; thread-safe.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "auth/base64url.h"

struct seal_keys;

#define SESSION_COOKIE      "kfdash_session"
#define SESSION_CSRF_COOKIE "kfdash_csrf"
/* Login attempt cookies are LOGIN_COOKIE_PREFIX + state, so parallel tabs keep their own. */
#define LOGIN_COOKIE_PREFIX "kfdash_login_"
#define LOGIN_ATTEMPT_TTL_S 600
/* 32 random bytes, base64url: ids, states, nonces, verifiers and CSRF tokens. */
#define SESSION_RANDOM_LEN  43
#define SESSION_RANDOM_SIZE BASE64URL_SIZE(32) /* room for the encoder; 43 used */
#define SESSION_RD_MAX      2048

/* Fills out with SESSION_RANDOM_LEN characters of base64url of fresh random bytes. */
int session_random(char out[SESSION_RANDOM_SIZE]);

struct session {
    char id[SESSION_RANDOM_SIZE];   /* the session's row in the store */
    char csrf[SESSION_RANDOM_SIZE]; /* state-changing requests echo it in X-CSRF-Token */
    char *email;                    /* the user */
    char **groups;                  /* their groups */
    size_t n_groups;                /* entries in groups */
    time_t expires;                 /* the session ends, whatever happens */
    time_t recheck_at;              /* ask the provider again (refresh) after this */
    time_t auth_time;               /* the sign-in at the provider (renewals keep it); 0 unknown */
    bool renewable;                 /* the store holds a refresh token */
};

/* Seals s into a cookie value (heap). -E2BIG when the identity does not fit a cookie. */
int session_seal(const struct seal_keys *k, const struct session *s, char **ret);
/*
 * Opens a cookie value. 0 with *ret filled (free with session_reset); -ETIME when it has
 * expired; -ENOKEY when sealed with a retired key; -EBADMSG when forged or malformed.
 */
int session_open(const struct seal_keys *k, const char *value, time_t now, struct session *ret);
void session_reset(struct session *s);

/*
 * The session handed to one application host (server/gate/apps.h), sealed for that host alone
 * (label) and for one use: SESSION_APP, the host's own cookie, or SESSION_HANDOVER, the one-time
 * code that carries it there (with a fresh random id, for refusing a second use). Neither opens
 * as the other, as a main session cookie, or on another host. It is good until `until` (and
 * never past the session's own expiry).
 */
enum session_use { SESSION_APP, SESSION_HANDOVER };
#define SESSION_APP_COOKIE "kfdash_app"
int session_seal_for(const struct seal_keys *k, const struct session *s, enum session_use use,
                     const char *label, time_t until, char **ret);
/* 0 with *ret filled (and *ret_once, when given, the code's id); -ETIME when expired; -EACCES
 * when sealed for another host; -EBADMSG when forged or sealed for another use. */
int session_open_for(const struct seal_keys *k, const char *value, enum session_use use,
                     const char *label, time_t now, struct session *ret,
                     char ret_once[SESSION_RANDOM_SIZE]);

/* One login attempt, from /auth/login to /auth/callback. */
struct login_attempt {
    char state[SESSION_RANDOM_SIZE];    /* names the attempt (and its cookie) */
    char nonce[SESSION_RANDOM_SIZE];    /* must come back in the ID token */
    char verifier[SESSION_RANDOM_SIZE]; /* PKCE code verifier */
    char rd[SESSION_RD_MAX];            /* where to land afterwards: a path on this site */
    time_t expires;                     /* the attempt is void after this */
};

/* A fresh attempt landing on rd (checked by the caller with session_rd_is_local). */
int login_attempt_new(const char *rd, time_t now, struct login_attempt *ret);
int login_attempt_seal(const struct seal_keys *k, const struct login_attempt *a, char **ret);
int login_attempt_open(const struct seal_keys *k, const char *value, time_t now,
                       struct login_attempt *ret);
/* The PKCE S256 challenge of a verifier. */
void login_attempt_challenge(const struct login_attempt *a, char out[SESSION_RANDOM_SIZE]);

/* True when rd is a path on this site: one leading '/', no scheme, host, backslash or control
 * character; so a redirect to it cannot leave the site. */
bool session_rd_is_local(const char *rd);
