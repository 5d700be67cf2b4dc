/* k8s/access: profile roles from Profiles and RoleBindings; see access.h. */
#include "k8s/access.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "k8s/watch.h"

#define TABLE_SLOTS  4096 /* hash chains of the mutable state; entries are unbounded */
#define SUBJECTS_MAX 64   /* subjects kept per RoleBinding */

/* ---------------------------------------------------------------- mutable state */

/* A Profile or a RoleBinding that matters, keyed by name (Profiles) or ns/name (bindings). */
struct entry {
    char *key;                    /* names the object */
    char *ns;                     /* the namespace it grants (the Profile's own name) */
    enum k8s_role role;           /* what it grants */
    char *subjects[SUBJECTS_MAX]; /* "u:name" or "g:name" */
    size_t n_subjects;
    struct entry *next; /* in its chain */
};

struct table {
    struct entry *slots[TABLE_SLOTS];
    size_t n;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void entry_free(struct entry *e)
{
    if (!e) return;
    for (size_t i = 0; i < e->n_subjects; i++) free(e->subjects[i]);
    free(e->key);
    free(e->ns);
    free(e);
}

/* Replaces the entry with e's key by e (NULL e: removes key). Takes e. */
static void table_put(struct table *t, const char *key, struct entry *e)
{
    struct entry **pp = &t->slots[hash(key) % TABLE_SLOTS];
    for (; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->key, key) == 0) {
            struct entry *old = *pp;
            *pp = old->next;
            entry_free(old);
            t->n--;
            break;
        }
    }
    if (!e) return;
    e->next = t->slots[hash(key) % TABLE_SLOTS];
    t->slots[hash(key) % TABLE_SLOTS] = e;
    t->n++;
}

static void table_clear(struct table *t)
{
    for (size_t i = 0; i < TABLE_SLOTS; i++) {
        while (t->slots[i]) {
            struct entry *e = t->slots[i];
            t->slots[i] = e->next;
            entry_free(e);
        }
    }
    t->n = 0;
}

/* ---------------------------------------------------------------- snapshots */

struct grant {
    const char *subject; /* "u:..." or "g:..." */
    const char *ns;
    enum k8s_role role;
};

struct profile {
    const char *name;
    const char *owner; /* "u:..." or "g:...", or NULL */
};

/* A Namespace, with the profile controller's `owner` annotation (NULL when it has none). */
struct nsrec {
    const char *name;
    const char *owner;
};

struct k8s_snapshot {
    struct grant *grants; /* sorted by subject, then ns; only in verified profiles */
    struct grant *by_ns;  /* the same, sorted by ns (who is in a namespace) */
    size_t n_grants;
    struct profile *profiles; /* verified profiles, sorted by name */
    size_t n_profiles;
    struct profile *objects; /* every Profile object, verified or not, sorted by name */
    size_t n_objects;
    struct nsrec *namespaces; /* every Namespace, sorted by name */
    size_t n_namespaces;
    char **strings; /* every string above, owned */
    size_t n_strings;
    time_t retired;            /* when replaced; 0 while current */
    struct k8s_snapshot *next; /* in access.retired */
};

static void snapshot_free(struct k8s_snapshot *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n_strings; i++) free(s->strings[i]);
    free(s->strings);
    free(s->grants);
    free(s->by_ns);
    free(s->profiles);
    free(s->objects);
    free(s->namespaces);
    free(s);
}

struct k8s_access {
    struct k8s_watch *profiles_watch;
    struct k8s_watch *bindings_watch;
    struct k8s_watch *namespaces_watch;
    pthread_mutex_t lock;                   /* guards the tables and retired */
    struct table profiles;                  /* by name */
    struct table bindings;                  /* by ns/name */
    struct table namespaces;                /* by name; subjects[0]: the owner annotation */
    _Atomic(struct k8s_snapshot *) current; /* what readers see */
    struct k8s_snapshot *retired;           /* replaced, freed after the grace */
};

static int by_subject_then_ns(const void *a, const void *b)
{
    const struct grant *x = a, *y = b;
    int c = strcmp(x->subject, y->subject);
    return c ? c : strcmp(x->ns, y->ns);
}

static int by_ns_then_subject(const void *a, const void *b)
{
    const struct grant *x = a, *y = b;
    int c = strcmp(x->ns, y->ns);
    return c ? c : strcmp(x->subject, y->subject);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct profile *)a)->name, ((const struct profile *)b)->name);
}

static int by_ns_name(const void *a, const void *b)
{
    return strcmp(((const struct nsrec *)a)->name, ((const struct nsrec *)b)->name);
}

static const struct nsrec *find_namespace(const struct k8s_snapshot *s, const char *name)
{
    struct nsrec key = {name, NULL};
    return s->n_namespaces
               ? bsearch(&key, s->namespaces, s->n_namespaces, sizeof(*s->namespaces), by_ns_name)
               : NULL;
}

static const struct profile *find_in(const struct profile *list, size_t n, const char *name)
{
    struct profile key = {name, NULL};
    return n ? bsearch(&key, list, n, sizeof(*list), by_name) : NULL;
}

/* The profile controller made ns for this Profile: the Namespace exists and its `owner`
 * annotation names the Profile's owner. Anything else (a Profile made for a namespace that was
 * there before, or whose namespace someone else holds) grants nothing. */
static bool verified(const struct k8s_snapshot *s, const struct profile *p)
{
    const struct nsrec *n = find_namespace(s, p->name);
    return p->owner && n && n->owner && strcmp(n->owner, p->owner + 2) == 0;
}

/* Copies s into the snapshot's strings. */
static const char *keep(struct k8s_snapshot *s, size_t *cap, const char *text)
{
    if (s->n_strings == *cap) {
        size_t n = *cap ? *cap * 2 : 1024;
        char **more = realloc(s->strings, n * sizeof(char *));
        if (!more) return NULL;
        s->strings = more;
        *cap = n;
    }
    char *copy = strdup(text);
    if (copy) s->strings[s->n_strings++] = copy;
    return copy;
}

/* Builds a snapshot from the tables; caller holds the lock. NULL when out of memory. */
static struct k8s_snapshot *build(struct k8s_access *a)
{
    struct k8s_snapshot *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    size_t n_grants = a->profiles.n;
    for (size_t i = 0; i < TABLE_SLOTS; i++)
        for (const struct entry *e = a->bindings.slots[i]; e; e = e->next)
            n_grants += e->n_subjects;
    s->grants = calloc(n_grants + 1, sizeof(*s->grants));
    s->profiles = calloc(a->profiles.n + 1, sizeof(*s->profiles));
    s->objects = calloc(a->profiles.n + 1, sizeof(*s->objects));
    s->namespaces = calloc(a->namespaces.n + 1, sizeof(*s->namespaces));
    size_t cap = 0;
    bool ok = s->grants && s->profiles && s->objects && s->namespaces;
    /* Namespaces first, then the Profiles they verify, then the bindings in those. */
    for (size_t i = 0; ok && i < TABLE_SLOTS; i++) {
        for (const struct entry *e = a->namespaces.slots[i]; ok && e; e = e->next) {
            struct nsrec *n = &s->namespaces[s->n_namespaces++];
            n->name = keep(s, &cap, e->ns);
            n->owner = e->n_subjects ? keep(s, &cap, e->subjects[0]) : NULL;
            ok = n->name && (!e->n_subjects || n->owner);
        }
    }
    if (ok) qsort(s->namespaces, s->n_namespaces, sizeof(*s->namespaces), by_ns_name);
    for (size_t i = 0; ok && i < TABLE_SLOTS; i++) {
        for (const struct entry *e = a->profiles.slots[i]; ok && e; e = e->next) {
            struct profile *p = &s->objects[s->n_objects++];
            p->name = keep(s, &cap, e->ns);
            p->owner = e->n_subjects ? keep(s, &cap, e->subjects[0]) : NULL;
            ok = p->name && (!e->n_subjects || p->owner);
            if (!ok || !verified(s, p)) continue;
            s->profiles[s->n_profiles++] = *p;
            s->grants[s->n_grants++] = (struct grant){p->owner, p->name, K8S_ROLE_OWNER};
        }
    }
    if (ok) {
        qsort(s->objects, s->n_objects, sizeof(*s->objects), by_name);
        qsort(s->profiles, s->n_profiles, sizeof(*s->profiles), by_name);
    }
    for (size_t i = 0; ok && i < TABLE_SLOTS; i++) {
        for (const struct entry *e = a->bindings.slots[i]; ok && e; e = e->next) {
            /* Roles count only inside a verified profile namespace. */
            if (!find_in(s->profiles, s->n_profiles, e->ns)) continue;
            const char *ns = keep(s, &cap, e->ns);
            ok = ns != NULL;
            for (size_t j = 0; ok && j < e->n_subjects; j++) {
                const char *subject = keep(s, &cap, e->subjects[j]);
                ok = subject != NULL;
                if (ok) s->grants[s->n_grants++] = (struct grant){subject, ns, e->role};
            }
        }
    }
    if (!ok) {
        snapshot_free(s);
        return NULL;
    }
    qsort(s->grants, s->n_grants, sizeof(*s->grants), by_subject_then_ns);
    s->by_ns = malloc((s->n_grants + 1) * sizeof(*s->by_ns));
    if (!s->by_ns) {
        snapshot_free(s);
        return NULL;
    }
    memcpy(s->by_ns, s->grants, s->n_grants * sizeof(*s->grants));
    qsort(s->by_ns, s->n_grants, sizeof(*s->by_ns), by_ns_then_subject);
    return s;
}

/* Swaps a new snapshot in; frees retired ones past their grace. */
static void publish(struct k8s_access *a)
{
    pthread_mutex_lock(&a->lock);
    struct k8s_snapshot *fresh = build(a);
    if (fresh) {
        struct k8s_snapshot *old = atomic_exchange(&a->current, fresh);
        time_t now = time(NULL);
        if (old) {
            old->retired = now;
            old->next = a->retired;
            a->retired = old;
        }
        for (struct k8s_snapshot **pp = &a->retired; *pp;) {
            struct k8s_snapshot *s = *pp;
            if (now - s->retired > K8S_SNAPSHOT_GRACE_S) {
                *pp = s->next;
                snapshot_free(s);
            } else {
                pp = &s->next;
            }
        }
    }
    pthread_mutex_unlock(&a->lock);
}

/* ---------------------------------------------------------------- from objects */

static const char *str_at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b) v = cJSON_GetObjectItemCaseSensitive(v, b);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* "u:name" for User (and a ServiceAccount's user name), "g:name" for Group; NULL otherwise. */
static char *subject_key(const char *kind, const char *name, const char *sa_ns)
{
    if (!kind || !name || !*name) return NULL;
    char *out = NULL;
    int n = -1;
    if (strcmp(kind, "User") == 0)
        n = asprintf(&out, "u:%s", name);
    else if (strcmp(kind, "Group") == 0)
        n = asprintf(&out, "g:%s", name);
    else if (strcmp(kind, "ServiceAccount") == 0 && sa_ns)
        n = asprintf(&out, "u:system:serviceaccount:%s:%s", sa_ns, name);
    return n < 0 ? NULL : out;
}

static void apply_profile(void *ctx, enum k8s_event ev, const cJSON *obj)
{
    struct k8s_access *a = ctx;
    const char *name = str_at(obj, "metadata", "name");
    if (!name) return;
    struct entry *e = NULL;
    if (ev != K8S_DELETED && (e = calloc(1, sizeof(*e)))) {
        const cJSON *owner = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(obj, "spec"), "owner");
        e->key = strdup(name);
        e->ns = strdup(name);
        e->role = K8S_ROLE_OWNER;
        char *subject = subject_key(str_at(owner, "kind", NULL), str_at(owner, "name", NULL), NULL);
        if (subject) e->subjects[e->n_subjects++] = subject;
        if (!e->key || !e->ns) {
            entry_free(e);
            e = NULL;
        }
    }
    pthread_mutex_lock(&a->lock);
    table_put(&a->profiles, name, e);
    pthread_mutex_unlock(&a->lock);
}

static enum k8s_role role_of_cluster_role(const cJSON *ref)
{
    const char *kind = str_at(ref, "kind", NULL), *name = str_at(ref, "name", NULL);
    if (!kind || !name || strcmp(kind, "ClusterRole") != 0) return K8S_ROLE_NONE;
    return strcmp(name, "kubeflow-admin") == 0  ? K8S_ROLE_ADMIN
           : strcmp(name, "kubeflow-edit") == 0 ? K8S_ROLE_EDIT
           : strcmp(name, "kubeflow-view") == 0 ? K8S_ROLE_VIEW
                                                : K8S_ROLE_NONE;
}

static void apply_binding(void *ctx, enum k8s_event ev, const cJSON *obj)
{
    struct k8s_access *a = ctx;
    const char *ns = str_at(obj, "metadata", "namespace"), *name = str_at(obj, "metadata", "name");
    if (!ns || !name) return;
    char key[512];
    snprintf(key, sizeof(key), "%s/%s", ns, name);
    enum k8s_role role = role_of_cluster_role(cJSON_GetObjectItemCaseSensitive(obj, "roleRef"));
    struct entry *e = NULL;
    if (ev != K8S_DELETED && role != K8S_ROLE_NONE && (e = calloc(1, sizeof(*e)))) {
        e->key = strdup(key);
        e->ns = strdup(ns);
        e->role = role;
        const cJSON *subject;
        cJSON_ArrayForEach(subject, cJSON_GetObjectItemCaseSensitive(obj, "subjects"))
        {
            if (e->n_subjects == SUBJECTS_MAX) break;
            const char *sa_ns = str_at(subject, "namespace", NULL);
            char *k = subject_key(str_at(subject, "kind", NULL), str_at(subject, "name", NULL),
                                  sa_ns ? sa_ns : ns);
            if (k) e->subjects[e->n_subjects++] = k;
        }
        if (!e->key || !e->ns) {
            entry_free(e);
            e = NULL;
        }
    }
    pthread_mutex_lock(&a->lock);
    table_put(&a->bindings, key, e); /* a binding no longer to a kubeflow role is dropped too */
    pthread_mutex_unlock(&a->lock);
}

static void apply_namespace(void *ctx, enum k8s_event ev, const cJSON *obj)
{
    struct k8s_access *a = ctx;
    const char *name = str_at(obj, "metadata", "name");
    if (!name) return;
    struct entry *e = NULL;
    if (ev != K8S_DELETED && (e = calloc(1, sizeof(*e)))) {
        const cJSON *ann = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "annotations");
        const char *owner = str_at(ann, "owner", NULL);
        e->key = strdup(name);
        e->ns = strdup(name);
        if (owner && *owner && (e->subjects[0] = strdup(owner))) e->n_subjects = 1;
        if (!e->key || !e->ns || (owner && *owner && !e->n_subjects)) {
            entry_free(e);
            e = NULL;
        }
    }
    pthread_mutex_lock(&a->lock);
    table_put(&a->namespaces, name, e);
    pthread_mutex_unlock(&a->lock);
}

static void reset_namespaces(void *ctx)
{
    struct k8s_access *a = ctx;
    pthread_mutex_lock(&a->lock);
    table_clear(&a->namespaces);
    pthread_mutex_unlock(&a->lock);
}

static void reset_profiles(void *ctx)
{
    struct k8s_access *a = ctx;
    pthread_mutex_lock(&a->lock);
    table_clear(&a->profiles);
    pthread_mutex_unlock(&a->lock);
}

static void reset_bindings(void *ctx)
{
    struct k8s_access *a = ctx;
    pthread_mutex_lock(&a->lock);
    table_clear(&a->bindings);
    pthread_mutex_unlock(&a->lock);
}

static void settled(void *ctx)
{
    publish(ctx);
}

static const struct k8s_watch_ops ops[] = {
    [K8S_ACCESS_PROFILE] = {reset_profiles, apply_profile, settled},
    [K8S_ACCESS_NAMESPACE] = {reset_namespaces, apply_namespace, settled},
    [K8S_ACCESS_BINDING] = {reset_bindings, apply_binding, settled},
};

/* ---------------------------------------------------------------- lifecycle */

int k8s_access_new(struct k8s_access **ret)
{
    struct k8s_access *a = calloc(1, sizeof(*a));
    if (!a) return -ENOMEM;
    pthread_mutex_init(&a->lock, NULL);
    publish(a); /* an empty snapshot until the lists come in */
    if (!atomic_load(&a->current)) {
        k8s_access_stop(a);
        return -ENOMEM;
    }
    *ret = a;
    return 0;
}

void k8s_access_apply(struct k8s_access *a, enum k8s_access_kind kind, enum k8s_event event,
                      const cJSON *object)
{
    ops[kind].apply(a, event, object);
}

void k8s_access_publish(struct k8s_access *a)
{
    publish(a);
}

int k8s_access_start(struct upstream *engine, struct k8s_client *client, struct k8s_access **ret)
{
    struct k8s_access *a;
    int e = k8s_access_new(&a);
    if (e < 0) return e;
    e = k8s_watch_start(engine, client, "/apis/kubeflow.org/v1/profiles", &ops[K8S_ACCESS_PROFILE],
                        a, &a->profiles_watch);
    if (e == 0)
        e = k8s_watch_start(engine, client, "/api/v1/namespaces", &ops[K8S_ACCESS_NAMESPACE], a,
                            &a->namespaces_watch);
    if (e == 0)
        e = k8s_watch_start(engine, client, "/apis/rbac.authorization.k8s.io/v1/rolebindings",
                            &ops[K8S_ACCESS_BINDING], a, &a->bindings_watch);
    if (e < 0) {
        k8s_access_stop(a);
        return e;
    }
    *ret = a;
    return 0;
}

void k8s_access_stop_watching(struct k8s_access *a)
{
    if (!a) return;
    k8s_watch_stop(a->profiles_watch);
    k8s_watch_stop(a->namespaces_watch);
    k8s_watch_stop(a->bindings_watch);
    a->profiles_watch = a->namespaces_watch = a->bindings_watch = NULL;
}

void k8s_access_stop(struct k8s_access *a)
{
    if (!a) return;
    k8s_access_stop_watching(a);
    table_clear(&a->profiles);
    table_clear(&a->namespaces);
    table_clear(&a->bindings);
    snapshot_free(atomic_load(&a->current));
    while (a->retired) {
        struct k8s_snapshot *s = a->retired;
        a->retired = s->next;
        snapshot_free(s);
    }
    pthread_mutex_destroy(&a->lock);
    free(a);
}

bool k8s_access_ready(struct k8s_access *a, char *detail, size_t size)
{
    char p[200], n[200], b[200];
    bool ready = k8s_watch_synced(a->profiles_watch, p, sizeof(p));
    ready = k8s_watch_synced(a->namespaces_watch, n, sizeof(n)) && ready;
    ready = k8s_watch_synced(a->bindings_watch, b, sizeof(b)) && ready;
    snprintf(detail, size, "%s; %s; %s", p, n, b);
    return ready;
}

const struct k8s_snapshot *k8s_access_snapshot(struct k8s_access *a)
{
    return atomic_load(&a->current);
}

/* ---------------------------------------------------------------- queries */

/* The first grant for subject, or n_grants. */
static size_t first_of(const struct k8s_snapshot *s, const char *subject)
{
    size_t lo = 0, hi = s->n_grants;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(s->grants[mid].subject, subject) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Calls fn for every grant of the user and their groups. */
static void each_grant(const struct k8s_snapshot *s, const char *user, const char *const *groups,
                       size_t n_groups, void (*fn)(void *cls, const struct grant *g), void *cls)
{
    char key[1024];
    for (size_t k = 0; k <= n_groups; k++) {
        int n = k == 0 ? snprintf(key, sizeof(key), "u:%s", user)
                       : snprintf(key, sizeof(key), "g:%s", groups[k - 1]);
        if (n < 0 || (size_t)n >= sizeof(key)) continue;
        for (size_t i = first_of(s, key); i < s->n_grants && !strcmp(s->grants[i].subject, key);
             i++)
            fn(cls, &s->grants[i]);
    }
}

struct role_query {
    const char *ns;
    enum k8s_role best;
};

static void note_role(void *cls, const struct grant *g)
{
    struct role_query *q = cls;
    if (strcmp(g->ns, q->ns) == 0 && g->role > q->best) q->best = g->role;
}

enum k8s_role k8s_snapshot_role(const struct k8s_snapshot *s, const char *user,
                                const char *const *groups, size_t n_groups, const char *ns)
{
    struct role_query q = {ns, K8S_ROLE_NONE};
    each_grant(s, user, groups, n_groups, note_role, &q);
    return q.best;
}

struct member_query {
    const struct k8s_snapshot *s;
    struct k8s_membership *all; /* every grant's ns, unmerged */
    size_t n, cap;
    bool failed;
};

static void note_member(void *cls, const struct grant *g)
{
    struct member_query *q = cls;
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 64;
        struct k8s_membership *more = realloc(q->all, cap * sizeof(*more));
        if (!more) {
            q->failed = true;
            return;
        }
        q->all = more;
        q->cap = cap;
    }
    q->all[q->n++] = (struct k8s_membership){g->ns, g->role, NULL};
}

static int by_ns_then_role_desc(const void *a, const void *b)
{
    const struct k8s_membership *x = a, *y = b;
    int c = strcmp(x->ns, y->ns);
    return c ? c : (int)y->role - (int)x->role;
}

size_t k8s_snapshot_memberships(const struct k8s_snapshot *s, const char *user,
                                const char *const *groups, size_t n_groups,
                                struct k8s_membership *out, size_t max)
{
    struct member_query q = {.s = s};
    each_grant(s, user, groups, n_groups, note_member, &q);
    if (q.n > 1) qsort(q.all, q.n, sizeof(*q.all), by_ns_then_role_desc);
    size_t total = 0;
    for (size_t i = 0; i < q.n; i++) {
        if (i && strcmp(q.all[i].ns, q.all[i - 1].ns) == 0) continue; /* the best role came first */
        if (total < max) {
            out[total] = q.all[i];
            k8s_snapshot_profile(s, q.all[i].ns, &out[total].owner);
        }
        total++;
    }
    free(q.all);
    return total;
}

bool k8s_snapshot_profile(const struct k8s_snapshot *s, const char *ns, const char **ret_owner)
{
    const struct profile *p = find_in(s->profiles, s->n_profiles, ns);
    if (p && ret_owner) *ret_owner = p->owner ? p->owner + 2 : NULL;
    return p != NULL;
}

bool k8s_snapshot_profile_object(const struct k8s_snapshot *s, const char *name)
{
    return find_in(s->objects, s->n_objects, name) != NULL;
}

size_t k8s_snapshot_profiles_owned(const struct k8s_snapshot *s, const char *user)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_objects; i++)
        if (s->objects[i].owner && strncmp(s->objects[i].owner, "u:", 2) == 0 &&
            strcmp(s->objects[i].owner + 2, user) == 0)
            n++;
    return n;
}

bool k8s_snapshot_namespace(const struct k8s_snapshot *s, const char *ns, const char **ret_owner)
{
    const struct nsrec *n = find_namespace(s, ns);
    if (n && ret_owner) *ret_owner = n->owner;
    return n != NULL;
}

size_t k8s_snapshot_profile_count(const struct k8s_snapshot *s)
{
    return s->n_profiles;
}

const char *k8s_snapshot_profile_at(const struct k8s_snapshot *s, size_t i, const char **ret_owner)
{
    if (i >= s->n_profiles) return NULL;
    if (ret_owner) *ret_owner = s->profiles[i].owner ? s->profiles[i].owner + 2 : NULL;
    return s->profiles[i].name;
}

size_t k8s_snapshot_members(const struct k8s_snapshot *s, const char *ns, enum k8s_role role,
                            const char **out, size_t max)
{
    size_t lo = 0, hi = s->n_grants;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(s->by_ns[mid].ns, ns) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    for (size_t i = lo; i < s->n_grants && strcmp(s->by_ns[i].ns, ns) == 0; i++) {
        if (s->by_ns[i].role != role) continue;
        if (n < max) out[n] = s->by_ns[i].subject;
        n++;
    }
    return n;
}

const char *k8s_role_name(enum k8s_role role)
{
    switch (role) {
    case K8S_ROLE_OWNER:
        return "owner";
    case K8S_ROLE_ADMIN:
        return "admin";
    case K8S_ROLE_EDIT:
        return "edit";
    case K8S_ROLE_VIEW:
        return "view";
    case K8S_ROLE_NONE:
        break;
    }
    return "";
}
