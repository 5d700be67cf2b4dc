/*
 * api_tokens: who am I, and personal access tokens for scripts.
 *
 * A token is "kfp_" and 256 random bits, shown once at creation; the store keeps only its
 * SHA-256, with the owner's email and groups at that time, a name and an expiry. A user sees
 * and revokes only their own tokens.
 */
#include "server/api_tokens.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "auth/identity.h"
#include "auth/session.h"
#include "auth/store.h"
#include "server/gate.h"
#include "server/http.h"

#define PAT_PREFIX          "kfp_"
#define EXPIRY_DEFAULT_DAYS 30
#define EXPIRY_MAX_DAYS     365
#define TOKEN_ID_HEX        16

static const struct signin *env; /* borrowed for the process life */

void api_tokens_init(const struct signin *s)
{
    env = s;
}

void api_whoami(struct http_request *r)
{
    const struct identity *who = http_request_identity(r);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "email", who->email);
    cJSON *groups = cJSON_AddArrayToObject(j, "groups");
    for (size_t i = 0; groups && i < who->n_groups; i++)
        cJSON_AddItemToArray(groups, cJSON_CreateString(who->groups[i]));
    cJSON_AddStringToObject(j, "source", identity_source_name(who->source));
    http_reply_json(r, 200, j);
}

void api_tokens_list(struct http_request *r)
{
    cJSON *list = NULL;
    if (store_tokens_list(env->store, http_request_identity(r)->email, &list) < 0) {
        http_reply_error(r, 500, "cannot read the tokens");
        return;
    }
    cJSON *j = cJSON_CreateObject();
    if (!cJSON_AddItemToObject(j, "tokens", list)) cJSON_Delete(list);
    http_reply_json(r, 200, j);
}

/* Name and lifetime from the request body; a message for the client when they are wrong. */
static const char *parse_create(const cJSON *body, const char **ret_name, long *ret_days)
{
    if (!cJSON_IsObject(body)) return "the body must be a JSON object";
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
    const cJSON *days = cJSON_GetObjectItemCaseSensitive(body, "expires_in_days");
    if (!cJSON_IsString(name) || !*name->valuestring ||
        strlen(name->valuestring) > STORE_TOKEN_NAME_MAX)
        return "name: 1 to 64 characters";
    for (const unsigned char *c = (const unsigned char *)name->valuestring; *c; c++)
        if (*c < 0x20 || *c == 0x7f) return "name: no control characters";
    long n = EXPIRY_DEFAULT_DAYS;
    if (days) {
        if (!cJSON_IsNumber(days) || days->valuedouble != (double)(long)days->valuedouble ||
            days->valuedouble < 1 || days->valuedouble > EXPIRY_MAX_DAYS)
            return "expires_in_days: a whole number from 1 to 365";
        n = (long)days->valuedouble;
    }
    *ret_name = name->valuestring;
    *ret_days = n;
    return NULL;
}

void api_tokens_create(struct http_request *r)
{
    const struct identity *who = http_request_identity(r);
    size_t len;
    const char *text = http_request_body(r, &len);
    cJSON *body = cJSON_ParseWithLength(text, len);
    const char *name = NULL;
    long days = 0;
    const char *bad = parse_create(body, &name, &days);
    if (bad) {
        cJSON_Delete(body);
        http_reply_error(r, 400, bad);
        return;
    }
    char secret[SESSION_RANDOM_SIZE], token[sizeof(PAT_PREFIX) + SESSION_RANDOM_SIZE];
    unsigned char digest[32], raw_id[TOKEN_ID_HEX / 2];
    char id[TOKEN_ID_HEX + 1];
    char *groups = identity_groups_joined(who);
    int e = groups ? session_random(secret) : -ENOMEM;
    if (e == 0 && getrandom(raw_id, sizeof(raw_id), 0) != (ssize_t)sizeof(raw_id)) e = -EIO;
    if (e == 0) {
        snprintf(token, sizeof(token), "%s%s", PAT_PREFIX, secret);
        mbedtls_sha256_ret((const unsigned char *)token, strlen(token), digest, 0);
        /* The id is public, so it comes from other random bytes than the secret. */
        for (size_t i = 0; i < sizeof(raw_id); i++) snprintf(id + 2 * i, 3, "%02x", raw_id[i]);
        time_t now = time(NULL);
        e = store_token_add(env->store, digest, id, who->email, groups, name, now,
                            now + days * 86400);
        if (e == 0) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "id", id);
            cJSON_AddStringToObject(j, "name", name);
            cJSON_AddNumberToObject(j, "created", (double)now);
            cJSON_AddNumberToObject(j, "expires", (double)(now + days * 86400));
            cJSON_AddStringToObject(j, "token", token);
            http_reply_json(r, 201, j);
        }
    }
    free(groups);
    cJSON_Delete(body);
    if (e == -EDQUOT)
        http_reply_error(r, 409, "you have 50 unexpired tokens already; revoke one first");
    else if (e < 0)
        http_reply_error(r, 500, "cannot create the token");
}

void api_tokens_delete(struct http_request *r)
{
    int e = store_token_delete(env->store, http_request_identity(r)->email,
                               http_request_param(r, "id"));
    if (e == -ENOENT)
        http_reply_error(r, 404, "you have no token with this id");
    else if (e < 0)
        http_reply_error(r, 500, "cannot revoke the token");
    else
        http_reply_static(r, 204, NULL, "", 0, NULL);
}
