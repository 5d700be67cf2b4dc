/* api_diagnostics: see api_diagnostics.h. */
#include "server/api/diagnostics.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/identity.h"
#include "auth/oidc.h"
#include "k8s/access.h"
#include "k8s/event.h"
#include "lib/clock.h"
#include "lib/ttl_cache.h"
#include "lib/upstream.h"
#include "server/api/calls.h"
#include "server/cluster/kube.h"
#include "server/config.h"
#include "server/gate/apps.h"
#include "server/http/http.h"
#include "server/http/park.h"
#include "server/kfdash.h"

#define LIST_LIMIT     2000             /* objects of one kind looked at (events included) */
#define CLASSES_MAX    256              /* StorageClasses remembered */
#define FINDINGS_MAX   500              /* findings answered; more are counted */
#define TEXT_MAX       1024             /* one detail or fix */
#define SKEW_MAX_S     60               /* more and ID tokens fail */
#define YOUNG_S        120              /* Pending this long with no reason yet is still starting */
#define BUDGET_US      (45 * 1000000LL) /* the apiserver steps together; later ones are skipped */
#define DEX_TIMEOUT_MS 5000
#define DEX_ANSWER_MAX (256 << 10)
#define MLFLOW_WAIT_MS 5000
#define MLFLOW_ANSWER  (64 << 10)
#define RUNNING_MAX_MS (BUDGET_US / 1000 + 30000) /* a claim outlives its diagnosis */

struct storage_class {
    char name[254];  /* metadata.name */
    bool is_default; /* annotated as the default class */
    bool
        wait_for_consumer; /* volumeBindingMode WaitForFirstConsumer: Pending until a pod uses it */
};

/* A Warning event, its strings borrowed from diag.events_json. */
struct event {
    const char *kind, *ns, *name; /* the involved object ("" for none) */
    const char *uid;              /* the involved object's uid, NULL if unrecorded */
    const char *time;             /* the last time it happened (RFC3339), "" if unrecorded */
    const char *reason, *message; /* never NULL */
};

/* Diagnoses under way, by user: one at a time each, however fast they ask. */
struct api_diagnostics {
    struct ttl_cache *running; /* users with a diagnosis under way */
};

int api_diagnostics_new(struct api_diagnostics **ret)
{
    *ret = calloc(1, sizeof(**ret));
    if (!*ret || ttl_cache_new(256, 8, NULL, NULL, &(*ret)->running) < 0) {
        free(*ret);
        *ret = NULL;
        return -ENOMEM;
    }
    return 0;
}

void api_diagnostics_free(struct api_diagnostics *a)
{
    if (!a) return;
    ttl_cache_free(a->running);
    free(a);
}

/* One diagnosis under way, kept with the parked request. */
struct diag {
    struct upstream_result answer;             /* the last call's */
    struct api_diagnostics *owner;             /* where this user's diagnosis is claimed */
    char user[320];                            /* whose (given back when it ends) */
    bool admin;                                /* the caller sees every namespace */
    int64_t started_us;                        /* when the request came */
    int64_t call_started_us;                   /* when the last call was made */
    int64_t api_us;                            /* time the apiserver took, all calls */
    int n_calls, n_answered;                   /* apiserver calls made, and answered */
    char api_failure[UPSTREAM_DETAIL_MAX];     /* the first call that got no answer, why */
    cJSON *out;                                /* the answer being built */
    cJSON *checks;                             /* in out */
    cJSON *errors, *warnings;                  /* findings by severity, joined at the end */
    size_t n_findings, n_dropped;              /* findings kept, and those past FINDINGS_MAX */
    size_t n_errors;                           /* error findings so far (a step's check fails
                                                  when it added one) */
    struct storage_class classes[CLASSES_MAX]; /* the StorageClasses */
    size_t n_classes;                          /* entries in classes */
    bool classes_known;                        /* they could be listed */
    cJSON *events_json;                        /* the Warning events' list, kept for the index */
    struct event *events;                      /* index sorted by kind, ns, name, time */
    size_t n_events;                           /* entries in events */
    int64_t dex_started_us;                    /* when Dex was called */
    int64_t mlflow_started_us;                 /* when MLflow was called */
};

/* The user may ask for another diagnosis: before the answer goes out, since a client may send
 * the next request the moment it has read this one (the request itself ends a little later). */
static void release(struct diag *d)
{
    if (d->owner) ttl_cache_drop(d->owner->running, d->user, strlen(d->user));
    d->owner = NULL;
}

static void diag_free(void *p)
{
    struct diag *d = p;
    release(d);
    free(d->answer.body);
    cJSON_Delete(d->out);
    cJSON_Delete(d->errors);
    cJSON_Delete(d->warnings);
    cJSON_Delete(d->events_json);
    free(d->events);
    free(d);
}

/* ---------------------------------------------------------------- JSON and text helpers */

/* The value at a dotted path of object keys (keys with dots need a step of their own). */
static const cJSON *at(const cJSON *j, const char *path)
{
    char key[128];
    while (j && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof(key)) return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        j = cJSON_GetObjectItemCaseSensitive(j, key);
        path += n + (path[n] == '.');
    }
    return j;
}

static const char *text(const cJSON *j, const char *path)
{
    const cJSON *v = at(j, path);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *annotation(const cJSON *item, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(at(item, "metadata.annotations"), name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Seconds since the object was created; -1 when unknown. */
static long age_s(const cJSON *item)
{
    time_t then = rfc3339_parse(text(item, "metadata.creationTimestamp"));
    return then < 0 ? -1 : (long)(time(NULL) - then);
}

static void age_text(long s, char *out, size_t size)
{
    if (s < 0)
        snprintf(out, size, "an unknown time");
    else if (s < 120)
        snprintf(out, size, "%ld s", s);
    else if (s < 7200)
        snprintf(out, size, "%ld min", s / 60);
    else if (s < 172800)
        snprintf(out, size, "%ld h", s / 3600);
    else
        snprintf(out, size, "%ld days", s / 86400);
}

/* Whether the caller may see findings about ns. */
static bool visible(struct http_request *r, const struct diag *d, const char *ns)
{
    const struct kfdash *k = kfdash_of(r);
    if (d->admin) return true;
    return kube_role(k->kube, http_request_identity(r), ns) != K8S_ROLE_NONE;
}

static void add_check(struct diag *d, const char *name, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_check(struct diag *d, const char *name, bool ok, const char *fmt, ...)
{
    char detail[TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "name", name);
    cJSON_AddBoolToObject(c, "ok", ok);
    cJSON_AddStringToObject(c, "detail", detail);
    cJSON_AddItemToArray(d->checks, c);
}

/* kind and name (both or neither) name the object: "kind/name". */
static void add_finding(struct diag *d, bool error, const char *title, const char *detail,
                        const char *fix, const char *ns, const char *kind, const char *name)
{
    if (error) d->n_errors++;
    if (d->n_findings == FINDINGS_MAX) {
        d->n_dropped++;
        return;
    }
    d->n_findings++;
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "severity", error ? "error" : "warning");
    cJSON_AddStringToObject(f, "title", title);
    cJSON_AddStringToObject(f, "detail", detail);
    cJSON_AddStringToObject(f, "fix", fix);
    if (ns) cJSON_AddStringToObject(f, "namespace", ns);
    if (kind && name) {
        char object[320];
        snprintf(object, sizeof(object), "%s/%s", kind, name);
        cJSON_AddStringToObject(f, "object", object);
    }
    cJSON_AddItemToArray(error ? d->errors : d->warnings, f);
}

/* ---------------------------------------------------------------- the Warning events */

static int event_order(const struct event *a, const struct event *b)
{
    int c = strcmp(a->kind, b->kind);
    if (!c) c = strcmp(a->ns, b->ns);
    if (!c) c = strcmp(a->name, b->name);
    return c;
}

static int event_cmp(const void *pa, const void *pb)
{
    const struct event *a = pa, *b = pb;
    int c = event_order(a, b);
    return c ? c : strcmp(a->time, b->time);
}

/* Indexes d->events_json's items. */
static int index_events(struct diag *d)
{
    const cJSON *items = at(d->events_json, "items");
    size_t n = (size_t)cJSON_GetArraySize(items);
    d->events = calloc(n + 1, sizeof(*d->events));
    if (!d->events) return -ENOMEM;
    const cJSON *e;
    cJSON_ArrayForEach(e, items)
    {
        const cJSON *obj = at(e, "involvedObject");
        struct event ev = {text(obj, "kind"), text(obj, "namespace"), text(obj, "name"),
                           text(obj, "uid"),  k8s_event_time(e),      text(e, "reason"),
                           text(e, "message")};
        if (!ev.kind || !ev.name) continue;
        if (!ev.ns) ev.ns = text(e, "metadata.namespace");
        if (!ev.ns) ev.ns = "";
        if (!ev.reason) ev.reason = "";
        if (!ev.message) ev.message = "";
        d->events[d->n_events++] = ev;
    }
    qsort(d->events, d->n_events, sizeof(*d->events), event_cmp);
    return 0;
}

/* The latest Warning event about the object (of that uid when both know it), with that reason
 * if given; NULL if none. */
static const struct event *latest_event(const struct diag *d, const char *kind, const char *ns,
                                        const char *name, const char *uid, const char *reason)
{
    struct event key = {.kind = kind, .ns = ns ? ns : "", .name = name};
    size_t lo = 0, hi = d->n_events;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (event_order(&d->events[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const struct event *best = NULL;
    for (size_t i = lo; i < d->n_events && event_order(&d->events[i], &key) == 0; i++) {
        const struct event *e = &d->events[i];
        if (uid && e->uid && *e->uid && strcmp(uid, e->uid) != 0) continue;
        if (reason && strcmp(reason, e->reason) != 0) continue;
        best = e; /* sorted by time: the last one is the latest */
    }
    return best;
}

/* The resources a scheduler message says are short ("Insufficient cpu"), as words ("CPU and
 * memory"); "" when none. */
static void insufficient(const char *message, char *out, size_t size)
{
    out[0] = '\0';
    const char *found[4];
    size_t n = 0, lens[4];
    for (const char *p = message ? strstr(message, "Insufficient ") : NULL; p && n < 4;
         p = strstr(p, "Insufficient ")) {
        p += strlen("Insufficient ");
        size_t len = strcspn(p, " ,.;)\n");
        bool seen = false;
        for (size_t i = 0; i < n; i++)
            seen = seen || (lens[i] == len && !strncmp(found[i], p, len));
        if (len && !seen) found[n] = p, lens[n++] = len;
    }
    size_t used = 0;
    for (size_t i = 0; i < n && used < size; i++) {
        const char *word = lens[i] == 3 && !strncmp(found[i], "cpu", 3) ? "CPU" : NULL;
        used += (size_t)snprintf(out + used, size - used, "%s%.*s",
                                 i == 0       ? ""
                                 : i + 1 == n ? " and "
                                              : ", ",
                                 (int)(word ? strlen(word) : lens[i]), word ? word : found[i]);
    }
}

/* ---------------------------------------------------------------- the apiserver steps */

/* Calls the apiserver as kfdash; next runs with d->answer (or at once, marked skipped, once the
 * steps have taken too long). */
static void call_step(struct http_request *r, struct diag *d, const char *path, http_next_fn next)
{
    free(d->answer.body);
    d->answer = (struct upstream_result){0};
    d->n_calls++;
    d->call_started_us = clock_us();
    if (d->call_started_us - d->started_us > BUDGET_US) {
        d->answer.error = -ETIMEDOUT;
        snprintf(d->answer.detail, sizeof(d->answer.detail),
                 "skipped: the steps before took too long");
        next(r);
        return;
    }
    api_kube_call(r, "GET", path, NULL, &d->answer, next);
}

static void account(struct diag *d)
{
    d->api_us += clock_us() - d->call_started_us;
    if (d->answer.error) {
        if (!d->api_failure[0])
            snprintf(d->api_failure, sizeof(d->api_failure), "%s", d->answer.detail);
    } else {
        d->n_answered++;
    }
}

/* The list the last call brought (the caller deletes it), or NULL after a failed check. */
static cJSON *listed(struct diag *d, const char *check, const char *what)
{
    account(d);
    const struct upstream_result *a = &d->answer;
    if (a->error) {
        /* The detail names the API server's address: admins see it, others what went wrong. */
        add_check(d, check, false, "cannot list %s: %s", what,
                  d->admin ? a->detail : upstream_error_text(a->error));
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLength(a->body, a->len);
    if (a->status != 200) {
        const char *m = text(j, "message");
        add_check(d, check, false, "cannot list %s: HTTP %ld: %s", what, a->status,
                  m ? m : "the API server refused");
        cJSON_Delete(j);
        return NULL;
    }
    if (!cJSON_IsArray(at(j, "items"))) {
        add_check(d, check, false, "cannot list %s: the answer is not a list", what);
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* " (only the first N looked at)" when the list has more. */
static const char *more_note(const cJSON *list)
{
    const char *c = text(list, "metadata.continue");
    return c && *c ? " (only the first 2000 looked at)" : "";
}

static void dex_step(struct http_request *r);

/* ---- 5. Notebooks not ready */

/* What a notebook's container is stuck on, as a fix. */
static const char *notebook_fix(const char *reason, const char *resources, char *out, size_t size,
                                const char *ns, const char *name)
{
    static const char *const pull[] = {"ErrImagePull", "ImagePullBackOff", "InvalidImageName"};
    for (size_t i = 0; reason && i < 3; i++)
        if (strcmp(reason, pull[i]) == 0)
            return "Check the notebook's image name and tag, and that the nodes can pull it "
                   "(the registry is reachable; a private registry needs imagePullSecrets).";
    if (*resources) {
        snprintf(out, size,
                 "Lower the notebook's %s request below what a node has free (`kubectl describe "
                 "nodes` shows each node's allocatable and allocated resources), or add nodes.",
                 resources);
        return out;
    }
    if (reason && strcmp(reason, "OOMKilled") == 0)
        return "The notebook ran out of memory: give it a larger memory limit.";
    if (reason && (strcmp(reason, "CrashLoopBackOff") == 0 || strcmp(reason, "Error") == 0 ||
                   strcmp(reason, "RunContainerError") == 0)) {
        snprintf(out, size,
                 "Read the container's logs (`kubectl logs -n %s %s-0 --previous`): a common cause "
                 "is a workspace volume whose files the notebook user cannot write.",
                 ns, name);
        return out;
    }
    if (reason && strcmp(reason, "CreateContainerConfigError") == 0) {
        snprintf(out, size,
                 "A Secret or ConfigMap the notebook uses (often through a PodDefault) is "
                 "missing: `kubectl describe pod -n %s %s-0` names it.",
                 ns, name);
        return out;
    }
    snprintf(out, size,
             "`kubectl describe notebook -n %s %s` and `kubectl describe pod -n %s %s-0` show "
             "what it waits for.",
             ns, name, ns, name);
    return out;
}

static void notebook_finding(struct diag *d, const cJSON *item, const char *ns, const char *name)
{
    if (annotation(item, "kubeflow-resource-stopped")) return;
    const cJSON *ready = at(item, "status.readyReplicas");
    if (cJSON_IsNumber(ready) && ready->valuedouble >= 1) return;
    const cJSON *state = at(item, "status.containerState");
    const char *reason = text(state, "waiting.reason"), *message = text(state, "waiting.message");
    if (!reason) {
        reason = text(state, "terminated.reason");
        message = text(state, "terminated.message");
    }
    const struct event *e = latest_event(d, "Notebook", ns, name, text(item, "metadata.uid"), NULL);
    char pod[320];
    snprintf(pod, sizeof(pod), "%s-0", name);
    if (!e) e = latest_event(d, "Pod", ns, pod, NULL, NULL);
    long age = age_s(item);
    bool starting = !reason || strcmp(reason, "ContainerCreating") == 0 ||
                    strcmp(reason, "PodInitializing") == 0;
    if (starting && !e && age >= 0 && age < YOUNG_S) return;
    char resources[64], when[32], detail[TEXT_MAX], fix[TEXT_MAX], title[320];
    insufficient(e ? e->message : NULL, resources, sizeof(resources));
    age_text(age, when, sizeof(when));
    if (reason && !starting)
        snprintf(detail, sizeof(detail), "%s%s%s", reason, message && *message ? ": " : "",
                 message ? message : "");
    else if (e)
        snprintf(detail, sizeof(detail), "%s: %s", e->reason, e->message);
    else if (reason)
        snprintf(detail, sizeof(detail), "%s for %s", reason, when);
    else
        snprintf(detail, sizeof(detail),
                 "Not ready after %s; neither its status nor an event says why.", when);
    static const char *const bad[] = {"ErrImagePull",
                                      "ImagePullBackOff",
                                      "InvalidImageName",
                                      "CrashLoopBackOff",
                                      "CreateContainerConfigError",
                                      "CreateContainerError",
                                      "RunContainerError",
                                      "OOMKilled",
                                      "Error"};
    bool error = *resources != '\0';
    for (size_t i = 0; reason && i < sizeof(bad) / sizeof(bad[0]); i++)
        error = error || strcmp(reason, bad[i]) == 0;
    snprintf(title, sizeof(title), "Notebook %s is not ready", name);
    add_finding(d, error, title, detail,
                notebook_fix(starting ? NULL : reason, resources, fix, sizeof(fix), ns, name), ns,
                "Notebook", name);
}

static void notebooks_in(struct http_request *r)
{
    struct diag *d = http_request_context(r);
    size_t errors_before = d->n_errors;
    if (!d->answer.error && d->answer.status == 404) {
        account(d);
        add_check(d, "notebooks", true, "Notebooks (kubeflow.org/v1) are not installed");
    } else {
        cJSON *list = listed(d, "notebooks", "notebooks");
        if (list) {
            size_t n = 0, n_bad = d->n_findings + d->n_dropped;
            const cJSON *item;
            cJSON_ArrayForEach(item, at(list, "items"))
            {
                const char *ns = text(item, "metadata.namespace"),
                           *name = text(item, "metadata.name");
                if (!ns || !name || !visible(r, d, ns)) continue;
                n++;
                notebook_finding(d, item, ns, name);
            }
            n_bad = d->n_findings + d->n_dropped - n_bad;
            add_check(d, "notebooks", d->n_errors == errors_before,
                      "%zu notebooks%s, %zu not ready%s", n, d->admin ? "" : " in your namespaces",
                      n_bad, more_note(list));
            cJSON_Delete(list);
        }
    }
    dex_step(r);
}

/* ---- 4. Pods Pending */

/* "cpu 2, memory 4Gi" for one container, "nb: cpu 2; sidecar: memory 1Gi" for several. */
static void requests_text(const cJSON *pod, char *out, size_t size)
{
    const cJSON *containers = at(pod, "spec.containers"), *c;
    size_t used = 0, n = (size_t)cJSON_GetArraySize(containers);
    out[0] = '\0';
    cJSON_ArrayForEach(c, containers)
    {
        const char *cpu = text(c, "resources.requests.cpu"),
                   *mem = text(c, "resources.requests.memory"), *name = text(c, "name");
        if ((!cpu && !mem) || used >= size) continue;
        char piece[160];
        if (cpu && mem)
            snprintf(piece, sizeof(piece), "cpu %s, memory %s", cpu, mem);
        else if (cpu)
            snprintf(piece, sizeof(piece), "cpu %s", cpu);
        else
            snprintf(piece, sizeof(piece), "memory %s", mem);
        bool named = n > 1 && name;
        used += (size_t)snprintf(out + used, size - used, "%s%s%s%s", used ? "; " : "",
                                 named ? name : "", named ? ": " : "", piece);
    }
    if (!out[0]) snprintf(out, size, "no CPU or memory");
}

static void pod_finding(struct diag *d, const cJSON *item, const char *ns, const char *name)
{
    const char *uid = text(item, "metadata.uid");
    const char *notebook = text(item, "metadata.labels.notebook-name");
    const struct event *sched = latest_event(d, "Pod", ns, name, uid, "FailedScheduling");
    const struct event *any = sched ? sched : latest_event(d, "Pod", ns, name, uid, NULL);
    char resources[64], title[320], detail[TEXT_MAX], fix[TEXT_MAX], when[32];
    insufficient(sched ? sched->message : NULL, resources, sizeof(resources));
    long age = age_s(item);
    age_text(age, when, sizeof(when));
    if (*resources) {
        char requests[256];
        requests_text(item, requests, sizeof(requests));
        snprintf(title, sizeof(title), "Pod %s cannot be scheduled: not enough %s", name,
                 resources);
        snprintf(detail, sizeof(detail), "%s (the pod requests %s)", sched->message, requests);
        snprintf(fix, sizeof(fix),
                 "Lower the %s %s request below what a node has free (`kubectl describe nodes` "
                 "shows each node's allocatable and allocated resources), or add nodes with more "
                 "%s.",
                 notebook ? "notebook's" : "pod's", resources, resources);
        add_finding(d, true, title, detail, fix, ns, "Pod", name);
        return;
    }
    snprintf(title, sizeof(title), "Pod %s is Pending", name);
    if (any) {
        snprintf(detail, sizeof(detail), "%s: %s", any->reason, any->message);
        if (strcmp(any->reason, "FailedScheduling") == 0)
            snprintf(fix, sizeof(fix),
                     "The scheduler cannot place it: make its node selector, tolerations and "
                     "volumes fit what the nodes offer, or add nodes that do "
                     "(`kubectl describe pod -n %s %s`).",
                     ns, name);
        else
            snprintf(fix, sizeof(fix), "`kubectl describe pod -n %s %s` shows what it waits for.",
                     ns, name);
        add_finding(d, false, title, detail, fix, ns, "Pod", name);
        return;
    }
    const char *waiting = NULL;
    const cJSON *c;
    cJSON_ArrayForEach(c, at(item, "status.containerStatuses"))
    {
        const char *w = text(c, "state.waiting.reason");
        if (w && strcmp(w, "ContainerCreating") != 0 && strcmp(w, "PodInitializing") != 0)
            waiting = w;
    }
    const char *node = text(item, "spec.nodeName");
    if (waiting) {
        snprintf(detail, sizeof(detail), "A container is waiting: %s", waiting);
        snprintf(fix, sizeof(fix), "`kubectl describe pod -n %s %s` shows why.", ns, name);
    } else if (age >= YOUNG_S) {
        snprintf(detail, sizeof(detail), "Pending for %s; no event says why.", when);
        if (node)
            snprintf(fix, sizeof(fix), "Its node has not started it: check the kubelet on %s.",
                     node);
        else
            snprintf(fix, sizeof(fix),
                     "No scheduler has placed it: check that kube-scheduler runs (the pod asks for "
                     "scheduler \"%s\").",
                     text(item, "spec.schedulerName") ? text(item, "spec.schedulerName")
                                                      : "default-scheduler");
    } else {
        return; /* just made */
    }
    add_finding(d, false, title, detail, fix, ns, "Pod", name);
}

static void pods_in(struct http_request *r)
{
    struct diag *d = http_request_context(r);
    size_t errors_before = d->n_errors;
    cJSON *list = listed(d, "pods", "Pending pods");
    if (list) {
        size_t n = 0;
        const cJSON *item;
        cJSON_ArrayForEach(item, at(list, "items"))
        {
            const char *ns = text(item, "metadata.namespace"), *name = text(item, "metadata.name");
            if (!ns || !name || !visible(r, d, ns)) continue;
            n++;
            pod_finding(d, item, ns, name);
        }
        add_check(d, "pods", d->n_errors == errors_before, "%zu Pending pods%s%s", n,
                  d->admin ? "" : " in your namespaces", more_note(list));
        cJSON_Delete(list);
    }
    call_step(r, d, "/apis/kubeflow.org/v1/notebooks?limit=2000", notebooks_in);
}

/* ---- 3. PersistentVolumeClaims Pending */

static const struct storage_class *find_class(const struct diag *d, const char *name)
{
    for (size_t i = 0; i < d->n_classes; i++)
        if ((name && strcmp(d->classes[i].name, name) == 0) || (!name && d->classes[i].is_default))
            return &d->classes[i];
    return NULL;
}

static void claim_finding(struct diag *d, const cJSON *item, const char *ns, const char *name)
{
    const cJSON *sc = at(item, "spec.storageClassName");
    const char *wanted = cJSON_IsString(sc) ? sc->valuestring : NULL;
    const struct storage_class *cls = wanted && !*wanted ? NULL : find_class(d, wanted);
    const struct event *e =
        latest_event(d, "PersistentVolumeClaim", ns, name, text(item, "metadata.uid"), NULL);
    long age = age_s(item);
    char when[32], title[320], detail[TEXT_MAX], fix[TEXT_MAX];
    age_text(age, when, sizeof(when));
    bool error = e != NULL;
    if (wanted && !*wanted) {
        snprintf(fix, sizeof(fix),
                 "The claim asks for no storage class (storageClassName: \"\"), so it binds only "
                 "to a PersistentVolume made by hand: create a PersistentVolume that matches its "
                 "size and access modes, or recreate the claim without storageClassName (to use "
                 "the default class) or naming a StorageClass.");
        error = true;
    } else if (!wanted && d->classes_known && !cls) {
        snprintf(fix, sizeof(fix),
                 "No StorageClass is the default, so nothing provisions a claim that names none: "
                 "mark one as default (see the StorageClass finding), then delete and recreate "
                 "the claim.");
        error = true;
    } else if (wanted && d->classes_known && !cls) {
        snprintf(fix, sizeof(fix),
                 "StorageClass \"%s\" does not exist: create it, or recreate the claim naming a "
                 "class that exists (`kubectl get storageclass`).",
                 wanted);
        error = true;
    } else if (!e && (age >= 0 && age < YOUNG_S)) {
        return; /* being provisioned */
    } else if (!e && cls && cls->wait_for_consumer) {
        return; /* binds when a pod uses it */
    } else {
        snprintf(fix, sizeof(fix),
                 "The provisioner of StorageClass \"%s\" has not made a volume: check that it "
                 "runs and read its logs; `kubectl describe pvc -n %s %s` shows the claim's "
                 "events.",
                 cls      ? cls->name
                 : wanted ? wanted
                          : "(default)",
                 ns, name);
    }
    if (e)
        snprintf(detail, sizeof(detail), "%s: %s (Pending for %s)", e->reason, e->message, when);
    else
        snprintf(detail, sizeof(detail), "Pending for %s; no event says why.", when);
    snprintf(title, sizeof(title), "Volume claim %s is Pending", name);
    add_finding(d, error, title, detail, fix, ns, "PersistentVolumeClaim", name);
}

static void claims_in(struct http_request *r)
{
    struct diag *d = http_request_context(r);
    size_t errors_before = d->n_errors;
    cJSON *list = listed(d, "persistentvolumeclaims", "volume claims");
    if (list) {
        size_t n = 0, n_pending = 0;
        const cJSON *item;
        cJSON_ArrayForEach(item, at(list, "items"))
        {
            const char *ns = text(item, "metadata.namespace"), *name = text(item, "metadata.name");
            const char *phase = text(item, "status.phase");
            if (!ns || !name || !visible(r, d, ns)) continue;
            n++;
            if (!phase || strcmp(phase, "Pending") != 0) continue;
            n_pending++;
            claim_finding(d, item, ns, name);
        }
        add_check(d, "persistentvolumeclaims", d->n_errors == errors_before,
                  "%zu volume claims%s, %zu Pending%s", n, d->admin ? "" : " in your namespaces",
                  n_pending, more_note(list));
        cJSON_Delete(list);
    }
    call_step(r, d, "/api/v1/pods?fieldSelector=status.phase%3DPending&limit=2000", pods_in);
}

/* ---- 2. Warning events */

static void events_in(struct http_request *r)
{
    struct diag *d = http_request_context(r);
    cJSON *list = listed(d, "events", "Warning events");
    if (list) {
        d->events_json = list;
        if (index_events(d) < 0) {
            add_check(d, "events", false, "out of memory");
        } else {
            size_t n = 0;
            for (size_t i = 0; i < d->n_events; i++) n += visible(r, d, d->events[i].ns);
            add_check(d, "events", true, "%zu Warning events%s%s", n,
                      d->admin ? "" : " in your namespaces", more_note(list));
        }
    }
    call_step(r, d, "/api/v1/persistentvolumeclaims?limit=2000", claims_in);
}

/* ---- 1. StorageClasses */

#define DEFAULT_ANNOTATION "storageclass.kubernetes.io/is-default-class"

static void storage_findings(struct diag *d)
{
    size_t n_default = 0;
    const char *first_default = NULL, *second_default = NULL;
    char names[600] = ""; /* fits in a detail with its sentence */
    size_t used = 0;
    for (size_t i = 0; i < d->n_classes; i++) {
        if (d->classes[i].is_default) {
            n_default++;
            if (!first_default)
                first_default = d->classes[i].name;
            else if (!second_default)
                second_default = d->classes[i].name;
        }
        if (i < 10 && used < sizeof(names))
            used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
                                     d->classes[i].name);
    }
    if (d->n_classes > 10 && used < sizeof(names))
        snprintf(names + used, sizeof(names) - used, " and %zu more", d->n_classes - 10);
    char detail[TEXT_MAX], fix[TEXT_MAX];
    if (d->n_classes == 0) {
        add_finding(d, true, "No StorageClass",
                    "The cluster has no StorageClass, so volume claims (a notebook's workspace "
                    "and data volumes) are never provisioned and stay Pending.",
                    "Create a StorageClass: install a volume provisioner that brings one (your "
                    "cloud's CSI driver, or local-path-provisioner on a single-node cluster) and "
                    "mark it as the default with the annotation "
                    "storageclass.kubernetes.io/is-default-class: \"true\".",
                    NULL, NULL, NULL);
        add_check(d, "storageclasses", false, "no StorageClass");
        return;
    }
    if (n_default == 0) {
        snprintf(detail, sizeof(detail),
                 "StorageClasses %s: none is marked as the default, so volume claims that name no "
                 "class (as notebooks' workspace volumes do) stay Pending.",
                 names);
        snprintf(fix, sizeof(fix),
                 "Make one the default: kubectl patch storageclass %s -p '{\"metadata\": "
                 "{\"annotations\":{\"" DEFAULT_ANNOTATION "\":\"true\"}}}'",
                 d->classes[0].name);
        add_finding(d, true, "No default StorageClass", detail, fix, NULL, NULL, NULL);
        add_check(d, "storageclasses", false, "%s; no default", names);
        return;
    }
    if (n_default > 1) {
        snprintf(detail, sizeof(detail),
                 "%zu StorageClasses are marked as the default (%s, %s%s); claims that name no "
                 "class get the newest of them, which may not be the one meant.",
                 n_default, first_default, second_default, n_default > 2 ? ", ..." : "");
        snprintf(fix, sizeof(fix),
                 "Keep one default: kubectl patch storageclass %s -p '{\"metadata\": "
                 "{\"annotations\":{\"" DEFAULT_ANNOTATION "\":\"false\"}}}'",
                 second_default);
        add_finding(d, false, "Several default StorageClasses", detail, fix, NULL, NULL, NULL);
    }
    add_check(d, "storageclasses", true, "%s; default: %s", names, first_default);
}

static bool is_true(const char *v)
{
    return v && strcmp(v, "true") == 0;
}

static void classes_in(struct http_request *r)
{
    struct diag *d = http_request_context(r);
    cJSON *list = listed(d, "storageclasses", "storage classes");
    if (list) {
        d->classes_known = true;
        const cJSON *item;
        cJSON_ArrayForEach(item, at(list, "items"))
        {
            const char *name = text(item, "metadata.name");
            if (!name || d->n_classes == CLASSES_MAX) continue;
            struct storage_class *c = &d->classes[d->n_classes++];
            snprintf(c->name, sizeof(c->name), "%s", name);
            c->is_default =
                is_true(annotation(item, DEFAULT_ANNOTATION)) ||
                is_true(annotation(item, "storageclass.beta.kubernetes.io/is-default-class"));
            const char *mode = text(item, "volumeBindingMode");
            c->wait_for_consumer = mode && strcmp(mode, "WaitForFirstConsumer") == 0;
        }
        storage_findings(d);
        cJSON_Delete(list);
    }
    call_step(r, d, "/api/v1/events?fieldSelector=type%3DWarning&limit=2000", events_in);
}

/* ---------------------------------------------------------------- 6, 7: the peers, the reply */

/* ---- 8. Pods a namespace's ResourceQuota refused: the controller that made them says so in a
 * Warning event ("exceeded quota: <quota>, requested: ..., used: ..., limited: ..."). */

static bool quota_refusal(const struct event *e)
{
    return strstr(e->message, "exceeded quota: ") || strstr(e->message, "failed quota: ");
}

static void quota_findings(struct http_request *r, struct diag *d)
{
    if (!d->events_json) {
        add_check(d, "quota", false, "not checked: the Warning events could not be listed");
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < d->n_events; i++) {
        const struct event *e = &d->events[i];
        const struct event *next = i + 1 < d->n_events ? &d->events[i + 1] : NULL;
        if (!quota_refusal(e) || !visible(r, d, e->ns)) continue;
        if (next && event_order(e, next) == 0 && quota_refusal(next)) continue; /* its latest */
        const char *q = strstr(e->message, "quota: ") + 7;
        int q_len = (int)strcspn(q, ",:");
        char title[320], fix[TEXT_MAX];
        snprintf(title, sizeof(title), "%s %s: a pod was refused by quota %.*s", e->kind, e->name,
                 q_len, q);
        if (strstr(e->message, "must specify"))
            snprintf(fix, sizeof(fix),
                     "Quota %.*s limits %s, so every container of a pod in %s must ask for "
                     "them: give the pod's containers resources.requests (and limits) of each.",
                     q_len, q, strstr(e->message, "must specify ") + 13, e->ns);
        else
            snprintf(fix, sizeof(fix),
                     "%s has too little left of quota %.*s for this pod (`kubectl describe quota "
                     "-n %s` shows used and hard): stop or delete notebooks, Spark applications "
                     "or endpoints that hold some, ask for less, or have a cluster admin raise "
                     "the Profile's resourceQuotaSpec.",
                     e->ns, q_len, q, e->ns);
        add_finding(d, true, title, e->message, fix, e->ns, e->kind, e->name);
        n++;
    }
    add_check(d, "quota", n == 0, "%zu objects with a pod refused by a quota%s", n,
              d->admin ? "" : " in your namespaces");
}

static void reply(struct http_request *r, struct diag *d)
{
    quota_findings(r, d);
    if (d->n_dropped)
        add_check(d, "findings", false, "%zu more findings not shown (at most %d)", d->n_dropped,
                  FINDINGS_MAX);
    cJSON *findings = cJSON_AddArrayToObject(d->out, "findings");
    cJSON *lists[] = {d->errors, d->warnings};
    for (size_t i = 0; findings && i < 2; i++)
        while (cJSON_GetArraySize(lists[i]) > 0)
            cJSON_AddItemToArray(findings, cJSON_DetachItemFromArray(lists[i], 0));
    cJSON *out = d->out;
    d->out = NULL;
    release(d);
    http_reply_json(r, 200, out);
}

/* MLflow's server-info: it answers, and with workspaces (one per profile namespace) on. */
static void mlflow_in(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct diag *d = http_request_context(r);
    const struct upstream_result *a = &d->answer;
    long long ms = (long long)(clock_us() - d->mlflow_started_us) / 1000;
    cJSON *j = a->error || a->status != 200 ? NULL : cJSON_ParseWithLength(a->body, a->len);
    const cJSON *on = cJSON_GetObjectItemCaseSensitive(j, "workspaces_enabled");
    bool workspaces = cJSON_IsTrue(on);
    char detail[TEXT_MAX], fix[TEXT_MAX];
    /* MLflow's address is kfdash's business: admins see it, others what went wrong. */
    const char *where = d->admin ? k->cfg->mlflow_url : "MLflow";
    if (a->error)
        snprintf(detail, sizeof(detail), "%s: server-info failed after %lld ms: %s", where, ms,
                 d->admin ? a->detail : upstream_error_text(a->error));
    else if (!j)
        snprintf(detail, sizeof(detail), "%s: server-info answered HTTP %ld, not MLflow's JSON",
                 where, a->status);
    else
        snprintf(detail, sizeof(detail), "server-info answered in %lld ms; workspaces %s", ms,
                 workspaces ? "enabled" : "disabled");
    add_check(d, "mlflow", j && workspaces, "%s", detail);
    if (!j) {
        if (d->admin)
            snprintf(fix, sizeof(fix),
                     "Check that MLflow runs and that kfdash reaches it (from kfdash's pod: curl "
                     "%s/api/3.0/mlflow/server-info); its --allowed-hosts must include the host "
                     "of mlflow.url.",
                     k->cfg->mlflow_url);
        else
            snprintf(fix, sizeof(fix), "Tell a cluster admin: Diagnostics shows them more.");
        add_finding(d, true, "MLflow does not answer", detail, fix, NULL, NULL, NULL);
    } else if (!workspaces) {
        add_finding(d, true, "MLflow runs without workspaces", detail,
                    "Start MLflow with --enable-workspaces: kfdash gives every profile namespace "
                    "a workspace of its own, and without them all profiles would share one.",
                    NULL, NULL, NULL);
    }
    cJSON_Delete(j);
    reply(r, d);
}

static void mlflow_step(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct diag *d = http_request_context(r);
    if (!*k->cfg->mlflow_url) {
        add_check(d, "mlflow", true, "not configured (mlflow.url)");
        reply(r, d);
        return;
    }
    char url[CONFIG_STRING_MAX + 64];
    snprintf(url, sizeof(url), "%s/api/3.0/mlflow/server-info", k->cfg->mlflow_url);
    const char *headers[] = {"Accept: application/json", NULL};
    struct upstream_call call = {.method = "GET",
                                 .url = url,
                                 .headers = headers,
                                 .timeout_ms = MLFLOW_WAIT_MS,
                                 .max_response_bytes = MLFLOW_ANSWER};
    free(d->answer.body);
    d->answer = (struct upstream_result){0};
    d->mlflow_started_us = clock_us();
    park_call(k->engine, r, &call, &d->answer, mlflow_in);
}

static void dex_in(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct diag *d = http_request_context(r);
    const struct upstream_result *a = &d->answer;
    time_t now = time(NULL);
    long long ms = (long long)(clock_us() - d->dex_started_us) / 1000;
    char keys[256] = "", got[UPSTREAM_DETAIL_MAX + 32];
    bool ready = oidc_ready(k->provider, keys, sizeof(keys));
    bool answered = !a->error && a->status == 200;
    if (a->error)
        snprintf(got, sizeof(got), "%s", a->detail);
    else
        snprintf(got, sizeof(got), "HTTP %ld", a->status);
    const char *issuer = oidc_issuer(k->provider);
    if (answered)
        add_check(d, "dex", ready, "discovery document answered in %lld ms; %s", ms, keys);
    else
        add_check(d, "dex", false, "%s: discovery document failed after %lld ms: %s", issuer, ms,
                  got);
    if (!answered || !ready) {
        char detail[TEXT_MAX], fix[TEXT_MAX];
        snprintf(detail, sizeof(detail), "%s: %s%s%s", issuer, answered ? "" : got,
                 answered ? "" : "; ", keys);
        snprintf(fix, sizeof(fix),
                 "Sign-in needs Dex: check that it runs and that kfdash reaches it (from kfdash's "
                 "pod: curl %s/.well-known/openid-configuration).",
                 issuer);
        add_finding(d, true,
                    answered ? "kfdash holds no signing keys of Dex" : "Dex does not answer",
                    detail, fix, NULL, NULL, NULL);
    }
    if (a->error) {
        add_check(d, "clock", false, "not checked: Dex did not answer");
    } else if (!a->date) {
        add_check(d, "clock", false, "not checked: Dex's answer has no Date header");
    } else {
        long long skew = (long long)(now - a->date);
        long long off = skew < 0 ? -skew : skew;
        const char *way = skew < 0 ? "behind" : "ahead of";
        add_check(d, "clock", off <= SKEW_MAX_S,
                  "kfdash's clock is %lld s %s Dex's (at most %d s "
                  "is fine)",
                  off, way, SKEW_MAX_S);
        if (off > SKEW_MAX_S) {
            char title[128], detail[TEXT_MAX];
            snprintf(title, sizeof(title), "Clock skew of %lld s against Dex", off);
            snprintf(detail, sizeof(detail),
                     "kfdash's clock is %lld s %s Dex's (its Date header). ID tokens carry the "
                     "times they were issued and expire: with clocks this far apart they look not "
                     "yet valid or already expired, and sign-in fails.",
                     off, way);
            add_finding(d, true, title, detail,
                        "Turn on time synchronisation on the machines that run kfdash and Dex "
                        "(NTP: `timedatectl set-ntp true`, or install and start chrony); "
                        "`chronyc tracking` shows the remaining offset.",
                        NULL, NULL, NULL);
        }
    }
    mlflow_step(r);
}

/* The apiserver's check, then Dex: its readiness and, through a call of our own, its clock. */
static void dex_step(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct diag *d = http_request_context(r);
    if (kube_client(k->kube)) {
        cJSON *c = cJSON_CreateObject();
        bool ok = d->n_answered == d->n_calls;
        char detail[TEXT_MAX];
        if (ok)
            snprintf(detail, sizeof(detail), "answered %d calls in %lld ms", d->n_calls,
                     (long long)d->api_us / 1000);
        else
            snprintf(detail, sizeof(detail), "%d of %d calls got no answer: %s",
                     d->n_calls - d->n_answered, d->n_calls, d->api_failure);
        cJSON_AddStringToObject(c, "name", "apiserver");
        cJSON_AddBoolToObject(c, "ok", ok);
        cJSON_AddStringToObject(c, "detail", detail);
        cJSON_InsertItemInArray(d->checks, 0, c);
    }
    if (!k->provider) {
        add_check(d, "dex", true, "no identity provider is configured (oidc.issuer)");
        add_check(d, "clock", true, "not checked: no identity provider to compare with");
        mlflow_step(r);
        return;
    }
    char url[2048];
    const char *issuer = oidc_issuer(k->provider);
    size_t len = strlen(issuer);
    while (len && issuer[len - 1] == '/') len--;
    snprintf(url, sizeof(url), "%.*s/.well-known/openid-configuration", (int)len, issuer);
    const char *headers[] = {"Accept: application/json", NULL};
    struct upstream_call call = {.method = "GET",
                                 .url = url,
                                 .headers = headers,
                                 .timeout_ms = DEX_TIMEOUT_MS,
                                 .max_response_bytes = DEX_ANSWER_MAX};
    free(d->answer.body);
    d->answer = (struct upstream_result){0};
    d->dex_started_us = clock_us();
    park_call(k->engine, r, &call, &d->answer, dex_in);
}

/* Where the applications kfdash carries are served (server/gate/apps.h). */
static void applications_check(const struct config *cfg, struct diag *d)
{
    if (apps_enabled(cfg)) {
        add_check(d, "applications", true, "each on a host of its own under *.%s",
                  cfg->apps_domain);
        return;
    }
    add_check(d, "applications", false, "they share kfdash's origin (apps.domain is not set)");
    add_finding(d, false, "Applications share kfdash's origin",
                "Notebooks, Spark UIs and MLflow's UI are served from kfdash's own address, so a "
                "script on a page of one of them runs with the session of whoever opens it. Only a "
                "namespace's owner and contributors may open its applications meanwhile; a "
                "contributor who opens another member's notebook is still exposed to it.",
                "Give applications hosts of their own: a wildcard DNS record and certificate for "
                "*.<domain>, then set apps.domain (KFDASH_APPS_DOMAIN) and public_url "
                "(docs/security.md).",
                NULL, NULL, NULL);
}

void api_diagnostics(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct diag *d = calloc(1, sizeof(*d));
    if (d) {
        d->out = cJSON_CreateObject();
        d->errors = cJSON_CreateArray();
        d->warnings = cJSON_CreateArray();
    }
    char now[RFC3339_SIZE];
    rfc3339_format(time(NULL), now);
    if (d && d->out) {
        cJSON_AddStringToObject(d->out, "checked_at", now);
        d->checks = cJSON_AddArrayToObject(d->out, "checks");
    }
    if (!d || !d->out || !d->errors || !d->warnings || !d->checks) {
        if (d) diag_free(d);
        http_reply_error(r, 500, "out of memory");
        return;
    }
    const struct identity *who = http_request_identity(r);
    d->admin = kube_is_cluster_admin(k->kube, who);
    /* Each diagnosis lists the cluster: one at a time per user, however fast they ask. */
    snprintf(d->user, sizeof(d->user), "%s", who->email);
    int claimed =
        ttl_cache_claim(k->diagnostics->running, d->user, strlen(d->user), RUNNING_MAX_MS);
    if (claimed < 0) {
        diag_free(d);
        const char *headers[] = {"Retry-After", "1", NULL};
        http_reply_error_with(r, 429,
                              claimed == -EEXIST
                                  ? "your last check is still running; try again when it is done"
                                  : "too many checks are running; try again in a moment",
                              headers);
        return;
    }
    d->owner = k->diagnostics;
    d->started_us = clock_us();
    http_request_set_context(r, d, diag_free);
    applications_check(k->cfg, d);
    if (!kube_client(k->kube)) {
        add_check(d, "apiserver", false, "no Kubernetes API server is configured (kube.api)");
        dex_step(r);
        return;
    }
    call_step(r, d, "/apis/storage.k8s.io/v1/storageclasses?limit=256", classes_in);
}
