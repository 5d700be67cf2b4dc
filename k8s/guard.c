/* k8s/guard: where kfdash may write with its own rights; see guard.h. */
#include "k8s/guard.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "k8s/access.h"

#define SEGMENTS_MAX 9
#define SEGMENT_MAX  254

/* An API path cut into its parts. */
struct api_path {
    const char *group; /* "" for the core group */
    const char *ns;    /* NULL for a cluster-scoped resource */
    const char *resource;
    const char *name; /* NULL for the collection */
    bool sub;         /* a subresource follows the name */
    char store[SEGMENTS_MAX][SEGMENT_MAX];
};

static int refuse(char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return -EPERM;
}

/* /api/v1/[namespaces/<ns>/]<resource>[/<name>[/<sub>]] or /apis/<group>/<version>/... */
static bool parse_path(const char *path, struct api_path *p)
{
    memset(p, 0, sizeof(*p));
    size_t n = 0, len = strcspn(path, "?");
    const char *at = path;
    if (len == 0 || *at != '/') return false;
    while (at < path + len) {
        at++; /* the '/' */
        size_t seg = strcspn(at, "/?");
        if (seg == 0 || seg >= SEGMENT_MAX || n == SEGMENTS_MAX) return false;
        memcpy(p->store[n], at, seg);
        p->store[n][seg] = '\0';
        if (strcmp(p->store[n], ".") == 0 || strcmp(p->store[n], "..") == 0) return false;
        n++;
        at += seg;
    }
    size_t i;
    if (n >= 2 && strcmp(p->store[0], "api") == 0) {
        p->group = "";
        i = 2;
    } else if (n >= 3 && strcmp(p->store[0], "apis") == 0) {
        p->group = p->store[1];
        i = 3;
    } else {
        return false;
    }
    if (n >= i + 3 && strcmp(p->store[i], "namespaces") == 0) {
        p->ns = p->store[i + 1];
        i += 2;
    }
    if (i >= n || n > i + 3) return false;
    p->resource = p->store[i];
    p->name = i + 1 < n ? p->store[i + 1] : NULL;
    p->sub = i + 2 < n;
    return true;
}

static bool is(const struct api_path *p, const char *group, const char *resource)
{
    return strcmp(p->group, group) == 0 && strcmp(p->resource, resource) == 0;
}

static const char *json_str(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b) v = cJSON_GetObjectItemCaseSensitive(v, b);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool k8s_guard_reserved(const struct k8s_guard *g, const char *ns)
{
    if ((g->own_namespace && strcmp(ns, g->own_namespace) == 0) ||
        (g->dex_namespace && strcmp(ns, g->dex_namespace) == 0))
        return true;
    for (size_t i = 0; i < g->n_reserved; i++) {
        const char *r = g->reserved[i];
        size_t n = strlen(r);
        if (n && r[n - 1] == '*' ? strncmp(ns, r, n - 1) == 0 : strcmp(ns, r) == 0) return true;
    }
    return false;
}

int k8s_guard_new_profile(const struct k8s_guard *g, const struct k8s_snapshot *s, const char *name,
                          const char *owner, char *why, size_t size)
{
    const char *holder = NULL;
    if (k8s_guard_reserved(g, name)) {
        snprintf(why, size, "the namespace %s is reserved for the platform", name);
        return -EACCES;
    }
    if (k8s_snapshot_profile_object(s, name)) {
        snprintf(why, size, "a profile called %s exists already", name);
        return -EEXIST;
    }
    if (k8s_snapshot_namespace(s, name, &holder) && (!holder || strcmp(holder, owner) != 0)) {
        snprintf(why, size, "the namespace %s exists already and is not a profile of yours", name);
        return -EEXIST;
    }
    return 0;
}

/* A RoleBinding kfdash may make: one to kubeflow-edit or kubeflow-view, in its own namespace. */
static int check_binding(const cJSON *b, const char *ns, char *why, size_t size)
{
    const char *kind = json_str(b, "roleRef", "kind"), *role = json_str(b, "roleRef", "name");
    const char *in = json_str(b, "metadata", "namespace");
    if (!kind || !role || strcmp(kind, "ClusterRole") != 0 ||
        (strcmp(role, "kubeflow-edit") != 0 && strcmp(role, "kubeflow-view") != 0))
        return refuse(why, size, "kfdash binds only kubeflow-edit and kubeflow-view");
    if (in && strcmp(in, ns) != 0) return refuse(why, size, "the binding names another namespace");
    return 0;
}

static int check_profile(const struct k8s_guard *g, const struct k8s_snapshot *s,
                         const char *method, const struct api_path *p, const cJSON *body, char *why,
                         size_t size)
{
    if (strcmp(method, "POST") == 0 && !p->name) {
        const char *name = json_str(body, "metadata", "name");
        const cJSON *owner = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(body, "spec"), "owner");
        const char *kind = json_str(owner, "kind", NULL), *user = json_str(owner, "name", NULL);
        if (!name || !user || !kind || strcmp(kind, "User") != 0)
            return refuse(why, size, "a new profile needs a name and a User owner");
        return k8s_guard_new_profile(g, s, name, user, why, size) == 0 ? 0 : -EPERM;
    }
    if (strcmp(method, "DELETE") == 0 && p->name && !p->sub) {
        if (k8s_snapshot_profile(s, p->name, NULL)) return 0;
        return refuse(why, size, "%s is not a profile", p->name);
    }
    return refuse(why, size, "kfdash only creates and deletes profiles");
}

int k8s_guard_write(const struct k8s_guard *g, const struct k8s_snapshot *s, const char *method,
                    const char *path, const char *body, char *why, size_t size)
{
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) return 0;
    struct api_path p;
    if (!parse_path(path, &p)) return refuse(why, size, "not an API path kfdash writes to");
    if (!p.ns && !p.name && strcmp(method, "POST") == 0 &&
        (is(&p, "authorization.k8s.io", "subjectaccessreviews") ||
         is(&p, "authentication.k8s.io", "tokenreviews")))
        return 0;
    cJSON *j = body ? cJSON_Parse(body) : NULL;
    int e;
    if (body && !j) {
        e = refuse(why, size, "the body is not JSON");
    } else if (is(&p, "kubeflow.org", "profiles") && !p.ns) {
        e = check_profile(g, s, method, &p, j, why, size);
    } else if (!p.ns) {
        e = refuse(why, size, "kfdash writes no cluster-wide %s", p.resource);
    } else if (is(&p, "rbac.authorization.k8s.io", "rolebindings") ||
               is(&p, "security.istio.io", "authorizationpolicies")) {
        e = k8s_snapshot_profile(s, p.ns, NULL) ? 0
                                                : refuse(why, size, "%s is not a profile", p.ns);
        if (e == 0 && j && is(&p, "rbac.authorization.k8s.io", "rolebindings"))
            e = check_binding(j, p.ns, why, size);
    } else if (is(&p, "dex.coreos.com", "passwords")) {
        e = g->dex_namespace && *g->dex_namespace && strcmp(p.ns, g->dex_namespace) == 0
                ? 0
                : refuse(why, size, "Dex's users live only in its own namespace");
    } else if (is(&p, "", "secrets")) {
        e = g->own_namespace && *g->own_namespace && strcmp(p.ns, g->own_namespace) == 0
                ? 0
                : refuse(why, size, "kfdash writes Secrets only in its own namespace");
    } else {
        e = refuse(why, size, "kfdash does not write %s", p.resource);
    }
    cJSON_Delete(j);
    return e;
}
