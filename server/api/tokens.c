/*
 * api_tokens: who am I, and personal access tokens for scripts.
 *
 * A token is "kfp_" and 256 random bits, shown once at creation; the store keeps only its
 * SHA-256, with the owner's email and groups at that time, a name and an expiry. A user sees
 * and revokes only their own tokens.
 */
#include "server/api/tokens.h"

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
#include "lib/hex.h"
#include "lib/upstream.h"
#include "server/cluster/shared_state.h"
#include "server/gate/gate.h"
#include "server/http/http.h"
#include "server/kfdash.h"

#define PAT_PREFIX          "kfp_"
#define EXPIRY_DEFAULT_DAYS 30
#define EXPIRY_MAX_DAYS     365
#define TOKEN_ID_HEX        16

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
    const struct kfdash *k = kfdash_of(r);
    cJSON *list = NULL;
    if (store_tokens_list(k->store, http_request_identity(r)->email, &list) < 0) {
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

/* A token whose Secret is being written, kept with the parked request. */
struct token_wait {
    bool written;          /* the token's Secret was written (or deleted) */
    cJSON *reply;          /* the 201 body, token included, once the Secret is in */
    char id[STORE_ID_MAX]; /* dropped again when the Secret could not be written */
};

static void token_wait_free(void *p)
{
    struct token_wait *w = p;
    cJSON_Delete(w->reply);
    free(w);
}

static void reply_unshared(struct http_request *r, const char *doing)
{
    char message[160];
    snprintf(message, sizeof(message),
             "cannot %s where the other replicas see it (the Kubernetes API); try again", doing);
    const char *headers[] = {"Retry-After", "5", NULL};
    http_reply_error_with(r, 503, message, headers);
}

/* The token's Secret is written, or not: only a token every replica knows is handed out. */
static void token_shared(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct token_wait *w = http_request_context(r);
    if (w->written) {
        cJSON *reply = w->reply;
        w->reply = NULL;
        http_reply_json(r, 201, reply);
        return;
    }
    store_token_forget(k->store, w->id);
    reply_unshared(r, "record the token");
}

/* The shared state's word on a write: the request goes on with it (next). */
static void written_then(struct http_request *r, bool written, http_next_fn next)
{
    struct token_wait *w = http_request_context(r);
    w->written = written;
    http_request_resume(r, next);
}

static void token_written(void *ctx, bool written)
{
    written_then(ctx, written, token_shared);
}

/* 503: the store cannot take the token now, and why (auth/store.h store_write_failure). */
static void reply_store_down(struct http_request *r, const char *why)
{
    char message[160];
    snprintf(message, sizeof(message), "kfdash cannot store a new token now (%s); try again later",
             why);
    http_reply_error(r, 503, message);
}

void api_tokens_create(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    const struct identity *who = http_request_identity(r);
    /* A personal token outlives the sign-in that makes it, so only someone who has just proved
     * who they are at Dex makes one (the route asks for a recent sign-in): never a service
     * account, another token or a gateway's word. */
    if (who->source != IDENTITY_SESSION && who->source != IDENTITY_ID_TOKEN) {
        http_reply_error(r, 403,
                         "a personal access token is made only by someone who has just signed in "
                         "at Dex (in a browser, or with a Dex ID token), not with another token: "
                         "sign in at Dex");
        return;
    }
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
    cJSON *j = NULL;
    time_t now = time(NULL), expires = now + days * 86400;
    if (e == 0) {
        snprintf(token, sizeof(token), "%s%s", PAT_PREFIX, secret);
        mbedtls_sha256_ret((const unsigned char *)token, strlen(token), digest, 0);
        /* The id is public, so it comes from other random bytes than the secret. */
        hex_encode(raw_id, sizeof(raw_id), id);
        /* Stored here first (the per-user quota is checked there): until the reply nobody
         * knows the token, so a row whose Secret then fails is dropped unused. */
        e = store_token_add(k->store, digest, id, who->email, groups, name, now, expires);
    }
    if (e == 0) {
        j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "id", id);
        cJSON_AddStringToObject(j, "name", name);
        cJSON_AddNumberToObject(j, "created", (double)now);
        cJSON_AddNumberToObject(j, "expires", (double)expires);
        cJSON_AddStringToObject(j, "token", token);
    }
    struct token_wait *w = e == 0 && shared_state_on(k->shared) ? calloc(1, sizeof(*w)) : NULL;
    if (w) {
        w->reply = j;
        snprintf(w->id, sizeof(w->id), "%s", id);
        http_request_set_context(r, w, token_wait_free);
        http_request_suspend(r);
        shared_state_put_token(k->shared, digest, id, who->email, groups, name, now, expires,
                               token_written, r);
    } else if (e == 0 && shared_state_on(k->shared)) {
        store_token_forget(k->store, id);
        cJSON_Delete(j);
        e = -ENOMEM;
    } else if (e == 0) {
        http_reply_json(r, 201, j);
    }
    free(groups);
    cJSON_Delete(body);
    const char *store_down = store_write_failure(e);
    if (e == -EDQUOT)
        http_reply_error(r, 409, "you have 50 unexpired tokens already; revoke one first");
    else if (store_down)
        reply_store_down(r, store_down);
    else if (e < 0)
        http_reply_error(r, 500, "cannot create the token");
}

/* The token's Secret is gone (or was): now it goes here too. */
static void token_unshared(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct token_wait *w = http_request_context(r);
    if (!w->written) {
        reply_unshared(r, "revoke the token");
        return;
    }
    int e = store_token_delete(k->store, http_request_identity(r)->email, w->id);
    if (e < 0 && e != -ENOENT) /* -ENOENT: the watch dropped it first */
        http_reply_error(r, 500, "cannot revoke the token");
    else
        http_reply_static(r, 204, NULL, "", 0, NULL);
}

static void token_deleted(void *ctx, bool written)
{
    written_then(ctx, written, token_unshared);
}

void api_tokens_delete(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    const char *email = http_request_identity(r)->email, *id = http_request_param(r, "id");
    if (shared_state_on(k->shared)) {
        int e = strlen(id) < STORE_ID_MAX ? store_token_owned(k->store, email, id) : -ENOENT;
        struct token_wait *w = e == 0 ? calloc(1, sizeof(*w)) : NULL;
        if (e == -ENOENT) {
            http_reply_error(r, 404, "you have no token with this id");
        } else if (!w) {
            http_reply_error(r, 500, "cannot revoke the token");
        } else {
            snprintf(w->id, sizeof(w->id), "%s", id);
            http_request_set_context(r, w, token_wait_free);
            http_request_suspend(r);
            shared_state_delete_token(k->shared, id, token_deleted, r);
        }
        return;
    }
    int e = store_token_delete(k->store, email, id);
    if (e == -ENOENT)
        http_reply_error(r, 404, "you have no token with this id");
    else if (e < 0)
        http_reply_error(r, 500, "cannot revoke the token");
    else
        http_reply_static(r, 204, NULL, "", 0, NULL);
}
