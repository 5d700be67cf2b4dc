/* auth/session: sealed session and login-attempt cookies; see session.h. */
#include "auth/session.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <mbedtls/sha256.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "auth/seal.h"

#define PURPOSE_SESSION  "kfdash session v1"
#define PURPOSE_LOGIN    "kfdash login attempt v1"
#define PURPOSE_APP      "kfdash application session v1"
#define PURPOSE_HANDOVER "kfdash application hand-over v1"
/* Seconds from the epoch no real time reaches (the year 31690). */
#define TIME_MAX_ABS 1e15

int session_random(char out[SESSION_RANDOM_SIZE])
{
    unsigned char bytes[32];
    if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes)) return -EIO;
    return base64url_encode(bytes, sizeof(bytes), out, SESSION_RANDOM_SIZE) < 0 ? -EIO : 0;
}

/* Copies a JSON string member into a fixed buffer; false if absent or too long. */
static bool copy_member(const cJSON *o, const char *name, char *out, size_t size)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= size) return false;
    strcpy(out, v->valuestring);
    return true;
}

/* A time member; false if absent or beyond any real time (which time_t may not hold). */
static bool number_member(const cJSON *o, const char *name, time_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(v) || !(v->valuedouble > -TIME_MAX_ABS && v->valuedouble < TIME_MAX_ABS))
        return false;
    *out = (time_t)v->valuedouble;
    return true;
}

/* Seals a JSON object (taken). */
static int seal_json(const struct seal_keys *k, const char *purpose, cJSON *o, char **ret)
{
    char *plain = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!plain) return -ENOMEM;
    size_t len = strlen(plain);
    int r = len > SEAL_MAX_PLAIN ? -E2BIG : seal(k, purpose, plain, len, ret);
    free(plain);
    return r;
}

/* Opens a sealed JSON object; the caller deletes it. */
static int open_json(const struct seal_keys *k, const char *purpose, const char *value, cJSON **ret)
{
    if (strlen(value) > SEAL_MAX_TEXT) return -EBADMSG;
    char *plain = NULL;
    size_t len;
    int r = unseal(k, purpose, value, &plain, &len);
    if (r < 0) return r;
    cJSON *o = cJSON_ParseWithLength(plain, len);
    free(plain);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return -EBADMSG;
    }
    *ret = o;
    return 0;
}

/* ---------------------------------------------------------------- sessions */

static cJSON *session_json(const struct session *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *groups = cJSON_AddArrayToObject(o, "g");
    for (size_t i = 0; groups && i < s->n_groups; i++)
        cJSON_AddItemToArray(groups, cJSON_CreateString(s->groups[i]));
    cJSON_AddStringToObject(o, "i", s->id);
    cJSON_AddStringToObject(o, "c", s->csrf);
    cJSON_AddStringToObject(o, "e", s->email);
    cJSON_AddNumberToObject(o, "x", (double)s->expires);
    cJSON_AddNumberToObject(o, "k", (double)s->recheck_at);
    cJSON_AddNumberToObject(o, "a", (double)s->auth_time);
    cJSON_AddBoolToObject(o, "r", s->renewable);
    return o;
}

int session_seal(const struct seal_keys *k, const struct session *s, char **ret)
{
    return seal_json(k, PURPOSE_SESSION, session_json(s), ret);
}

void session_reset(struct session *s)
{
    for (size_t i = 0; i < s->n_groups; i++) free(s->groups[i]);
    free(s->groups);
    free(s->email);
    memset(s, 0, sizeof(*s));
}

/* The session in o (taken), still valid at now. */
static int session_from_json(cJSON *o, time_t now, struct session *ret)
{
    struct session s = {0};
    const cJSON *email = cJSON_GetObjectItemCaseSensitive(o, "e");
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(o, "g");
    if (!copy_member(o, "i", s.id, sizeof(s.id)) || !copy_member(o, "c", s.csrf, sizeof(s.csrf)) ||
        !cJSON_IsString(email) || !cJSON_IsArray(groups) || !number_member(o, "x", &s.expires) ||
        !number_member(o, "k", &s.recheck_at)) {
        cJSON_Delete(o);
        return -EBADMSG;
    }
    s.renewable = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "r"));
    if (!number_member(o, "a", &s.auth_time)) s.auth_time = 0; /* sealed before it was kept */
    if (s.expires <= now) {
        cJSON_Delete(o);
        return -ETIME;
    }
    size_t n = (size_t)cJSON_GetArraySize(groups);
    s.email = strdup(email->valuestring);
    s.groups = calloc(n + 1, sizeof(char *));
    int r = s.email && s.groups ? 0 : -ENOMEM;
    const cJSON *g;
    cJSON_ArrayForEach(g, groups)
    {
        if (r < 0) break;
        if (!cJSON_IsString(g))
            r = -EBADMSG;
        else if (!(s.groups[s.n_groups++] = strdup(g->valuestring)))
            r = -ENOMEM;
    }
    cJSON_Delete(o);
    if (r < 0) {
        session_reset(&s);
        return r;
    }
    *ret = s;
    return 0;
}

int session_open(const struct seal_keys *k, const char *value, time_t now, struct session *ret)
{
    cJSON *o = NULL;
    int r = open_json(k, PURPOSE_SESSION, value, &o);
    return r < 0 ? r : session_from_json(o, now, ret);
}

/* ---------------------------------------------------------------- application hosts */

static const char *purpose_of(enum session_use use)
{
    return use == SESSION_HANDOVER ? PURPOSE_HANDOVER : PURPOSE_APP;
}

int session_seal_for(const struct seal_keys *k, const struct session *s, enum session_use use,
                     const char *label, time_t until, char **ret)
{
    cJSON *o = session_json(s);
    char once[SESSION_RANDOM_SIZE] = "";
    if (use == SESSION_HANDOVER && session_random(once) < 0) {
        cJSON_Delete(o);
        return -EIO;
    }
    cJSON_AddStringToObject(o, "h", label);
    cJSON_AddNumberToObject(o, "u", (double)until);
    if (use == SESSION_HANDOVER) cJSON_AddStringToObject(o, "o", once);
    return seal_json(k, purpose_of(use), o, ret);
}

int session_open_for(const struct seal_keys *k, const char *value, enum session_use use,
                     const char *label, time_t now, struct session *ret,
                     char ret_once[SESSION_RANDOM_SIZE])
{
    cJSON *o = NULL;
    int r = open_json(k, purpose_of(use), value, &o);
    if (r < 0) return r;
    const cJSON *host = cJSON_GetObjectItemCaseSensitive(o, "h");
    time_t until = 0;
    char once[SESSION_RANDOM_SIZE] = "";
    if (!cJSON_IsString(host) || !number_member(o, "u", &until) ||
        (use == SESSION_HANDOVER && !copy_member(o, "o", once, sizeof(once)))) {
        cJSON_Delete(o);
        return -EBADMSG;
    }
    if (strcmp(host->valuestring, label) != 0) {
        cJSON_Delete(o);
        return -EACCES; /* sealed for another application's host */
    }
    if (until <= now) {
        cJSON_Delete(o);
        return -ETIME;
    }
    r = session_from_json(o, now, ret);
    if (r == 0 && ret_once) memcpy(ret_once, once, SESSION_RANDOM_SIZE);
    return r;
}

/* ---------------------------------------------------------------- login attempts */

int login_attempt_new(const char *rd, time_t now, struct login_attempt *ret)
{
    struct login_attempt a = {0};
    if (strlen(rd) >= sizeof(a.rd)) return -E2BIG;
    if (session_random(a.state) < 0 || session_random(a.nonce) < 0 ||
        session_random(a.verifier) < 0)
        return -EIO;
    strcpy(a.rd, rd);
    a.expires = now + LOGIN_ATTEMPT_TTL_S;
    *ret = a;
    return 0;
}

int login_attempt_seal(const struct seal_keys *k, const struct login_attempt *a, char **ret)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "s", a->state);
    cJSON_AddStringToObject(o, "n", a->nonce);
    cJSON_AddStringToObject(o, "v", a->verifier);
    cJSON_AddStringToObject(o, "d", a->rd);
    cJSON_AddNumberToObject(o, "x", (double)a->expires);
    return seal_json(k, PURPOSE_LOGIN, o, ret);
}

int login_attempt_open(const struct seal_keys *k, const char *value, time_t now,
                       struct login_attempt *ret)
{
    cJSON *o = NULL;
    int r = open_json(k, PURPOSE_LOGIN, value, &o);
    if (r < 0) return r;
    struct login_attempt a = {0};
    bool ok = copy_member(o, "s", a.state, sizeof(a.state)) &&
              copy_member(o, "n", a.nonce, sizeof(a.nonce)) &&
              copy_member(o, "v", a.verifier, sizeof(a.verifier)) &&
              copy_member(o, "d", a.rd, sizeof(a.rd)) && number_member(o, "x", &a.expires);
    cJSON_Delete(o);
    if (!ok) return -EBADMSG;
    if (a.expires <= now) return -ETIME;
    *ret = a;
    return 0;
}

void login_attempt_challenge(const struct login_attempt *a, char out[SESSION_RANDOM_SIZE])
{
    unsigned char digest[32];
    mbedtls_sha256_ret((const unsigned char *)a->verifier, strlen(a->verifier), digest, 0);
    base64url_encode(digest, sizeof(digest), out, SESSION_RANDOM_SIZE);
}

bool session_rd_is_local(const char *rd)
{
    if (rd[0] != '/' || rd[1] == '/' || rd[1] == '\\') return false;
    for (const char *p = rd; *p; p++)
        if ((unsigned char)*p < 0x21 || *p == 0x7f || *p == '\\') return false;
    return true;
}
