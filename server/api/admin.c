/* api_admin: Dex user administration; see api_admin.h. */
#include "server/api/admin.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <mbedtls/base64.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "auth/identity.h"
#include "k8s/access.h"
#include "k8s/dexpass.h"
#include "k8s/guard.h"
#include "k8s/kfam.h"
#include "k8s/name.h"
#include "lib/hex.h"
#include "lib/log.h"
#include "lib/upstream.h"
#include "server/api/calls.h"
#include "server/cluster/kube.h"
#include "server/config.h"
#include "server/http/http.h"
#include "server/kfdash.h"

#define PATH_MAX_BYTES      1024
#define DISABLED_ANNOTATION "kfdash.io/disabled-hash"

/* A user change under way, kept with the parked request. */
struct job {
    struct upstream_result answer;     /* the last call's */
    char email[DEXPASS_EMAIL_MAX + 1]; /* whose */
    char name[DEXPASS_NAME_MAX];       /* their Password object */
    char hash[DEXPASS_HASH_MAX];       /* a new bcrypt hash, "" when none */
    char profile[64];                  /* create this profile after the user, "" when not */
    enum { SET_PASSWORD, DISABLE, ENABLE } edit; /* what a GET-then-PUT changes */
};

static void job_free(void *p)
{
    struct job *j = p;
    free(j->answer.body);
    explicit_bzero(j->hash, sizeof(j->hash));
    free(j);
}

/* The routes are for cluster admins (routes.c); they need the API server and Dex's namespace. */
static bool admin_only(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    if (!kube_client(k->kube)) {
        http_reply_error(r, 503, "no Kubernetes API server is configured (kube.api)");
        return false;
    }
    if (!*k->cfg->dex_namespace) {
        http_reply_error(r, 503, "Dex keeps no users in Kubernetes here (dex.namespace is empty)");
        return false;
    }
    return true;
}

static void passwords_path(const struct kfdash *k, char *out, size_t size, const char *name)
{
    snprintf(out, size, "/apis/dex.coreos.com/v1/namespaces/%s/passwords%s%s",
             k->cfg->dex_namespace, name ? "/" : "", name ? name : "");
}

/* The user named by the route, checked, into j (email and object name); false after replying. */
static bool user_of_route(struct http_request *r, struct job *j)
{
    const char *email = http_request_param(r, "email");
    const char *bad = dexpass_check_email(email);
    if (bad || dexpass_object_name(email, j->name, sizeof(j->name)) < 0) {
        http_reply_error(r, 400, bad ? bad : "not a user's email");
        return false;
    }
    snprintf(j->email, sizeof(j->email), "%s", email);
    return true;
}

/* ---------------------------------------------------------------- list */

static void listed(struct http_request *r)
{
    struct job *j = http_request_context(r);
    if (j->answer.error || j->answer.status != 200) {
        api_kube_failure(r, &j->answer, "cannot list Dex's users");
        return;
    }
    cJSON *in = cJSON_ParseWithLength(j->answer.body, j->answer.len);
    cJSON *out = cJSON_CreateArray();
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(in, "items"))
    {
        const cJSON *email = cJSON_GetObjectItemCaseSensitive(item, "email");
        if (!cJSON_IsString(email)) continue;
        const cJSON *ann = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(item, "metadata"), "annotations");
        cJSON *u = cJSON_CreateObject();
        cJSON_AddStringToObject(u, "email", email->valuestring);
        static const char *const fields[] = {"username", "userID"};
        for (size_t i = 0; i < 2; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, fields[i]);
            cJSON_AddStringToObject(u, fields[i], cJSON_IsString(v) ? v->valuestring : "");
        }
        cJSON_AddBoolToObject(u, "disabled",
                              cJSON_GetObjectItemCaseSensitive(ann, DISABLED_ANNOTATION) != NULL);
        cJSON_AddItemToArray(out, u);
    }
    cJSON_Delete(in);
    http_reply_json(r, 200, out);
}

void api_admin_users_list(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    if (!admin_only(r)) return;
    struct job *j = calloc(1, sizeof(*j));
    if (!j) {
        http_reply_error(r, 500, "out of memory");
        return;
    }
    char path[PATH_MAX_BYTES];
    passwords_path(k, path, sizeof(path), NULL);
    http_request_set_context(r, j, job_free);
    api_kube_call(r, "GET", path, NULL, &j->answer, listed);
}

/* ---------------------------------------------------------------- create */

static void profile_made(struct http_request *r)
{
    struct job *j = http_request_context(r);
    if (j->answer.error || (j->answer.status != 201 && j->answer.status != 409)) {
        api_kube_failure(r, &j->answer, "the user was made, but not their profile");
        return;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "email", j->email);
    cJSON_AddStringToObject(out, "profile", j->profile);
    http_reply_json(r, 201, out);
}

static void user_made(struct http_request *r)
{
    struct job *j = http_request_context(r);
    if (j->answer.error || j->answer.status != 201) {
        if (!j->answer.error && j->answer.status == 409)
            http_reply_error(r, 409, "this user exists already");
        else
            api_kube_failure(r, &j->answer, "cannot create the user");
        return;
    }
    struct buf line;
    log_begin(&line, LOG_INFO, "user created");
    log_str(&line, "email", j->email);
    log_str(&line, "by", http_request_identity(r)->email);
    log_end(&line);
    if (!j->profile[0]) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "email", j->email);
        http_reply_json(r, 201, out);
        return;
    }
    char *json = kfam_profile_json(j->profile, j->email);
    free(j->answer.body);
    j->answer = (struct upstream_result){0};
    api_kube_call(r, "POST", "/apis/kubeflow.org/v1/profiles", json, &j->answer, profile_made);
    free(json);
}

static bool text_field(const cJSON *body, const char *name, const char **ret)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
    if (!v) return true;
    if (!cJSON_IsString(v)) return false;
    *ret = v->valuestring;
    return true;
}

void api_admin_users_create(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    if (!admin_only(r)) return;
    size_t len;
    const char *text = http_request_body(r, &len);
    cJSON *body = cJSON_ParseWithLength(text, len);
    const char *email = NULL, *password = NULL, *username = NULL, *profile = NULL;
    bool make_profile = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "create_profile"));
    struct job *j = calloc(1, sizeof(*j));
    const char *bad = !j ? "out of memory"
                      : !cJSON_IsObject(body) || !text_field(body, "email", &email) ||
                              !text_field(body, "password", &password) ||
                              !text_field(body, "username", &username) ||
                              !text_field(body, "profile", &profile) || !email || !password
                          ? "send {\"email\", \"password\", \"username\"?, \"create_profile\"?, "
                            "\"profile\"?}"
                          : NULL;
    if (!bad) bad = dexpass_check_email(email);
    if (!bad) bad = dexpass_check_password(password);
    if (!bad && dexpass_object_name(email, j->name, sizeof(j->name)) < 0) bad = "email: too long";
    if (!bad && make_profile) {
        if (profile)
            snprintf(j->profile, sizeof(j->profile), "%s", profile);
        else
            kfam_profile_name(email, j->profile, sizeof(j->profile));
        if (!k8s_name_is_dns_label(j->profile)) bad = "profile: not a valid namespace name";
    }
    char why[K8S_GUARD_WHY_MAX];
    const struct k8s_snapshot *s = kube_snapshot(k->kube);
    if (!bad && make_profile && s &&
        k8s_guard_new_profile(kube_guard(k->kube), s, j->profile, email, why, sizeof(why)) < 0)
        bad = why;
    char user_id[33], local[DEXPASS_FIELD_MAX];
    unsigned char raw[16];
    if (!bad && (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw) ||
                 dexpass_hash(password, 0, j->hash, sizeof(j->hash)) < 0))
        bad = "cannot hash the password";
    cJSON *object = NULL;
    if (!bad) {
        snprintf(j->email, sizeof(j->email), "%s", email);
        hex_encode(raw, sizeof(raw), user_id);
        snprintf(local, sizeof(local), "%.*s", (int)strcspn(email, "@"), email);
        object = dexpass_object(k->cfg->dex_namespace, email, username ? username : local, user_id,
                                j->hash);
        if (!object) bad = "username: printable, at most 256 bytes";
    }
    cJSON_Delete(body);
    if (bad) {
        if (j) job_free(j);
        http_reply_error(r, 400, bad);
        return;
    }
    char *json = cJSON_PrintUnformatted(object);
    cJSON_Delete(object);
    char path[PATH_MAX_BYTES];
    passwords_path(k, path, sizeof(path), NULL);
    http_request_set_context(r, j, job_free);
    api_kube_call(r, "POST", path, json, &j->answer, user_made);
    free(json);
}

/* ---------------------------------------------------------------- edit: GET, change, PUT */

static void edited(struct http_request *r)
{
    struct job *j = http_request_context(r);
    if (j->answer.error || j->answer.status != 200) {
        api_kube_failure(r, &j->answer, "cannot change the user");
        return;
    }
    struct buf line;
    log_begin(&line, LOG_INFO,
              j->edit == SET_PASSWORD ? "password reset"
              : j->edit == DISABLE    ? "user disabled"
                                      : "user enabled");
    log_str(&line, "email", j->email);
    log_str(&line, "by", http_request_identity(r)->email);
    log_end(&line);
    http_reply_static(r, 204, NULL, "", 0, NULL);
}

/* The hash field holds base64 of the bcrypt string. */
static cJSON *hash_value(const char *bcrypt)
{
    unsigned char out[128];
    size_t n = 0;
    if (mbedtls_base64_encode(out, sizeof(out), &n, (const unsigned char *)bcrypt, strlen(bcrypt)))
        return NULL;
    return cJSON_CreateString((const char *)out);
}

static void fetched(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct job *j = http_request_context(r);
    if (j->answer.error || j->answer.status != 200) {
        if (!j->answer.error && j->answer.status == 404)
            http_reply_error(r, 404, "no such user");
        else
            api_kube_failure(r, &j->answer, "cannot read the user");
        return;
    }
    cJSON *obj = cJSON_ParseWithLength(j->answer.body, j->answer.len);
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    cJSON *ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
    if (!ann) ann = cJSON_AddObjectToObject(meta, "annotations");
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, "hash");
    const cJSON *kept = cJSON_GetObjectItemCaseSensitive(ann, DISABLED_ANNOTATION);
    cJSON *hash = NULL;
    bool conflict = false;
    if (j->edit == SET_PASSWORD) {
        hash = hash_value(j->hash);
        if (kept) cJSON_DeleteItemFromObjectCaseSensitive(ann, DISABLED_ANNOTATION);
    } else if (j->edit == DISABLE) {
        /* Dex keeps refusing a hash of a password nobody knows; the real one waits aside. */
        char unknown[44], bcrypt[DEXPASS_HASH_MAX];
        unsigned char raw[32];
        conflict = kept != NULL;
        if (!conflict && cJSON_IsString(old) && getrandom(raw, sizeof(raw), 0) == sizeof(raw)) {
            hex_encode(raw, 21, unknown);
            if (dexpass_hash(unknown, 0, bcrypt, sizeof(bcrypt)) == 0) hash = hash_value(bcrypt);
            cJSON_AddStringToObject(ann, DISABLED_ANNOTATION, old->valuestring);
        }
    } else {
        conflict = !cJSON_IsString(kept);
        if (!conflict) {
            hash = cJSON_CreateString(kept->valuestring);
            cJSON_DeleteItemFromObjectCaseSensitive(ann, DISABLED_ANNOTATION);
        }
    }
    if (conflict || !hash || !obj) {
        cJSON_Delete(obj);
        cJSON_Delete(hash);
        http_reply_error(r, conflict ? 409 : 500,
                         conflict ? (j->edit == DISABLE ? "the user is disabled already"
                                                        : "the user is not disabled")
                                  : "cannot change the user");
        return;
    }
    cJSON_ReplaceItemInObjectCaseSensitive(obj, "hash", hash);
    char *json = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    char path[PATH_MAX_BYTES];
    passwords_path(k, path, sizeof(path), j->name);
    free(j->answer.body);
    j->answer = (struct upstream_result){0};
    api_kube_call(r, "PUT", path, json, &j->answer, edited);
    free(json);
}

static void edit_user(struct http_request *r, int edit)
{
    const struct kfdash *k = kfdash_of(r);
    if (!admin_only(r)) return;
    struct job *j = calloc(1, sizeof(*j));
    if (!j) {
        http_reply_error(r, 500, "out of memory");
        return;
    }
    j->edit = edit;
    if (!user_of_route(r, j)) {
        job_free(j);
        return;
    }
    if (edit == SET_PASSWORD) {
        size_t len;
        const char *text = http_request_body(r, &len);
        cJSON *body = cJSON_ParseWithLength(text, len);
        const cJSON *pw = cJSON_GetObjectItemCaseSensitive(body, "password");
        const char *bad =
            !cJSON_IsString(pw) ? "send {\"password\"}" : dexpass_check_password(pw->valuestring);
        if (!bad && dexpass_hash(pw->valuestring, 0, j->hash, sizeof(j->hash)) < 0)
            bad = "cannot hash the password";
        cJSON_Delete(body);
        if (bad) {
            job_free(j);
            http_reply_error(r, 400, bad);
            return;
        }
    }
    char path[PATH_MAX_BYTES];
    passwords_path(k, path, sizeof(path), j->name);
    http_request_set_context(r, j, job_free);
    api_kube_call(r, "GET", path, NULL, &j->answer, fetched);
}

void api_admin_users_password(struct http_request *r)
{
    edit_user(r, SET_PASSWORD);
}

void api_admin_users_disable(struct http_request *r)
{
    edit_user(r, DISABLE);
}

void api_admin_users_enable(struct http_request *r)
{
    edit_user(r, ENABLE);
}

/* ---------------------------------------------------------------- delete */

static void deleted(struct http_request *r)
{
    struct job *j = http_request_context(r);
    if (!j->answer.error && j->answer.status == 404) {
        http_reply_error(r, 404, "no such user");
    } else if (j->answer.error || j->answer.status != 200) {
        api_kube_failure(r, &j->answer, "cannot delete the user");
    } else {
        struct buf line;
        log_begin(&line, LOG_INFO, "user deleted");
        log_str(&line, "email", j->email);
        log_str(&line, "by", http_request_identity(r)->email);
        log_end(&line);
        http_reply_static(r, 204, NULL, "", 0, NULL);
    }
}

void api_admin_users_delete(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    if (!admin_only(r)) return;
    struct job *j = calloc(1, sizeof(*j));
    if (!j) {
        http_reply_error(r, 500, "out of memory");
        return;
    }
    if (!user_of_route(r, j)) {
        job_free(j);
        return;
    }
    char path[PATH_MAX_BYTES];
    passwords_path(k, path, sizeof(path), j->name);
    http_request_set_context(r, j, job_free);
    api_kube_call(r, "DELETE", path, NULL, &j->answer, deleted);
}
