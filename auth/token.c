/* auth/token: ID-token verification; see token.h. */
#include "auth/token.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <jwt.h>
#include <stdlib.h>
#include <string.h>

#include "auth/base64url.h"

/* Decodes one base64url part of the token into a parsed JSON object, or NULL. */
static cJSON *decode_part(const char *part, size_t len)
{
    size_t cap = len / 4 * 3 + 3;
    unsigned char *raw = malloc(cap + 1);
    if (!raw) return NULL;
    int n = base64url_decode(part, len, raw, cap);
    cJSON *json = n < 0 ? NULL : cJSON_ParseWithLength((const char *)raw, (size_t)n);
    free(raw);
    if (!cJSON_IsObject(json)) {
        cJSON_Delete(json);
        return NULL;
    }
    return json;
}

static const char *string_of(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A NumericDate claim; false when absent or not a number. Held to +-1e15 s (the year 31690),
 * which time_t holds with room for the leeway: 1e300 is a number too, and still means never. */
static bool time_of(const cJSON *obj, const char *key, time_t *ret)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v)) return false;
    double t = v->valuedouble;
    *ret = (time_t)(t < -1e15 ? -1e15 : t > 1e15 ? 1e15 : t);
    return true;
}

static int check_audience(const cJSON *claims, const char *audience)
{
    const cJSON *aud = cJSON_GetObjectItemCaseSensitive(claims, "aud");
    if (cJSON_IsString(aud)) return strcmp(aud->valuestring, audience) == 0 ? 0 : -EACCES;
    if (!cJSON_IsArray(aud)) return -EACCES;
    bool listed = false;
    const cJSON *a;
    cJSON_ArrayForEach(a, aud) listed =
        listed || (cJSON_IsString(a) && !strcmp(a->valuestring, audience));
    if (!listed) return -EACCES;
    /* Several audiences: the token must have been issued to us (OIDC Core 3.1.3.7). */
    const char *azp = string_of(claims, "azp");
    if (cJSON_GetArraySize(aud) > 1 && (!azp || strcmp(azp, audience) != 0)) return -EACCES;
    return 0;
}

static int check_claims(const cJSON *claims, const struct token_expect *x)
{
    const char *iss = string_of(claims, "iss"), *sub = string_of(claims, "sub");
    if (!iss || strcmp(iss, x->issuer) != 0 || !sub) return -EACCES;
    int r = check_audience(claims, x->audience);
    if (r < 0) return r;
    if (x->nonce) {
        const char *nonce = string_of(claims, "nonce");
        if (!nonce || strcmp(nonce, x->nonce) != 0) return -EACCES;
    }
    int leeway = x->leeway_s < 0                    ? 0
                 : x->leeway_s > TOKEN_MAX_LEEWAY_S ? TOKEN_MAX_LEEWAY_S
                                                    : x->leeway_s;
    time_t exp, nbf, iat;
    if (!time_of(claims, "exp", &exp) || exp + leeway <= x->now) return -ETIME;
    if (time_of(claims, "nbf", &nbf) && nbf > x->now + leeway) return -ETIME;
    if (!time_of(claims, "iat", &iat) || iat > x->now + leeway) return -ETIME;
    return 0;
}

static int fill_claims(const cJSON *claims, struct token_claims *out)
{
    struct token_claims c = {0};
    const char *email = string_of(claims, "email"), *name = string_of(claims, "name");
    if (!name) name = string_of(claims, "preferred_username");
    c.subject = strdup(string_of(claims, "sub"));
    c.email = email ? strdup(email) : NULL;
    c.name = name ? strdup(name) : NULL;
    c.email_verified = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(claims, "email_verified"));
    time_of(claims, "exp", &c.expires);
    time_of(claims, "iat", &c.issued);
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(claims, "groups");
    int n = cJSON_IsArray(groups) ? cJSON_GetArraySize(groups) : 0;
    if (n > TOKEN_MAX_GROUPS) n = TOKEN_MAX_GROUPS;
    c.groups = n ? calloc((size_t)n, sizeof(char *)) : NULL;
    bool oom = !c.subject || (email && !c.email) || (name && !c.name) || (n && !c.groups);
    for (int i = 0; i < n && !oom; i++) {
        const cJSON *g = cJSON_GetArrayItem(groups, i);
        if (!cJSON_IsString(g)) continue;
        oom = !(c.groups[c.n_groups++] = strdup(g->valuestring));
    }
    if (oom) {
        token_claims_reset(&c);
        return -ENOMEM;
    }
    *out = c;
    return 0;
}

int token_verify(const struct jwks *keys, const char *token, const struct token_expect *expect,
                 struct token_claims *ret)
{
    size_t len = strlen(token);
    if (len > TOKEN_MAX_BYTES) return -E2BIG;
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || strchr(dot2 + 1, '.') || dot2[1] == '\0') return -EPROTO;

    cJSON *header = decode_part(token, (size_t)(dot1 - token));
    const char *alg = string_of(header, "alg"), *kid = string_of(header, "kid");
    int r = 0;
    const char *pem = NULL;
    if (!alg || strcmp(alg, "RS256") != 0 || !kid)
        r = -EPROTO; /* never let the token pick how it is checked */
    else if (!(pem = jwks_pem(keys, kid)))
        r = -ENOKEY;
    cJSON_Delete(header);
    if (r < 0) return r;

    jwt_t *jwt = NULL;
    if (jwt_decode(&jwt, token, (const unsigned char *)pem, (int)strlen(pem)) != 0 ||
        jwt_get_alg(jwt) != JWT_ALG_RS256) {
        jwt_free(jwt);
        return -EBADMSG;
    }
    jwt_free(jwt);

    cJSON *claims = decode_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (!claims) return -EPROTO;
    r = check_claims(claims, expect);
    if (r == 0) r = fill_claims(claims, ret);
    cJSON_Delete(claims);
    return r;
}

void token_claims_reset(struct token_claims *c)
{
    free(c->subject);
    free(c->email);
    free(c->name);
    for (size_t i = 0; i < c->n_groups; i++) free(c->groups[i]);
    free(c->groups);
    *c = (struct token_claims){0};
}

int token_claims_copy(const struct token_claims *from, struct token_claims *to)
{
    struct token_claims c = {
        .email_verified = from->email_verified, .expires = from->expires, .issued = from->issued};
    c.subject = strdup(from->subject);
    c.email = from->email ? strdup(from->email) : NULL;
    c.name = from->name ? strdup(from->name) : NULL;
    c.groups = from->n_groups ? calloc(from->n_groups, sizeof(char *)) : NULL;
    bool oom = !c.subject || (from->email && !c.email) || (from->name && !c.name) ||
               (from->n_groups && !c.groups);
    for (size_t i = 0; i < from->n_groups && !oom; i++)
        oom = !(c.groups[c.n_groups++] = strdup(from->groups[i]));
    if (oom) {
        token_claims_reset(&c);
        return -ENOMEM;
    }
    *to = c;
    return 0;
}

int token_peek_issuer(const char *token, char *out, size_t size)
{
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot2 || strlen(token) > TOKEN_MAX_BYTES) return -EPROTO;
    cJSON *claims = decode_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    const char *iss = string_of(claims, "iss");
    int r = !iss ? -EPROTO : strlen(iss) >= size ? -E2BIG : 0;
    if (r == 0) strcpy(out, iss);
    cJSON_Delete(claims);
    return r;
}
