/* api_workgroup: see api_workgroup.h. */
#include "server/api/workgroup.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/identity.h"
#include "k8s/access.h"
#include "k8s/event.h"
#include "k8s/guard.h"
#include "k8s/kfam.h"
#include "k8s/name.h"
#include "lib/upstream.h"
#include "server/api/calls.h"
#include "server/cluster/kube.h"
#include "server/config.h"
#include "server/http/http.h"
#include "server/kfdash.h"
#include "version.h"

#define MEMBERSHIPS_MAX 4096
#define NAME_MAX_BYTES  254

/* The caller's memberships from the current snapshot (heap; *ret_n entries); NULL and a reply
 * sent when there is no API server or no memory. */
static struct k8s_membership *memberships(struct http_request *r, size_t *ret_n)
{
    const struct kfdash *k = kfdash_of(r);
    const struct k8s_snapshot *s = kube_snapshot(k->kube);
    if (!s) {
        http_reply_error(r, 503, "no Kubernetes API server is configured (kube.api)");
        return NULL;
    }
    const struct identity *who = http_request_identity(r);
    struct k8s_membership *m = calloc(MEMBERSHIPS_MAX, sizeof(*m));
    if (!m) {
        http_reply_error(r, 500, "out of memory");
        return NULL;
    }
    size_t n = k8s_snapshot_memberships(s, who->email, (const char *const *)who->groups,
                                        who->n_groups, m, MEMBERSHIPS_MAX);
    *ret_n = n < MEMBERSHIPS_MAX ? n : MEMBERSHIPS_MAX;
    return m;
}

/* Kubeflow's names for the roles of env-info. */
static const char *kubeflow_role(enum k8s_role role)
{
    return role == K8S_ROLE_OWNER ? "owner" : role == K8S_ROLE_VIEW ? "viewer" : "contributor";
}

void api_workgroup_exists(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    size_t n;
    struct k8s_membership *m = memberships(r, &n);
    if (!m) return;
    bool owns = false;
    for (size_t i = 0; i < n; i++) owns = owns || m[i].role == K8S_ROLE_OWNER;
    free(m);
    /* Kubeflow's field order, and its user: the name before '@' (kfam_username). */
    char username[NAME_MAX_BYTES] = "";
    kfam_username(http_request_identity(r)->email, username, sizeof(username));
    cJSON *j = cJSON_CreateObject();
    cJSON_AddBoolToObject(j, "hasAuth", true);
    cJSON_AddStringToObject(j, "user", username);
    cJSON_AddBoolToObject(j, "hasWorkgroup", owns);
    cJSON_AddBoolToObject(j, "registrationFlowAllowed", k->cfg->registration_flow);
    http_reply_json(r, 200, j);
}

void api_workgroup_env_info(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    size_t n;
    struct k8s_membership *m = memberships(r, &n);
    if (!m) return;
    const struct identity *who = http_request_identity(r);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "user", who->email);
    cJSON *platform = cJSON_AddObjectToObject(j, "platform");
    cJSON_AddStringToObject(platform, "provider", "other://");
    cJSON_AddStringToObject(platform, "providerName", "other");
    cJSON_AddStringToObject(platform, "kubeflowVersion", "kfdash " KFDASH_VERSION);
    cJSON_AddStringToObject(platform, "logoutUrl",
                            *k->cfg->logout_url ? k->cfg->logout_url : "/auth/logout");
    cJSON *list = cJSON_AddArrayToObject(j, "namespaces");
    for (size_t i = 0; list && i < n; i++) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "namespace", m[i].ns);
        cJSON_AddStringToObject(item, "role", kubeflow_role(m[i].role));
        cJSON_AddStringToObject(item, "user", who->email);
        cJSON_AddItemToArray(list, item);
    }
    cJSON_AddBoolToObject(j, "isClusterAdmin", kube_is_cluster_admin(k->kube, who));
    free(m);
    http_reply_json(r, 200, j);
}

void api_namespaces(struct http_request *r)
{
    size_t n;
    struct k8s_membership *m = memberships(r, &n);
    if (!m) return;
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; list && i < n; i++) {
        cJSON *ns = cJSON_CreateObject();
        cJSON_AddStringToObject(ns, "apiVersion", "v1");
        cJSON_AddStringToObject(ns, "kind", "Namespace");
        cJSON *meta = cJSON_AddObjectToObject(ns, "metadata");
        cJSON_AddStringToObject(meta, "name", m[i].ns);
        if (m[i].owner)
            cJSON_AddStringToObject(cJSON_AddObjectToObject(meta, "annotations"), "owner",
                                    m[i].owner);
        cJSON_AddItemToArray(list, ns);
    }
    free(m);
    http_reply_json(r, 200, list);
}

/* ---------------------------------------------------------------- changes */

#define EVENTS_MAX     500
#define PATH_MAX_BYTES 1024

/*
 * Whose shapes a route answers in. Kubeflow's own routes (/api/workgroup/...) answer exactly as
 * Kubeflow's dashboard does; kfdash's (/api/profiles/...) keep viewers, roles and the namespace
 * made.
 */
enum shape {
    SHAPE_KFDASH,   /* [{user, role}], 201 {namespace, owner}, 204 */
    SHAPE_KUBEFLOW, /* the contributors' emails, 200 {message} */
};

/* A change to the cluster under way, kept with the parked request. */
struct change {
    struct upstream_result answer;  /* the last call's */
    char ns[NAME_MAX_BYTES];        /* the profile namespace */
    char email[NAME_MAX_BYTES];     /* the contributor, or the new profile's owner */
    char role[8];                   /* "edit" or "view" */
    char name[NAME_MAX_BYTES + 64]; /* the RoleBinding and AuthorizationPolicy */
    bool removing;                  /* remove rather than add */
    bool claimed;                   /* a self-registration counted by registration_claim */
    enum shape shape;               /* how the answer is written */
};

static void change_free(void *p)
{
    struct change *c = p;
    free(c->answer.body);
    free(c);
}

/* A user name kfdash binds or makes an owner: printable, no commas or spaces, and none of the
 * names Kubernetes keeps for itself but a service account's. */
static bool user_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= NAME_MAX_BYTES) return false;
    if (identity_name_is_reserved(s) && strncmp(s, "system:serviceaccount:", 22) != 0) return false;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f || *s == ',' || *s == '"') return false;
    return true;
}

/*
 * The people of ns other than its owner (users only: not groups, nor the profile's
 * default-editor/-viewer accounts), with one pending change applied. SHAPE_KFDASH: every one,
 * [{user, role: contributor|viewer}]. SHAPE_KUBEFLOW: as Kubeflow's dashboard lists them from
 * KFAM (its bindings of role "edit", mapped to "contributor" and filtered on it): the emails of
 * those bound to kubeflow-edit.
 */
static cJSON *contributors(const struct k8s_snapshot *s, const char *ns, const struct change *c,
                           enum shape shape)
{
    const char *owner = NULL;
    k8s_snapshot_profile(s, ns, &owner);
    cJSON *list = cJSON_CreateArray();
    static const enum k8s_role all[] = {K8S_ROLE_ADMIN, K8S_ROLE_EDIT, K8S_ROLE_VIEW};
    static const enum k8s_role editors[] = {K8S_ROLE_EDIT};
    const enum k8s_role *roles = shape == SHAPE_KUBEFLOW ? editors : all;
    size_t n_roles = shape == SHAPE_KUBEFLOW ? 1 : 3;
    const char *seen[MEMBERSHIPS_MAX];
    size_t n_seen = 0;
    for (size_t k = 0; k < n_roles; k++) {
        const char *members[MEMBERSHIPS_MAX];
        size_t n = k8s_snapshot_members(s, ns, roles[k], members, MEMBERSHIPS_MAX);
        for (size_t i = 0; list && i < n && i < MEMBERSHIPS_MAX; i++) {
            if (strncmp(members[i], "u:", 2) != 0 ||
                strncmp(members[i], "u:system:serviceaccount:", 24) == 0)
                continue;
            const char *user = members[i] + 2;
            const char *role = roles[k] == K8S_ROLE_VIEW ? "view" : "edit";
            bool dup = owner && strcmp(user, owner) == 0;
            for (size_t j = 0; j < n_seen && !dup; j++) dup = strcmp(seen[j], user) == 0;
            if (c && c->removing && strcmp(user, c->email) == 0 && strcmp(role, c->role) == 0)
                dup = true;
            if (dup || n_seen == MEMBERSHIPS_MAX) continue;
            seen[n_seen++] = user;
            if (shape == SHAPE_KUBEFLOW) {
                cJSON_AddItemToArray(list, cJSON_CreateString(user));
                continue;
            }
            cJSON *item = cJSON_CreateObject();
            cJSON_AddStringToObject(item, "user", user);
            cJSON_AddStringToObject(item, "role",
                                    roles[k] == K8S_ROLE_VIEW ? "viewer" : "contributor");
            cJSON_AddItemToArray(list, item);
        }
    }
    bool listed = false;
    for (size_t j = 0; c && j < n_seen; j++) listed = listed || strcmp(seen[j], c->email) == 0;
    if (!list || !c || c->removing || listed) return list;
    if (shape == SHAPE_KUBEFLOW) {
        if (strcmp(c->role, "edit") == 0) cJSON_AddItemToArray(list, cJSON_CreateString(c->email));
        return list;
    }
    cJSON *item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "user", c->email);
    cJSON_AddStringToObject(item, "role", strcmp(c->role, "view") == 0 ? "viewer" : "contributor");
    cJSON_AddItemToArray(list, item);
    return list;
}

static const struct k8s_snapshot *snapshot_or_503(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    const struct k8s_snapshot *s = kube_snapshot(k->kube);
    if (!s) http_reply_error(r, 503, "no Kubernetes API server is configured (kube.api)");
    return s;
}

static void get_contributors(struct http_request *r, enum shape shape)
{
    const struct k8s_snapshot *s;
    const char *ns = api_namespace(r, &s);
    if (!ns) return;
    if (!k8s_snapshot_profile(s, ns, NULL)) {
        http_reply_error(r, 404, "no such profile");
        return;
    }
    http_reply_json(r, 200, contributors(s, ns, NULL, shape));
}

void api_workgroup_get_contributors(struct http_request *r)
{
    get_contributors(r, SHAPE_KUBEFLOW);
}

void api_profiles_contributors(struct http_request *r)
{
    get_contributors(r, SHAPE_KFDASH);
}

static void policy_done(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct change *c = http_request_context(r);
    /* 404: Istio is not installed (no AuthorizationPolicy CRD), which is fine. */
    if (c->answer.error ||
        (c->answer.status >= 300 && c->answer.status != 404 && c->answer.status != 409)) {
        api_kube_failure(r, &c->answer, "cannot write the AuthorizationPolicy");
        return;
    }
    http_reply_json(r, 200, contributors(kube_snapshot(k->kube), c->ns, c, c->shape));
}

static void binding_done(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct change *c = http_request_context(r);
    long st = c->answer.status;
    bool ok = !c->answer.error && (c->removing ? st == 200 || st == 404 : st == 201 || st == 409);
    if (!ok) {
        api_kube_failure(r, &c->answer, "cannot write the RoleBinding");
        return;
    }
    char path[PATH_MAX_BYTES];
    snprintf(path, sizeof(path),
             "/apis/security.istio.io/v1beta1/namespaces/%s/authorizationpolicies%s%s", c->ns,
             c->removing ? "/" : "", c->removing ? c->name : "");
    char *body = NULL;
    if (!c->removing) {
        char value[NAME_MAX_BYTES + 64];
        snprintf(value, sizeof(value), "%s%s", k->cfg->userid_prefix, c->email);
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "apiVersion", "security.istio.io/v1beta1");
        cJSON_AddStringToObject(p, "kind", "AuthorizationPolicy");
        cJSON *meta = cJSON_AddObjectToObject(p, "metadata");
        cJSON_AddStringToObject(meta, "name", c->name);
        cJSON_AddStringToObject(meta, "namespace", c->ns);
        cJSON *ann = cJSON_AddObjectToObject(meta, "annotations");
        cJSON_AddStringToObject(ann, "user", c->email);
        cJSON_AddStringToObject(ann, "role", c->role);
        cJSON *when = cJSON_CreateObject();
        char key[128];
        snprintf(key, sizeof(key), "request.headers[%s]", k->cfg->userid_header);
        cJSON_AddStringToObject(when, "key", key);
        cJSON_AddItemToObject(when, "values", cJSON_CreateStringArray((const char *[]){value}, 1));
        /* As KFAM writes it: the header counts only from the ingress gateway (and KFP's UI),
         * or any pod in the mesh could name the contributor. */
        const char *principals[] = {k->cfg->istio_gateway_principal, k->cfg->kfp_ui_principal};
        cJSON *source = cJSON_CreateObject();
        cJSON_AddItemToObject(source, "principals", cJSON_CreateStringArray(principals, 2));
        cJSON *from = cJSON_CreateObject();
        cJSON_AddItemToObject(from, "source", source);
        cJSON *rule = cJSON_CreateObject();
        cJSON_AddItemToObject(rule, "from", cJSON_CreateArray());
        cJSON_AddItemToArray(cJSON_GetObjectItem(rule, "from"), from);
        cJSON_AddItemToObject(rule, "when", cJSON_CreateArray());
        cJSON_AddItemToArray(cJSON_GetObjectItem(rule, "when"), when);
        cJSON *spec = cJSON_AddObjectToObject(p, "spec");
        cJSON_AddItemToObject(spec, "rules", cJSON_CreateArray());
        cJSON_AddItemToArray(cJSON_GetObjectItem(spec, "rules"), rule);
        body = cJSON_PrintUnformatted(p);
        cJSON_Delete(p);
    }
    free(c->answer.body);
    c->answer = (struct upstream_result){0};
    api_kube_call(r, c->removing ? "DELETE" : "POST", path, body, &c->answer, policy_done);
    free(body);
}

/*
 * Who is to be added or removed, from the request's body: Kubeflow's {"contributor": "<email>"}
 * (role edit; what Kubeflow's dashboard accepts, with its messages), or kfdash's {"user", "role":
 * "contributor" | "viewer"}. A reply sent and NULL when the body says neither.
 */
static const char *person_of(struct http_request *r, const cJSON *body, enum shape shape,
                             const char **ret_role)
{
    if (shape == SHAPE_KUBEFLOW) {
        const cJSON *who = cJSON_GetObjectItemCaseSensitive(body, "contributor");
        *ret_role = "edit";
        if (!who || cJSON_IsNull(who) || cJSON_IsFalse(who) ||
            (cJSON_IsString(who) && !*who->valuestring)) {
            http_reply_error(r, 400, "Missing contributor field.");
            return NULL;
        }
        if (!cJSON_IsString(who) || !kfam_email_is_valid(who->valuestring) ||
            !user_name_ok(who->valuestring)) {
            http_reply_error(r, 400, "Contributor doesn't look like a valid email address");
            return NULL;
        }
        return who->valuestring;
    }
    const cJSON *who = cJSON_GetObjectItemCaseSensitive(body, "user");
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(body, "role");
    bool viewer = cJSON_IsString(role) && strcmp(role->valuestring, "viewer") == 0;
    *ret_role = viewer ? "view" : "edit";
    if (!cJSON_IsString(who) || !user_name_ok(who->valuestring) ||
        (role && !viewer &&
         !(cJSON_IsString(role) && strcmp(role->valuestring, "contributor") == 0))) {
        http_reply_error(
            r, 400, "send {\"user\": \"<user email>\", \"role\": \"contributor\" or \"viewer\"}");
        return NULL;
    }
    return who->valuestring;
}

/* Adds or removes one person: the RoleBinding and Istio AuthorizationPolicy KFAM would write. */
static void change_contributor(struct http_request *r, bool removing, enum shape shape)
{
    const struct k8s_snapshot *s = snapshot_or_503(r);
    if (!s) return;
    const struct identity *who = http_request_identity(r);
    const char *ns = http_request_param(r, "namespace"); /* the gate saw the caller own it */
    if (!k8s_snapshot_profile(s, ns, NULL)) {
        http_reply_error(r, 404, "no such profile");
        return;
    }
    size_t len;
    const char *text = http_request_body(r, &len);
    cJSON *body = cJSON_ParseWithLength(text, len);
    const char *role = NULL;
    const char *user = person_of(r, body, shape, &role);
    if (!user) {
        cJSON_Delete(body);
        return;
    }
    struct change *c = calloc(1, sizeof(*c));
    if (!c || kfam_binding_name(user, role, c->name, sizeof(c->name)) < 0) {
        http_reply_error(r, c ? 400 : 500, c ? "the user name is too long" : "out of memory");
        free(c);
        cJSON_Delete(body);
        return;
    }
    c->shape = shape;
    snprintf(c->ns, sizeof(c->ns), "%s", ns);
    snprintf(c->email, sizeof(c->email), "%s", user);
    snprintf(c->role, sizeof(c->role), "%s", role);
    c->removing = removing;
    cJSON_Delete(body);
    if (!removing && strcmp(c->email, who->email) == 0 &&
        k8s_snapshot_role(s, who->email, NULL, 0, ns) == K8S_ROLE_OWNER) {
        free(c);
        http_reply_error(r, 400, "the owner already has every right in the profile");
        return;
    }
    char path[PATH_MAX_BYTES];
    snprintf(path, sizeof(path),
             "/apis/rbac.authorization.k8s.io/v1/namespaces/%s/rolebindings%s%s", ns,
             removing ? "/" : "", removing ? c->name : "");
    char *json = NULL;
    if (!removing) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "apiVersion", "rbac.authorization.k8s.io/v1");
        cJSON_AddStringToObject(b, "kind", "RoleBinding");
        cJSON *meta = cJSON_AddObjectToObject(b, "metadata");
        cJSON_AddStringToObject(meta, "name", c->name);
        cJSON_AddStringToObject(meta, "namespace", ns);
        cJSON *ann = cJSON_AddObjectToObject(meta, "annotations");
        cJSON_AddStringToObject(ann, "user", c->email);
        cJSON_AddStringToObject(ann, "role", role);
        cJSON *ref = cJSON_AddObjectToObject(b, "roleRef");
        cJSON_AddStringToObject(ref, "apiGroup", "rbac.authorization.k8s.io");
        cJSON_AddStringToObject(ref, "kind", "ClusterRole");
        char cluster_role[32];
        snprintf(cluster_role, sizeof(cluster_role), "kubeflow-%s", role);
        cJSON_AddStringToObject(ref, "name", cluster_role);
        cJSON *subject = cJSON_CreateObject();
        cJSON_AddStringToObject(subject, "apiGroup", "rbac.authorization.k8s.io");
        cJSON_AddStringToObject(subject, "kind", "User");
        cJSON_AddStringToObject(subject, "name", c->email);
        cJSON *subjects = cJSON_AddArrayToObject(b, "subjects");
        cJSON_AddItemToArray(subjects, subject);
        json = cJSON_PrintUnformatted(b);
        cJSON_Delete(b);
    }
    http_request_set_context(r, c, change_free);
    api_kube_call(r, removing ? "DELETE" : "POST", path, json, &c->answer, binding_done);
    free(json);
}

void api_workgroup_add_contributor(struct http_request *r)
{
    change_contributor(r, false, SHAPE_KUBEFLOW);
}

void api_workgroup_remove_contributor(struct http_request *r)
{
    change_contributor(r, true, SHAPE_KUBEFLOW);
}

void api_profiles_add_contributor(struct http_request *r)
{
    change_contributor(r, false, SHAPE_KFDASH);
}

void api_profiles_remove_contributor(struct http_request *r)
{
    change_contributor(r, true, SHAPE_KFDASH);
}

/* ---------------------------------------------------------------- profiles */

/* Self-registrations under way: a Profile just made reaches the snapshot only when its watch
 * event does, so until then it counts here, or a user firing requests in parallel would get
 * past kubeflow.max_profiles_per_user. */
#define CLAIMS_MAX  256
#define CLAIM_TTL_S 60
struct claim {
    char owner[NAME_MAX_BYTES];
    char ns[NAME_MAX_BYTES];
    time_t at; /* 0 = free slot */
};
struct api_workgroup {
    pthread_mutex_t claims_lock;
    struct claim claims[CLAIMS_MAX];
};

int api_workgroup_new(struct api_workgroup **ret)
{
    *ret = calloc(1, sizeof(**ret));
    if (!*ret) return -ENOMEM;
    pthread_mutex_init(&(*ret)->claims_lock, NULL);
    return 0;
}

void api_workgroup_free(struct api_workgroup *w)
{
    if (!w) return;
    pthread_mutex_destroy(&w->claims_lock);
    free(w);
}

/* Counts the owner's profiles, those in the snapshot and those on their way, and claims one
 * more for ns when that stays within the limit. */
static bool registration_claim(struct api_workgroup *w, long max, const struct k8s_snapshot *s,
                               const char *owner, const char *ns)
{
    time_t now = time(NULL);
    size_t have = k8s_snapshot_profiles_owned(s, owner), slot = CLAIMS_MAX;
    pthread_mutex_lock(&w->claims_lock);
    for (size_t i = 0; i < CLAIMS_MAX; i++) {
        struct claim *c = &w->claims[i];
        if (c->at && (now - c->at > CLAIM_TTL_S || k8s_snapshot_profile_object(s, c->ns)))
            c->at = 0; /* arrived (counted above) or given up */
        if (c->at && strcmp(c->owner, owner) == 0) have++;
        if (!c->at && slot == CLAIMS_MAX) slot = i;
    }
    bool ok = have < (size_t)max && slot < CLAIMS_MAX;
    if (ok) {
        snprintf(w->claims[slot].owner, sizeof(w->claims[slot].owner), "%s", owner);
        snprintf(w->claims[slot].ns, sizeof(w->claims[slot].ns), "%s", ns);
        w->claims[slot].at = now;
    }
    pthread_mutex_unlock(&w->claims_lock);
    return ok;
}

static void registration_release(struct api_workgroup *w, const char *owner, const char *ns)
{
    pthread_mutex_lock(&w->claims_lock);
    for (size_t i = 0; i < CLAIMS_MAX; i++)
        if (w->claims[i].at && strcmp(w->claims[i].owner, owner) == 0 &&
            strcmp(w->claims[i].ns, ns) == 0)
            w->claims[i].at = 0;
    pthread_mutex_unlock(&w->claims_lock);
}

static void created(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct change *c = http_request_context(r);
    if (c->claimed && (c->answer.error || c->answer.status != 201))
        registration_release(k->workgroup, c->email, c->ns);
    if (c->answer.error || c->answer.status != 201) {
        if (!c->answer.error && c->answer.status == 409)
            http_reply_error(r, 409, "a profile with this name exists already");
        else
            api_kube_failure(r, &c->answer, "cannot create the profile");
        return;
    }
    cJSON *j = cJSON_CreateObject();
    if (c->shape == SHAPE_KUBEFLOW) {
        char message[NAME_MAX_BYTES + 32];
        snprintf(message, sizeof(message), "Created namespace %s", c->ns);
        cJSON_AddStringToObject(j, "message", message);
        http_reply_json(r, 200, j);
        return;
    }
    cJSON_AddStringToObject(j, "namespace", c->ns);
    cJSON_AddStringToObject(j, "owner", c->email);
    http_reply_json(r, 201, j);
}

/* No namespace of that name is listed: the Profile may be made. */
static void namespace_checked(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct change *c = http_request_context(r);
    long status = c->answer.error ? 0 : c->answer.status;
    cJSON *list = status == 200 ? cJSON_ParseWithLength(c->answer.body, c->answer.len) : NULL;
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items");
    int found = cJSON_IsArray(items) ? cJSON_GetArraySize(items) : -1;
    cJSON_Delete(list);
    if (found != 0) {
        if (c->claimed) registration_release(k->workgroup, c->email, c->ns);
        if (found > 0) {
            char message[512];
            snprintf(message, sizeof(message),
                     "the namespace %s exists already and is not a profile of yours", c->ns);
            http_reply_error(r, 409, message);
        } else {
            api_kube_failure(r, &c->answer, "cannot check the namespace");
        }
        return;
    }
    free(c->answer.body);
    c->answer = (struct upstream_result){0};
    char *json = kfam_profile_json(c->ns, c->email);
    api_kube_call(r, "POST", "/apis/kubeflow.org/v1/profiles", json, &c->answer, created);
    free(json);
}

/* Registers a profile: as Kubeflow (its default name is the username, kfam_username) or as
 * kfdash (the email's local part made a valid name, kfam_profile_name). */
static void create(struct http_request *r, enum shape shape)
{
    const struct kfdash *k = kfdash_of(r);
    const struct k8s_snapshot *s = snapshot_or_503(r);
    if (!s) return;
    const struct identity *who = http_request_identity(r);
    bool admin = kube_is_cluster_admin(k->kube, who);
    if (!k->cfg->registration_flow && !admin) {
        http_reply_error(r, 403, "registration is turned off here; ask a cluster admin");
        return;
    }
    size_t len;
    const char *text = http_request_body(r, &len);
    cJSON *body = len ? cJSON_ParseWithLength(text, len) : cJSON_CreateObject();
    const cJSON *ns = cJSON_GetObjectItemCaseSensitive(body, "namespace");
    const cJSON *owner = cJSON_GetObjectItemCaseSensitive(body, "user");
    struct change *c = calloc(1, sizeof(*c));
    const char *bad = !c || !cJSON_IsObject(body) ? "send a JSON object"
                      : owner && !admin           ? "only a cluster admin may name another owner"
                      : owner && (!cJSON_IsString(owner) || !user_name_ok(owner->valuestring))
                          ? "user: a user name"
                          : NULL;
    if (!bad) {
        snprintf(c->email, sizeof(c->email), "%s", owner ? owner->valuestring : who->email);
        c->shape = shape;
        /* Kubeflow takes `namespace || username`: null and "" are no name. */
        if (shape == SHAPE_KUBEFLOW &&
            (cJSON_IsNull(ns) || (cJSON_IsString(ns) && !*ns->valuestring)))
            ns = NULL;
        if (cJSON_IsString(ns))
            snprintf(c->ns, sizeof(c->ns), "%s", ns->valuestring);
        else if (ns)
            bad = "namespace: a name";
        else if (shape == SHAPE_KUBEFLOW)
            kfam_username(c->email, c->ns, sizeof(c->ns)); /* cut at 253: not a name either */
        else if (kfam_profile_name(c->email, c->ns, sizeof(c->ns)) < 0)
            bad = "namespace: a name";
        if (!bad && !k8s_name_is_dns_label(c->ns))
            bad = "namespace: 1-63 lowercase letters, digits or '-', starting and ending with a "
                  "letter or digit";
    }
    cJSON_Delete(body);
    if (bad) {
        free(c);
        http_reply_error(r, 400, bad);
        return;
    }
    char why[K8S_GUARD_WHY_MAX];
    int e = k8s_guard_new_profile(kube_guard(k->kube), s, c->ns, c->email, why, sizeof(why));
    if (e == 0 && !admin &&
        !registration_claim(k->workgroup, k->cfg->max_profiles_per_user, s, c->email, c->ns)) {
        e = -EDQUOT;
        snprintf(why, sizeof(why),
                 "you may register at most %ld profile%s; ask a cluster admin for another",
                 k->cfg->max_profiles_per_user, k->cfg->max_profiles_per_user == 1 ? "" : "s");
    }
    if (e < 0) {
        free(c);
        http_reply_error(r, e == -EEXIST ? 409 : 403, why);
        return;
    }
    c->claimed = !admin;
    /* The cache may not know yet of a namespace made a moment ago: the API server says. */
    char path[512];
    snprintf(path, sizeof(path), "/api/v1/namespaces?fieldSelector=metadata.name%%3D%s", c->ns);
    http_request_set_context(r, c, change_free);
    api_kube_call(r, "GET", path, NULL, &c->answer, namespace_checked);
}

void api_workgroup_create(struct http_request *r)
{
    create(r, SHAPE_KUBEFLOW);
}

void api_profiles_create(struct http_request *r)
{
    create(r, SHAPE_KFDASH);
}

void api_workgroup_get_all_namespaces(struct http_request *r)
{
    const struct k8s_snapshot *s = snapshot_or_503(r); /* cluster admins only: routes.c */
    if (!s) return;
    cJSON *all = cJSON_CreateArray();
    size_t n = k8s_snapshot_profile_count(s);
    for (size_t i = 0; all && i < n; i++) {
        const char *owner = NULL;
        const char *ns = k8s_snapshot_profile_at(s, i, &owner);
        cJSON *people = contributors(s, ns, NULL, SHAPE_KFDASH);
        char joined[4096] = "";
        const cJSON *p;
        cJSON_ArrayForEach(p, people)
        {
            const char *user = cJSON_GetObjectItem(p, "user")->valuestring;
            size_t used = strlen(joined);
            snprintf(joined + used, sizeof(joined) - used, "%s%s", used ? ", " : "", user);
        }
        cJSON_Delete(people);
        const char *row[] = {ns, owner ? owner : "", joined};
        cJSON_AddItemToArray(all, cJSON_CreateStringArray(row, 3));
    }
    http_reply_json(r, 200, all);
}

static void profile_deleted(struct http_request *r)
{
    struct change *c = http_request_context(r);
    /* A delete that got no answer at all failed as much as one the API server refused. */
    if (c->answer.error ||
        !(c->answer.status == 200 || c->answer.status == 202 || c->answer.status == 404)) {
        api_kube_failure(r, &c->answer, "cannot delete the profile");
        return;
    }
    if (c->shape == SHAPE_KFDASH) {
        http_reply_static(r, 204, NULL, "", 0, NULL);
        return;
    }
    /* Kubeflow answers {message, serverBody: KFAM's body}; KFAM's body is empty, so Express
     * leaves serverBody out. */
    char message[NAME_MAX_BYTES + 40];
    snprintf(message, sizeof(message), "Removed namespace/profile %s", c->ns);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "message", message);
    http_reply_json(r, 200, j);
}

/* Deletes the Profile ns (and so, through profile-controller, its namespace) with kfdash's own
 * rights, for a caller who owns it (or a cluster admin: the gate, or the caller, checked). */
static void delete_profile(struct http_request *r, const char *ns, enum shape shape)
{
    struct change *c = calloc(1, sizeof(*c));
    if (!c) {
        http_reply_error(r, 500, "out of memory");
        return;
    }
    snprintf(c->ns, sizeof(c->ns), "%s", ns);
    c->shape = shape;
    char path[PATH_MAX_BYTES];
    snprintf(path, sizeof(path), "/apis/kubeflow.org/v1/profiles/%s", c->ns);
    http_request_set_context(r, c, change_free);
    api_kube_call(r, "DELETE", path, NULL, &c->answer, profile_deleted);
}

/* Kubeflow's nuke-self: the profile named after the caller's username, when the caller owns it
 * (KFAM would also let a cluster admin delete someone else's profile of that name; "self" does
 * not). */
void api_workgroup_nuke_self(struct http_request *r)
{
    const struct k8s_snapshot *s = snapshot_or_503(r);
    if (!s) return;
    const struct identity *who = http_request_identity(r);
    char name[NAME_MAX_BYTES] = "";
    const char *owner = NULL;
    kfam_username(who->email, name, sizeof(name));
    if (!*name || !k8s_snapshot_profile(s, name, &owner) || !owner ||
        strcmp(owner, who->email) != 0) {
        char message[NAME_MAX_BYTES + 64];
        snprintf(message, sizeof(message), "you own no profile named %s", *name ? name : "(none)");
        http_reply_error(r, 404, message);
        return;
    }
    delete_profile(r, name, SHAPE_KUBEFLOW);
}

void api_profiles_delete(struct http_request *r)
{
    const struct k8s_snapshot *s;
    const char *ns = api_namespace(r, &s); /* the gate saw the caller own it, or an admin */
    if (!ns) return;
    if (!k8s_snapshot_profile(s, ns, NULL)) {
        http_reply_error(r, 404, "no such profile");
        return;
    }
    delete_profile(r, ns, SHAPE_KFDASH);
}

/* ---------------------------------------------------------------- activities */

/* Kubeflow's answer: the namespace's Event objects as the API server lists them (its page reads
 * lastTimestamp, type and message), here newest first and at most EVENTS_MAX. */
static void events_in(struct http_request *r)
{
    struct change *c = http_request_context(r);
    if (c->answer.error || c->answer.status != 200) {
        api_kube_failure(r, &c->answer, "cannot list the events");
        return;
    }
    cJSON *j = cJSON_ParseWithLength(c->answer.body, c->answer.len);
    cJSON *items = cJSON_DetachItemFromObjectCaseSensitive(j, "items");
    cJSON_Delete(j);
    size_t n = cJSON_IsArray(items) ? (size_t)cJSON_GetArraySize(items) : 0;
    const cJSON **sorted = calloc(n + 1, sizeof(*sorted));
    size_t k = 0;
    const cJSON *e;
    if (sorted) cJSON_ArrayForEach(e, items) sorted[k++] = e;
    k8s_events_newest_first(sorted, k);
    cJSON *out = sorted ? cJSON_CreateArray() : NULL;
    for (size_t i = 0; out && i < k && i < EVENTS_MAX; i++)
        cJSON_AddItemToArray(out, cJSON_Duplicate(sorted[i], 1));
    free(sorted);
    cJSON_Delete(items);
    if (!out) {
        http_reply_error(r, 500, "out of memory");
        return;
    }
    http_reply_json(r, 200, out);
}

/* Asks the API server about ns (as kfdash, or as the caller when as is set) for a caller
 * who may look into it; next reads the answer from the request's struct change. */
static void ask_about_namespace(struct http_request *r, const struct identity *as,
                                const char *method, const char *path, const char *body,
                                http_next_fn next)
{
    struct change *c = calloc(1, sizeof(*c));
    if (!c) {
        http_reply_error(r, 500, "out of memory");
        return;
    }
    snprintf(c->ns, sizeof(c->ns), "%s", http_request_param(r, "namespace"));
    http_request_set_context(r, c, change_free);
    api_kube_call_as(r, as, method, path, body, &c->answer, next);
}

void api_activities(struct http_request *r)
{
    const struct k8s_snapshot *s;
    const char *ns = api_namespace(r, &s);
    if (!ns) return;
    char path[PATH_MAX_BYTES];
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events?limit=%d", ns, EVENTS_MAX);
    ask_about_namespace(r, NULL, "GET", path, NULL, events_in);
}

/* ---------------------------------------------------------------- what the user may do */

static void rules_in(struct http_request *r)
{
    struct change *c = http_request_context(r);
    if (c->answer.error || c->answer.status != 201) {
        api_kube_failure(r, &c->answer, "cannot review your rights");
        return;
    }
    cJSON *j = cJSON_ParseWithLength(c->answer.body, c->answer.len);
    cJSON *status = cJSON_DetachItemFromObjectCaseSensitive(j, "status");
    cJSON_Delete(j);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "namespace", c->ns);
    cJSON *rules = cJSON_DetachItemFromObjectCaseSensitive(status, "resourceRules");
    cJSON_AddItemToObject(out, "rules", rules ? rules : cJSON_CreateArray());
    cJSON_AddBoolToObject(out, "incomplete",
                          cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(status, "incomplete")));
    cJSON_Delete(status);
    http_reply_json(r, 200, out);
}

void api_rules(struct http_request *r)
{
    const struct k8s_snapshot *s;
    const char *ns = api_namespace(r, &s);
    if (!ns) return;
    char body[512];
    snprintf(body, sizeof(body),
             "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectRulesReview\","
             "\"spec\":{\"namespace\":\"%s\"}}",
             ns);
    ask_about_namespace(r, http_request_identity(r), "POST",
                        "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", body, rules_in);
}
