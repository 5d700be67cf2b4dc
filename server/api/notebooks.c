/* api_notebooks: see api_notebooks.h. */
#include "server/api/notebooks.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/identity.h"
#include "k8s/event.h"
#include "k8s/name.h"
#include "k8s/notebook.h"
#include "k8s/spawner.h"
#include "k8s/yamltree.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/upstream.h"
#include "server/api/calls.h"
#include "server/api/k8s.h"
#include "server/api/objects.h"
#include "server/cluster/kube.h"
#include "server/config.h"
#include "server/http/http.h"
#include "server/kfdash.h"

#define IMAGES_MAX      64
#define GPU_VENDORS_MAX 16
#define PATH_MAX_BYTES  1024
/* Items asked of the API server per list: a namespace holds fewer notebooks than this. */
#define LIST_LIMIT 500
/* Events are many more: a namespace's newest ones are enough to explain a notebook. */
#define EVENTS_LIMIT   1000
#define EVENTS_MAX     500
#define TAIL_LINES     1000
#define TAIL_LINES_MAX 10000

struct api_notebooks {
    char *image_text, *vendor_text; /* storage of the lists below */
    const char *images[IMAGES_MAX], *vendors[GPU_VENDORS_MAX];
    struct notebook_catalog catalog; /* over them, or over the spawner config's */
    struct spawner_config *spawner;  /* notebooks.spawner_config read, NULL when not set */
};

/* The spawner config file at path, checked. */
static int load_spawner(const char *path, struct spawner_config **ret, char *err)
{
    struct buf b;
    buf_init(&b, YAMLTREE_INPUT_MAX);
    int e = buf_read_file(&b, path);
    if (e < 0) {
        buf_reset(&b);
        if (e == -ENOMEM) return e;
        snprintf(err, API_NOTEBOOKS_ERROR_MAX, "notebooks.spawner_config: %s: %s", path,
                 e == -E2BIG ? "larger than 1 MiB" : strerror(-e));
        return -EINVAL;
    }
    char why[SPAWNER_ERROR_MAX];
    e = spawner_config_parse(buf_str(&b), b.n, ret, why);
    buf_reset(&b);
    if (e == -EINVAL)
        snprintf(err, API_NOTEBOOKS_ERROR_MAX, "notebooks.spawner_config: %s: %s", path, why);
    return e;
}

int api_notebooks_new(const struct config *c, struct api_notebooks **ret,
                      char err[API_NOTEBOOKS_ERROR_MAX])
{
    snprintf(err, API_NOTEBOOKS_ERROR_MAX, "out of memory");
    struct api_notebooks *n = calloc(1, sizeof(*n));
    if (!n) return -ENOMEM;
    int e = 0;
    if (c->notebook_spawner_config && *c->notebook_spawner_config) {
        if ((e = load_spawner(c->notebook_spawner_config, &n->spawner, err)) < 0) goto fail;
        const struct spawner_config *s = n->spawner;
        n->catalog = (struct notebook_catalog){s->image.options, s->image.n_options, s->gpu_vendors,
                                               s->n_gpu_vendors, s};
        *ret = n;
        return 0;
    }
    n->image_text = strdup(c->notebook_images ? c->notebook_images : "");
    n->vendor_text = strdup(c->notebook_gpu_vendors ? c->notebook_gpu_vendors : "");
    if (!n->image_text || !n->vendor_text) {
        e = -ENOMEM;
        goto fail;
    }
    n->catalog = (struct notebook_catalog){
        n->images, config_split_list(n->image_text, n->images, IMAGES_MAX), n->vendors,
        config_split_list(n->vendor_text, n->vendors, GPU_VENDORS_MAX), NULL};
    *ret = n;
    return 0;
fail:
    api_notebooks_free(n);
    return e;
}

void api_notebooks_free(struct api_notebooks *n)
{
    if (!n) return;
    spawner_config_free(n->spawner);
    free(n->image_text);
    free(n->vendor_text);
    free(n);
}

/* ---------------------------------------------------------------- the form's choices */

void api_notebooks_config(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    if (k->notebooks->spawner) {
        cJSON *s = spawner_form_config(k->notebooks->spawner);
        if (!s) {
            http_reply_error(r, 500, "out of memory");
            return;
        }
        cJSON_AddStringToObject(s, "mlflowTrackingUri", k->cfg->notebook_mlflow_tracking_uri);
        http_reply_json(r, 200, s);
        return;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(
        j, "images",
        cJSON_CreateStringArray(k->notebooks->images, (int)k->notebooks->catalog.n_images));
    cJSON_AddStringToObject(j, "defaultImage",
                            k->notebooks->catalog.n_images ? k->notebooks->images[0] : "");
    cJSON_AddItemToObject(
        j, "gpuVendors",
        cJSON_CreateStringArray(k->notebooks->vendors, (int)k->notebooks->catalog.n_gpu_vendors));
    cJSON *d = cJSON_AddObjectToObject(j, "defaults");
    cJSON_AddStringToObject(d, "cpu", NOTEBOOK_DEFAULT_CPU);
    cJSON_AddStringToObject(d, "memory", NOTEBOOK_DEFAULT_MEMORY);
    cJSON_AddStringToObject(d, "workspaceSize", NOTEBOOK_DEFAULT_WORKSPACE_SIZE);
    cJSON_AddStringToObject(d, "imagePullPolicy", "IfNotPresent");
    cJSON_AddBoolToObject(d, "shm", true);
    /* Without a spawner config: any image when asked for, no groups, nothing read-only. */
    cJSON_AddBoolToObject(j, "allowCustomImage", true);
    cJSON_AddStringToObject(j, "mlflowTrackingUri", k->cfg->notebook_mlflow_tracking_uri);
    http_reply_json(r, 200, j);
}

/* The name people know a GPU resource by. */
static const char *gpu_ui_name(const char *key)
{
    static const char *const known[][2] = {{"nvidia.com/gpu", "NVIDIA"},
                                           {"amd.com/gpu", "AMD"},
                                           {"gpu.intel.com/i915", "Intel"},
                                           {"gpu.intel.com/xe", "Intel"},
                                           {"habana.ai/gaudi", "Intel Gaudi"}};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(key, known[i][0]) == 0) return known[i][1];
    return key;
}

void api_notebooks_gpus(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    cJSON *j = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(j, "vendors");
    for (size_t i = 0; list && i < k->notebooks->catalog.n_gpu_vendors; i++) {
        cJSON *v = cJSON_CreateObject();
        cJSON_AddStringToObject(v, "limitsKey", k->notebooks->catalog.gpu_vendors[i]);
        const struct spawner_config *s = k->notebooks->spawner;
        cJSON_AddStringToObject(v, "uiName",
                                s ? s->gpu_ui_names[i] : gpu_ui_name(k->notebooks->vendors[i]));
        cJSON_AddItemToArray(list, v);
    }
    http_reply_json(r, 200, j);
}

/* ---------------------------------------------------------------- calls as the user */

static const struct api_objects_kind kind = {
    .api = "/apis/kubeflow.org/v1",
    .resource = "notebooks",
    .param = "notebook",
    .not_a_name = "not a notebook name",
};

/* One request's work with the API server, kept with the parked request. */
struct job {
    struct api_objects_call call; /* the namespace, the notebook (or ""), the call under way */
    struct upstream_result kept;  /* an earlier answer still needed (a list, a failure) */
    char *notebook;               /* create: the Notebook to send */
    cJSON *pvcs;                  /* create: the volumes to make first */
    int next_pvc;                 /* create: the next one to make (or, undoing, to delete) */
    int n_made;                   /* create: how many were made */
    char conflict[160];           /* create: why it failed with 409, when it did */
};

static void job_free(void *p)
{
    struct job *j = p;
    free(j->kept.body);
    free(j->notebook);
    cJSON_Delete(j->pvcs);
    api_objects_call_free(j);
}

/* The caller may enter the route's namespace, and :notebook (if the route has one) is a name:
 * a new job for the request, or NULL after replying. */
static struct job *enter(struct http_request *r)
{
    return api_objects_enter(r, &kind, sizeof(struct job), job_free);
}

/* Moves the answer to kept, for a later step. */
static void keep_answer(struct job *j)
{
    free(j->kept.body);
    j->kept = j->call.answer;
    j->call.answer = (struct upstream_result){0};
}

static cJSON *parse(const struct upstream_result *a)
{
    return a->body ? cJSON_ParseWithLength(a->body, a->len) : NULL;
}

/* {key: summary of the Notebook in the answer}, status. */
static void reply_summary(struct http_request *r, unsigned status, const cJSON *nb,
                          const cJSON *events, bool with_object)
{
    const struct kfdash *k = kfdash_of(r);
    cJSON *summary = notebook_summary(nb, events, &k->notebooks->catalog, time(NULL));
    if (!summary) {
        http_reply_error(r, 500, "out of memory");
        return;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "notebook", summary);
    if (with_object) cJSON_AddItemToObject(out, "object", cJSON_Duplicate(nb, true));
    http_reply_json(r, status, out);
}

/* ---------------------------------------------------------------- list and get */

/* The items of the events answer when there is one (a refusal only costs the warnings). */
static const cJSON *event_items(const cJSON *events)
{
    return cJSON_GetObjectItemCaseSensitive(events, "items");
}

static void ask_events(struct http_request *r, http_next_fn next)
{
    struct job *j = http_request_context(r);
    char path[PATH_MAX_BYTES];
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events?limit=%d", j->call.ns, EVENTS_LIMIT);
    api_objects_call_path_as(r, &j->call, "GET", path, NULL, next);
}

static void list_with_events(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct job *j = http_request_context(r);
    cJSON *events = api_objects_answered(&j->call, 200) ? parse(&j->call.answer) : NULL;
    cJSON *list = parse(&j->kept);
    cJSON *out = cJSON_CreateObject();
    cJSON *notebooks = cJSON_AddArrayToObject(out, "notebooks");
    const cJSON *nb;
    time_t now = time(NULL);
    cJSON_ArrayForEach(nb, cJSON_GetObjectItemCaseSensitive(list, "items"))
    {
        cJSON *s = notebook_summary(nb, event_items(events), &k->notebooks->catalog, now);
        if (s) cJSON_AddItemToArray(notebooks, s);
    }
    cJSON_Delete(list);
    cJSON_Delete(events);
    http_reply_json(r, 200, out);
}

static void list_in(struct http_request *r)
{
    struct job *j = http_request_context(r);
    if (!api_objects_answered(&j->call, 200)) {
        api_kube_failure(r, &j->call.answer, "cannot list the notebooks");
        return;
    }
    keep_answer(j);
    ask_events(r, list_with_events);
}

void api_notebooks_list(struct http_request *r)
{
    struct job *j = enter(r);
    if (!j) return;
    char query[32];
    snprintf(query, sizeof(query), "?limit=%d", LIST_LIMIT);
    api_objects_call_as(r, &j->call, "GET", query, NULL, list_in);
}

static void get_with_events(struct http_request *r)
{
    struct job *j = http_request_context(r);
    cJSON *events = api_objects_answered(&j->call, 200) ? parse(&j->call.answer) : NULL;
    cJSON *nb = parse(&j->kept);
    reply_summary(r, 200, nb, event_items(events), true);
    cJSON_Delete(nb);
    cJSON_Delete(events);
}

static void get_in(struct http_request *r)
{
    struct job *j = http_request_context(r);
    if (!api_objects_answered(&j->call, 200)) {
        api_kube_failure(r, &j->call.answer, "cannot read the notebook");
        return;
    }
    keep_answer(j);
    ask_events(r, get_with_events);
}

void api_notebooks_get(struct http_request *r)
{
    struct job *j = enter(r);
    if (!j) return;
    api_objects_call_as(r, &j->call, "GET", "", NULL, get_in);
}

/* ---------------------------------------------------------------- create */

static void undo_next(struct http_request *r);

/* Gives up on a create: deletes the volumes it made, then replies with what went wrong (the
 * answer now in kept, or conflict). */
static void give_up(struct http_request *r)
{
    struct job *j = http_request_context(r);
    keep_answer(j);
    j->next_pvc = j->n_made;
    undo_next(r);
}

static void undo_next(struct http_request *r)
{
    struct job *j = http_request_context(r);
    if (j->next_pvc == 0) {
        if (j->conflict[0])
            http_reply_error(r, 409, j->conflict);
        else
            api_kube_failure(r, &j->kept, "cannot create the notebook");
        return;
    }
    const cJSON *pvc = cJSON_GetArrayItem(j->pvcs, --j->next_pvc);
    const cJSON *name =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pvc, "metadata"), "name");
    char path[PATH_MAX_BYTES];
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/persistentvolumeclaims/%s", j->call.ns,
             name->valuestring);
    api_objects_call_path_as(r, &j->call, "DELETE", path, NULL, undo_next);
}

static void notebook_made(struct http_request *r)
{
    struct job *j = http_request_context(r);
    if (!api_objects_answered(&j->call, 201)) {
        if (api_objects_answered(&j->call, 409))
            snprintf(j->conflict, sizeof(j->conflict), "a notebook named %s exists already",
                     j->call.name);
        give_up(r);
        return;
    }
    cJSON *nb = parse(&j->call.answer);
    reply_summary(r, 201, nb, NULL, false);
    cJSON_Delete(nb);
}

static void pvc_made(struct http_request *r);

/* Makes the next new volume, then the Notebook. */
static void make_next(struct http_request *r)
{
    struct job *j = http_request_context(r);
    char path[PATH_MAX_BYTES];
    if (j->next_pvc == cJSON_GetArraySize(j->pvcs)) {
        snprintf(path, sizeof(path), "/apis/kubeflow.org/v1/namespaces/%s/notebooks", j->call.ns);
        api_objects_call_path_as(r, &j->call, "POST", path, j->notebook, notebook_made);
        return;
    }
    char *body = cJSON_PrintUnformatted(cJSON_GetArrayItem(j->pvcs, j->next_pvc));
    if (!body) {
        give_up(r);
        return;
    }
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/persistentvolumeclaims", j->call.ns);
    api_objects_call_path_as(r, &j->call, "POST", path, body, pvc_made);
    free(body);
}

static void pvc_made(struct http_request *r)
{
    struct job *j = http_request_context(r);
    if (!api_objects_answered(&j->call, 201)) {
        if (api_objects_answered(&j->call, 409)) {
            const cJSON *pvc = cJSON_GetArrayItem(j->pvcs, j->next_pvc);
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(pvc, "metadata"), "name");
            snprintf(j->conflict, sizeof(j->conflict),
                     "a volume named %s exists already: choose it as an existing volume, or "
                     "another name",
                     name->valuestring);
        }
        give_up(r);
        return;
    }
    j->n_made = ++j->next_pvc;
    make_next(r);
}

/* The name is free (404), taken (200), or the caller may not look (a refusal). */
static void name_checked(struct http_request *r)
{
    struct job *j = http_request_context(r);
    if (api_objects_answered(&j->call, 200)) {
        snprintf(j->conflict, sizeof(j->conflict), "a notebook named %s exists already",
                 j->call.name);
        http_reply_error(r, 409, j->conflict);
    } else if (!api_objects_answered(&j->call, 404)) {
        api_kube_failure(r, &j->call.answer, "cannot create the notebook");
    } else {
        make_next(r);
    }
}

void api_notebooks_create(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct job *j = enter(r);
    if (!j) return;
    size_t len;
    const char *text = http_request_body(r, &len);
    cJSON *form = len ? cJSON_ParseWithLength(text, len) : NULL;
    cJSON *nb = NULL;
    char err[NOTEBOOK_ERROR_MAX];
    int e = form ? notebook_from_form(form, &k->notebooks->catalog, j->call.ns,
                                      http_request_identity(r)->email, &nb, &j->pvcs, err)
                 : (snprintf(err, sizeof(err), "send the form as a JSON object"), -EINVAL);
    if (e == 0) {
        const cJSON *meta = cJSON_GetObjectItemCaseSensitive(nb, "metadata");
        snprintf(j->call.name, sizeof(j->call.name), "%s",
                 cJSON_GetObjectItemCaseSensitive(meta, "name")->valuestring);
        j->notebook = cJSON_PrintUnformatted(nb);
        if (!j->notebook) e = -ENOMEM;
    }
    cJSON_Delete(nb);
    cJSON_Delete(form);
    if (e < 0) {
        http_reply_error(r, e == -EINVAL ? 400 : 500, e == -EINVAL ? err : "out of memory");
        return;
    }
    api_objects_call_as(r, &j->call, "GET", "", NULL, name_checked);
}

/* ---------------------------------------------------------------- stop, start, delete */

static void patched(struct http_request *r)
{
    struct job *j = http_request_context(r);
    if (!api_objects_answered(&j->call, 200)) {
        api_kube_failure(r, &j->call.answer, "cannot change the notebook");
        return;
    }
    cJSON *nb = parse(&j->call.answer);
    reply_summary(r, 200, nb, NULL, false);
    cJSON_Delete(nb);
}

void api_notebooks_patch(struct http_request *r)
{
    struct job *j = enter(r);
    if (!j) return;
    size_t len;
    const char *text = http_request_body(r, &len);
    cJSON *body = len ? cJSON_ParseWithLength(text, len) : NULL;
    const cJSON *stopped = cJSON_GetObjectItemCaseSensitive(body, "stopped");
    if (!cJSON_IsObject(body) || !cJSON_IsBool(stopped) || cJSON_GetArraySize(body) != 1) {
        cJSON_Delete(body);
        http_reply_error(r, 400, "send {\"stopped\": true} or {\"stopped\": false}");
        return;
    }
    /* A merge patch: the annotation's value is when it stopped; null removes it. */
    char now[RFC3339_SIZE];
    rfc3339_format(time(NULL), now);
    cJSON *patch = cJSON_CreateObject();
    cJSON *ann = cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "metadata"), "annotations");
    cJSON_AddItemToObject(ann, NOTEBOOK_STOPPED_ANNOTATION,
                          cJSON_IsTrue(stopped) ? cJSON_CreateString(now) : cJSON_CreateNull());
    cJSON_Delete(body);
    char *json = cJSON_PrintUnformatted(patch);
    cJSON_Delete(patch);
    if (!json) {
        http_reply_error(r, 500, "out of memory");
        return;
    }
    api_objects_call_as(r, &j->call, "PATCH", "", json, patched);
    free(json);
}

static void deleted(struct http_request *r)
{
    struct job *j = http_request_context(r);
    if (!api_objects_answered(&j->call, 200) && !api_objects_answered(&j->call, 202)) {
        api_kube_failure(r, &j->call.answer, "cannot delete the notebook");
        return;
    }
    http_reply_json(r, 200, cJSON_CreateObject());
}

void api_notebooks_delete(struct http_request *r)
{
    struct job *j = enter(r);
    if (!j) return;
    api_objects_call_as(r, &j->call, "DELETE", "", NULL, deleted);
}

/* ---------------------------------------------------------------- pod, logs, events */

static void pod_in(struct http_request *r)
{
    struct job *j = http_request_context(r);
    if (!api_objects_answered(&j->call, 200)) {
        api_kube_failure(r, &j->call.answer, "cannot list the notebook's pods");
        return;
    }
    cJSON *list = parse(&j->call.answer);
    cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items");
    cJSON *pod = cJSON_IsArray(items) ? cJSON_DetachItemFromArray(items, 0) : NULL;
    cJSON_Delete(list);
    if (!pod) {
        http_reply_error(r, 404, "no pod (the notebook is stopped or not started)");
        return;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "pod", pod);
    http_reply_json(r, 200, out);
}

void api_notebooks_pod(struct http_request *r)
{
    struct job *j = enter(r);
    if (!j) return;
    char path[PATH_MAX_BYTES];
    snprintf(path, sizeof(path),
             "/api/v1/namespaces/%s/pods?labelSelector=notebook-name%%3D%s&limit=1", j->call.ns,
             j->call.name);
    api_objects_call_path_as(r, &j->call, "GET", path, NULL, pod_in);
}

void api_notebooks_logs(struct http_request *r)
{
    struct job *j = enter(r);
    if (!j) return;
    const char *pod = http_request_param(r, "pod");
    const char *tail = http_request_query(r, "tailLines");
    const char *follow = http_request_query(r, "follow");
    long lines = TAIL_LINES;
    if (tail) {
        char *end;
        lines = strtol(tail, &end, 10);
        if (!*tail || *end || lines < 1 || lines > TAIL_LINES_MAX) {
            http_reply_error(r, 400, "tailLines: a number from 1 to 10000");
            return;
        }
    }
    if (!pod || !k8s_name_is_dns_label(pod)) {
        http_reply_error(r, 400, "not a pod name");
        return;
    }
    if (follow && strcmp(follow, "true") != 0 && strcmp(follow, "false") != 0) {
        http_reply_error(r, 400, "follow: true or false");
        return;
    }
    char path[PATH_MAX_BYTES];
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s/log?container=%s&tailLines=%ld%s",
             j->call.ns, pod, j->call.name, lines,
             follow && !strcmp(follow, "true") ? "&follow=true" : "");
    api_k8s_forward_as_user(r, path, API_K8S_LOG_ACCEPT);
}

static const char *string_of(const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void events_in(struct http_request *r)
{
    struct job *j = http_request_context(r);
    if (!api_objects_answered(&j->call, 200)) {
        api_kube_failure(r, &j->call.answer, "cannot list the events");
        return;
    }
    cJSON *list = parse(&j->call.answer);
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items"), *e;
    const cJSON **about = calloc((size_t)cJSON_GetArraySize(items) + 1, sizeof(*about));
    size_t n = 0;
    cJSON_ArrayForEach(e, (about ? items : NULL))
    {
        if (notebook_event_is_about(e, j->call.name)) about[n++] = e;
    }
    k8s_events_newest_first(about, n);
    cJSON *out = cJSON_CreateObject();
    cJSON *events = cJSON_AddArrayToObject(out, "events");
    for (size_t i = 0; events && i < n && i < EVENTS_MAX; i++) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "type", string_of(about[i], "type"));
        cJSON_AddStringToObject(item, "reason", string_of(about[i], "reason"));
        cJSON_AddStringToObject(item, "message", string_of(about[i], "message"));
        const cJSON *count = cJSON_GetObjectItemCaseSensitive(about[i], "count");
        cJSON_AddNumberToObject(item, "count", cJSON_IsNumber(count) ? count->valuedouble : 1);
        cJSON_AddStringToObject(item, "lastTimestamp", k8s_event_time(about[i]));
        const cJSON *obj = cJSON_GetObjectItemCaseSensitive(about[i], "involvedObject");
        char object[320];
        snprintf(object, sizeof(object), "%s/%s", string_of(obj, "kind"), string_of(obj, "name"));
        cJSON_AddStringToObject(item, "object", object);
        cJSON_AddItemToArray(events, item);
    }
    free(about);
    cJSON_Delete(list);
    http_reply_json(r, 200, out);
}

void api_notebooks_events(struct http_request *r)
{
    if (!enter(r)) return;
    ask_events(r, events_in);
}

/* ---------------------------------------------------------------- volumes and PodDefaults */

static void pvcs_in(struct http_request *r)
{
    struct job *j = http_request_context(r);
    if (!api_objects_answered(&j->call, 200)) {
        api_kube_failure(r, &j->call.answer, "cannot list the volumes");
        return;
    }
    cJSON *list = parse(&j->call.answer);
    cJSON *out = cJSON_CreateObject();
    cJSON *pvcs = cJSON_AddArrayToObject(out, "pvcs");
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(list, "items"))
    {
        const cJSON *meta = cJSON_GetObjectItemCaseSensitive(p, "metadata");
        const cJSON *spec = cJSON_GetObjectItemCaseSensitive(p, "spec");
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(p, "status");
        /* What it got, else what it asked for. */
        const char *size =
            string_of(cJSON_GetObjectItemCaseSensitive(status, "capacity"), "storage");
        if (!*size)
            size = string_of(cJSON_GetObjectItemCaseSensitive(
                                 cJSON_GetObjectItemCaseSensitive(spec, "resources"), "requests"),
                             "storage");
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "name", string_of(meta, "name"));
        cJSON_AddStringToObject(item, "size", size);
        const cJSON *modes = cJSON_GetObjectItemCaseSensitive(spec, "accessModes");
        cJSON_AddItemToObject(item, "accessModes",
                              cJSON_IsArray(modes) ? cJSON_Duplicate(modes, true)
                                                   : cJSON_CreateArray());
        cJSON_AddStringToObject(item, "storageClass", string_of(spec, "storageClassName"));
        cJSON_AddStringToObject(item, "phase", string_of(status, "phase"));
        cJSON_AddItemToArray(pvcs, item);
    }
    cJSON_Delete(list);
    http_reply_json(r, 200, out);
}

void api_notebooks_pvcs(struct http_request *r)
{
    struct job *j = enter(r);
    if (!j) return;
    char path[PATH_MAX_BYTES];
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/persistentvolumeclaims?limit=%d",
             j->call.ns, LIST_LIMIT);
    api_objects_call_path_as(r, &j->call, "GET", path, NULL, pvcs_in);
}

/* {name, label, desc} of a PodDefault: label is the first key it selects on. */
static cJSON *poddefault_summary(const cJSON *p)
{
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(p, "spec");
    const cJSON *match = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(spec, "selector"), "matchLabels");
    const cJSON *first = cJSON_IsObject(match) ? match->child : NULL;
    cJSON *item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "name",
                            string_of(cJSON_GetObjectItemCaseSensitive(p, "metadata"), "name"));
    cJSON_AddStringToObject(item, "label", first && first->string ? first->string : "");
    cJSON_AddStringToObject(item, "desc", string_of(spec, "desc"));
    return item;
}

static void poddefaults_in(struct http_request *r)
{
    struct job *j = http_request_context(r);
    if (!api_objects_answered(&j->call, 200)) {
        api_kube_failure(r, &j->call.answer, "cannot list the PodDefaults");
        return;
    }
    cJSON *list = parse(&j->call.answer);
    cJSON *out = cJSON_CreateObject();
    cJSON *items = cJSON_AddArrayToObject(out, "poddefaults");
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(list, "items"))
        cJSON_AddItemToArray(items, poddefault_summary(p));
    cJSON_Delete(list);
    http_reply_json(r, 200, out);
}

void api_notebooks_poddefaults(struct http_request *r)
{
    struct job *j = enter(r);
    if (!j) return;
    char path[PATH_MAX_BYTES];
    snprintf(path, sizeof(path), "/apis/kubeflow.org/v1alpha1/namespaces/%s/poddefaults?limit=%d",
             j->call.ns, LIST_LIMIT);
    api_objects_call_path_as(r, &j->call, "GET", path, NULL, poddefaults_in);
}

static void mlflow_done(struct http_request *r)
{
    struct job *j = http_request_context(r);
    if (!api_objects_answered(&j->call, 201) && !api_objects_answered(&j->call, 200)) {
        api_kube_failure(r, &j->call.answer, "cannot write the MLflow PodDefault");
        return;
    }
    cJSON *p = parse(&j->call.answer);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "poddefault", poddefault_summary(p));
    cJSON_Delete(p);
    http_reply_json(r, (unsigned)j->call.answer.status, out);
}

/* It exists already (409): bring it to what kfdash would write, with a merge patch. */
static void mlflow_posted(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct job *j = http_request_context(r);
    if (!api_objects_answered(&j->call, 409)) {
        mlflow_done(r);
        return;
    }
    cJSON *p = notebook_mlflow_poddefault(j->call.ns, k->cfg->notebook_mlflow_tracking_uri);
    cJSON *patch = cJSON_CreateObject();
    if (p && patch)
        cJSON_AddItemToObject(patch, "spec", cJSON_DetachItemFromObjectCaseSensitive(p, "spec"));
    char *json = p && patch ? cJSON_PrintUnformatted(patch) : NULL;
    cJSON_Delete(p);
    cJSON_Delete(patch);
    if (!json) {
        http_reply_error(r, 500, "out of memory");
        return;
    }
    char path[PATH_MAX_BYTES];
    snprintf(path, sizeof(path), "/apis/kubeflow.org/v1alpha1/namespaces/%s/poddefaults/mlflow",
             j->call.ns);
    api_objects_call_path_as(r, &j->call, "PATCH", path, json, mlflow_done);
    free(json);
}

/* The token Secret is there (made now, or before): the PodDefault that hands it out next. */
static void mlflow_token_made(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct job *j = http_request_context(r);
    if (!api_objects_answered(&j->call, 201) && !api_objects_answered(&j->call, 409)) {
        api_kube_failure(r, &j->call.answer, "cannot make the MLflow token Secret");
        return;
    }
    cJSON *p = notebook_mlflow_poddefault(j->call.ns, k->cfg->notebook_mlflow_tracking_uri);
    char *json = p ? cJSON_PrintUnformatted(p) : NULL;
    cJSON_Delete(p);
    if (!json) {
        http_reply_error(r, 500, "out of memory");
        return;
    }
    char path[PATH_MAX_BYTES];
    snprintf(path, sizeof(path), "/apis/kubeflow.org/v1alpha1/namespaces/%s/poddefaults",
             j->call.ns);
    api_objects_call_path_as(r, &j->call, "POST", path, json, mlflow_posted);
    free(json);
}

/* Notebooks reach MLflow through kfdash (notebooks.mlflow_tracking_uri is kfdash's /mlflow) with
 * their namespace's own service-account token, as the user makes both objects. */
void api_notebooks_mlflow(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    struct job *j = enter(r);
    if (!j) return;
    if (!*k->cfg->notebook_mlflow_tracking_uri) {
        http_reply_error(r, 409,
                         "no MLflow tracking URI is configured here "
                         "(notebooks.mlflow_tracking_uri)");
        return;
    }
    cJSON *secret = notebook_mlflow_token_secret(j->call.ns);
    char *json = secret ? cJSON_PrintUnformatted(secret) : NULL;
    cJSON_Delete(secret);
    if (!json) {
        http_reply_error(r, 500, "out of memory");
        return;
    }
    char path[PATH_MAX_BYTES];
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/secrets", j->call.ns);
    api_objects_call_path_as(r, &j->call, "POST", path, json, mlflow_token_made);
    free(json);
}
