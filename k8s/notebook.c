/* k8s/notebook: Notebooks as the Jupyter web app shows and makes them; see notebook.h. */
#include "k8s/notebook.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/event.h"
#include "k8s/json.h"
#include "k8s/name.h"
#include "k8s/spawner.h"
#include "lib/clock.h"

/* The spawner config's default PodDefaults fit in a form's list of them. */
_Static_assert(SPAWNER_LABELS_MAX <= NOTEBOOK_PODDEFAULTS_MAX,
               "default PodDefaults overflow a form");

/* A young notebook nobody has reported on is still "waiting" this long, then "uninitialized". */
#define CONTROLLER_GRACE_S 60

/* ---------------------------------------------------------------- reading objects */

/* A string member, or NULL. */
static const char *text(const cJSON *j, const char *key)
{
    const cJSON *v = json_item(j, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *text_or(const cJSON *j, const char *key, const char *fallback)
{
    const char *s = text(j, key);
    return s ? s : fallback;
}

static const char *annotation(const cJSON *nb, const char *key)
{
    return text(json_item(json_item(nb, "metadata"), "annotations"), key);
}

/* The first container of the pod template: the notebook's own. */
static const cJSON *main_container(const cJSON *nb)
{
    const cJSON *list =
        json_item(json_item(json_item(json_item(nb, "spec"), "template"), "spec"), "containers");
    const cJSON *first = cJSON_IsArray(list) ? cJSON_GetArrayItem(list, 0) : NULL;
    return cJSON_IsObject(first) ? first : NULL;
}

/* When an Event last happened, -1 if it does not say. */
static time_t event_time(const cJSON *e)
{
    return rfc3339_parse(k8s_event_time(e));
}

/* ---------------------------------------------------------------- status */

static void set_status(struct notebook_status *s, const char *phase, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static void set_status(struct notebook_status *s, const char *phase, const char *format, ...)
{
    s->phase = phase;
    va_list ap;
    va_start(ap, format);
    vsnprintf(s->message, sizeof(s->message), format, ap);
    va_end(ap);
}

static bool is_one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0) return true;
    return false;
}

/* "reason: message", or the reason alone. */
static void set_reason(struct notebook_status *s, const char *phase, const cJSON *j,
                       const char *fallback)
{
    const char *reason = text_or(j, "reason", fallback);
    const char *message = text(j, "message");
    if (message && *message)
        set_status(s, phase, "%s: %s", reason, message);
    else
        set_status(s, phase, "%s", reason);
}

bool notebook_event_is_about(const cJSON *event, const char *name)
{
    const char *who = text(json_item(event, "involvedObject"), "name");
    size_t n = strlen(name);
    return who && strncmp(who, name, n) == 0 && (who[n] == '\0' || who[n] == '-');
}

/* The newest Warning event about the notebook since it was created, or NULL. */
static const cJSON *latest_warning(const cJSON *events, const char *name, time_t created)
{
    const cJSON *best = NULL, *e;
    time_t best_t = -1;
    cJSON_ArrayForEach(e, (cJSON_IsArray(events) ? events : NULL))
    {
        const char *type = text(e, "type");
        if (!type || strcmp(type, "Warning") != 0 || !notebook_event_is_about(e, name)) continue;
        time_t t = event_time(e);
        if (created >= 0 && t >= 0 && t < created) continue; /* an earlier notebook's */
        if (!best || t > best_t) best = e, best_t = t;
    }
    return best;
}

void notebook_status(const cJSON *nb, const cJSON *events, time_t now, struct notebook_status *ret)
{
    static const char *const starting[] = {"PodInitializing", "ContainerCreating", NULL};
    /* Reasons a container does not get over by itself. */
    static const char *const broken[] = {
        "ErrImagePull",         "ImagePullBackOff",  "InvalidImageName",
        "ErrImageNeverPull",    "CrashLoopBackOff",  "CreateContainerConfigError",
        "CreateContainerError", "RunContainerError", NULL};
    const cJSON *meta = json_item(nb, "metadata"), *status = json_item(nb, "status");
    const cJSON *replicas = json_item(status, "readyReplicas");
    double ready = cJSON_IsNumber(replicas) ? replicas->valuedouble : 0;
    const cJSON *state = json_item(status, "containerState");
    const cJSON *waiting = json_item(state, "waiting"),
                *terminated = json_item(state, "terminated");
    const cJSON *conditions = json_item(status, "conditions");
    const char *name = text_or(meta, "name", "");
    time_t created = rfc3339_parse(text(meta, "creationTimestamp"));
    const cJSON *warning = latest_warning(events, name, created);

    if (text(meta, "deletionTimestamp")) {
        set_status(ret, "terminating", "Deleting this notebook server.");
    } else if (annotation(nb, NOTEBOOK_STOPPED_ANNOTATION)) {
        if (ready < 1)
            set_status(ret, "stopped", "No pods are running for this notebook server.");
        else
            set_status(ret, "waiting", "Stopping this notebook server.");
    } else if (ready >= 1) {
        set_status(ret, "ready", "Running");
    } else if (cJSON_IsObject(waiting)) {
        const char *reason = text_or(waiting, "reason", "Waiting");
        if (is_one_of(reason, starting))
            set_status(ret, "waiting", "%s", reason);
        else
            set_reason(ret, is_one_of(reason, broken) ? "error" : "warning", waiting, "Waiting");
    } else if (cJSON_IsObject(terminated)) {
        const cJSON *code = json_item(terminated, "exitCode");
        if (!text(terminated, "message") && cJSON_IsNumber(code))
            set_status(ret, "error", "%s: the server exited with code %d",
                       text_or(terminated, "reason", "Terminated"), code->valueint);
        else
            set_reason(ret, "error", terminated, "Terminated");
    } else if (warning) {
        set_reason(ret, "warning", warning, "Warning");
    } else if (json_item(state, "running")) {
        set_status(ret, "waiting", "The server is starting.");
    } else {
        const cJSON *c, *why = NULL;
        cJSON_ArrayForEach(c, (cJSON_IsArray(conditions) ? conditions : NULL))
        {
            const char *st = text(c, "status");
            if (!why && text(c, "reason") && (!st || strcmp(st, "True") != 0)) why = c;
        }
        bool silent = !replicas && cJSON_GetArraySize(state) == 0 &&
                      cJSON_GetArraySize(cJSON_IsArray(conditions) ? conditions : NULL) == 0;
        if (why)
            set_reason(ret, "warning", why, "NotReady");
        else if (silent && created >= 0 && now - created < CONTROLLER_GRACE_S)
            set_status(ret, "waiting", "Waiting for the notebook controller to start the pod.");
        else if (silent)
            set_status(ret, "uninitialized",
                       "No notebook controller has reported on this notebook yet.");
        else
            set_status(ret, "unavailable",
                       "No pod of this notebook is ready, and nothing says "
                       "why.");
    }
}

/* ---------------------------------------------------------------- summary */

static bool is_gpu_key(const char *key, const struct notebook_catalog *cat)
{
    for (size_t i = 0; i < cat->n_gpu_vendors; i++)
        if (strcmp(key, cat->gpu_vendors[i]) == 0) return true;
    size_t n = strlen(key);
    return n > 4 && strcmp(key + n - 4, "/gpu") == 0;
}

cJSON *notebook_summary(const cJSON *nb, const cJSON *events, const struct notebook_catalog *cat,
                        time_t now)
{
    const cJSON *meta = json_item(nb, "metadata");
    const char *name = text_or(meta, "name", ""), *ns = text_or(meta, "namespace", "");
    const cJSON *container = main_container(nb);
    const cJSON *resources = json_item(container, "resources");
    const cJSON *requests = json_item(resources, "requests"),
                *limits = json_item(resources, "limits");
    const char *image = text_or(container, "image", "");
    const char *slash = strrchr(image, '/');

    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "name", name);
    cJSON_AddStringToObject(s, "namespace", ns);
    const char *type = annotation(nb, NOTEBOOK_SERVER_ANNOTATION);
    cJSON_AddStringToObject(s, "serverType", type ? type : "jupyter");
    cJSON_AddStringToObject(s, "image", image);
    cJSON_AddStringToObject(s, "shortImage", slash ? slash + 1 : image);
    cJSON_AddStringToObject(s, "cpu", text_or(requests, "cpu", text_or(limits, "cpu", "")));
    cJSON_AddStringToObject(s, "memory",
                            text_or(requests, "memory", text_or(limits, "memory", "")));

    cJSON *gpus = cJSON_AddObjectToObject(s, "gpus");
    const cJSON *limit, *found = NULL;
    cJSON_ArrayForEach(limit, (cJSON_IsObject(limits) ? limits : NULL))
    {
        if (!found && limit->string && is_gpu_key(limit->string, cat)) found = limit;
    }
    /* A number no long holds (1e300) reads as none rather than being cast. */
    bool number = cJSON_IsNumber(found) && found->valuedouble > -1e15 && found->valuedouble < 1e15;
    long count = !found                  ? 0
                 : cJSON_IsString(found) ? strtol(found->valuestring, NULL, 10)
                 : number                ? (long)found->valuedouble
                                         : 0;
    cJSON_AddNumberToObject(gpus, "count", (double)count);
    cJSON_AddStringToObject(gpus, "vendor", found ? found->string : "");

    cJSON *volumes = cJSON_AddArrayToObject(s, "volumes");
    const cJSON *v;
    cJSON_ArrayForEach(
        v, json_item(json_item(json_item(json_item(nb, "spec"), "template"), "spec"), "volumes"))
    {
        const char *claim = text(json_item(v, "persistentVolumeClaim"), "claimName");
        if (claim && volumes) cJSON_AddItemToArray(volumes, cJSON_CreateString(claim));
    }

    struct notebook_status st;
    notebook_status(nb, events, now, &st);
    cJSON *status = cJSON_AddObjectToObject(s, "status");
    cJSON_AddStringToObject(status, "phase", st.phase);
    cJSON_AddStringToObject(status, "message", st.message);

    const char *active = annotation(nb, NOTEBOOK_ACTIVE_ANNOTATION);
    const char *creator = annotation(nb, NOTEBOOK_CREATOR_ANNOTATION);
    cJSON_AddStringToObject(s, "lastActivity", active ? active : "");
    cJSON_AddStringToObject(s, "createdAt", text_or(meta, "creationTimestamp", ""));
    cJSON_AddStringToObject(s, "creator", creator ? creator : "");
    cJSON_AddBoolToObject(s, "stopped", annotation(nb, NOTEBOOK_STOPPED_ANNOTATION) != NULL);
    char url[200];
    snprintf(url, sizeof(url), "/notebook/%s/%s/", ns, name);
    cJSON_AddStringToObject(s, "url", url);
    /* cJSON's Add* functions fail silently: check the whole at the end. */
    if (!status || !gpus || !volumes || !cJSON_GetObjectItemCaseSensitive(s, "url")) {
        cJSON_Delete(s);
        return NULL;
    }
    return s;
}

/* ---------------------------------------------------------------- names and values */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* 1 to max decimal digits and nothing else. */
static bool is_digits(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max) return false;
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i])) return false;
    return true;
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool notebook_is_quantity(const char *s)
{
    static const char *const suffixes[] = {"",  "n",  "u",  "m",  "k",  "M",  "G",  "T", "P",
                                           "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", NULL};
    size_t n = strlen(s);
    if (n == 0 || n > NOTEBOOK_QUANTITY_MAX) return false;
    const char *p = s;
    bool digits = false, nonzero = false;
    while (is_digit(*p)) digits = true, nonzero = nonzero || *p != '0', p++;
    if (*p == '.') {
        p++;
        while (is_digit(*p)) digits = true, nonzero = nonzero || *p != '0', p++;
    }
    if (!digits || !nonzero) return false;
    if ((*p == 'e' || *p == 'E') &&
        (is_digit(p[1]) || ((p[1] == '+' || p[1] == '-') && is_digit(p[2])))) {
        p += p[1] == '+' || p[1] == '-' ? 2 : 1;
        while (is_digit(*p)) p++;
        return *p == '\0';
    }
    return is_one_of(p, suffixes);
}

bool notebook_is_mount_path(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > NOTEBOOK_MOUNT_PATH_MAX || s[0] != '/') return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '\\')
            return false;
    /* Every segment between slashes: not empty, not "." nor "..". */
    for (const char *seg = s + 1;; seg++) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        if (!end) return true;
        seg = end;
    }
}

/* A DNS-1123 subdomain: dot-separated labels, at most 253. */
static bool is_dns_subdomain(const char *s, size_t n)
{
    if (n == 0 || n > 253) return false;
    char label[64];
    for (size_t start = 0; start <= n;) {
        const char *dot = memchr(s + start, '.', n - start);
        size_t len = dot ? (size_t)(dot - (s + start)) : n - start;
        if (len == 0 || len > 63) return false;
        memcpy(label, s + start, len);
        label[len] = '\0';
        if (!k8s_name_is_dns_label(label)) return false;
        start += len + 1;
    }
    return true;
}

bool notebook_is_label_key(const char *s)
{
    const char *slash = strchr(s, '/');
    if (slash && !is_dns_subdomain(s, (size_t)(slash - s))) return false;
    const char *name = slash ? slash + 1 : s;
    size_t n = strlen(name);
    if (n == 0 || n > 63 || !is_alnum(name[0]) || !is_alnum(name[n - 1])) return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(name[i]) && name[i] != '-' && name[i] != '_' && name[i] != '.') return false;
    return true;
}

/* A name the notebook's Service may carry too: a DNS-1035 label (starts with a letter). */
static bool is_notebook_name(const char *s)
{
    return strlen(s) <= NOTEBOOK_NAME_MAX && k8s_name_is_dns_label(s) && s[0] >= 'a' && s[0] <= 'z';
}

/* An image reference: registry/path:tag or @digest characters only. */
static bool is_image(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > NOTEBOOK_IMAGE_MAX || !is_alnum(s[0])) return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]) && !strchr("._-/:@", s[i])) return false;
    return true;
}

/* ---------------------------------------------------------------- the create form */

/* Volumes of one form: PersistentVolumeClaims mounted in the notebook's container. */
#define MOUNTS_MAX (NOTEBOOK_DATA_VOLUMES_MAX + 2)

struct mount {
    const char *claim; /* the PVC (and the pod volume's name) */
    const char *path;  /* where it is mounted */
    const char *size;  /* a new PVC's size; NULL for an existing one */
};

struct form {
    const char *name, *image, *cpu, *memory, *server_type;
    const char *pull_policy;              /* the container's imagePullPolicy */
    char cpu_limit[48], memory_limit[48]; /* "" for none */
    const cJSON *affinity;       /* the pod's affinity (borrowed from the spawner config) */
    const cJSON *tolerations;    /* the pod's tolerations (the same) */
    bool shm;                    /* an emptyDir at /dev/shm */
    const char *workspace_mount; /* where the workspace is mounted */
    long gpus;
    const char *gpu_vendor;
    struct mount mounts[MOUNTS_MAX];
    size_t n_mounts;
    const char *labels[NOTEBOOK_PODDEFAULTS_MAX];
    size_t n_labels;
    char workspace[NOTEBOOK_NAME_MAX + 16]; /* <name>-workspace */
};

/* Sets err and returns false. */
static bool bad(char *err, const char *format, ...) __attribute__((format(printf, 2, 3)));

static bool bad(char *err, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    vsnprintf(err, NOTEBOOK_ERROR_MAX, format, ap);
    va_end(ap);
    return false;
}

/* An optional string member: *ret untouched when absent; false (err set) when not a string. */
static bool optional_string(const cJSON *j, const char *key, const char **ret, char *err)
{
    const cJSON *v = json_item(j, key);
    if (!v || cJSON_IsNull(v)) return true;
    if (!cJSON_IsString(v)) return bad(err, "%s: a string", key);
    *ret = v->valuestring;
    return true;
}

static bool add_mount(struct form *f, const char *claim, const char *path, const char *size,
                      const char *what, char *err)
{
    if (!k8s_name_is_dns_label(claim))
        return bad(err,
                   "%s: the volume name must be 1-63 lowercase letters, digits or '-', "
                   "starting and ending with a letter or digit",
                   what);
    if (!notebook_is_mount_path(path))
        return bad(err, "%s: mountPath must be an absolute path without '.' or '..' segments",
                   what);
    if (size && !notebook_is_quantity(size))
        return bad(err, "%s: size must be a Kubernetes quantity such as 10Gi", what);
    if (strcmp(claim, "dshm") == 0 || strcmp(path, "/dev/shm") == 0)
        return bad(err, "%s: dshm and /dev/shm are the notebook's shared memory", what);
    for (size_t i = 0; i < f->n_mounts; i++) {
        if (strcmp(f->mounts[i].claim, claim) == 0)
            return bad(err, "%s: the volume %s is used twice", what, claim);
        if (strcmp(f->mounts[i].path, path) == 0)
            return bad(err, "%s: two volumes are mounted at %s", what, path);
    }
    if (f->n_mounts == MOUNTS_MAX) return bad(err, "too many volumes");
    f->mounts[f->n_mounts++] = (struct mount){claim, path, size};
    return true;
}

/* What a readOnly field of the spawner config answers when the form asks for another value. */
static bool fixed(char *err, const char *field)
{
    return bad(err, "%s: set by the administrator (readOnly), it cannot be changed", field);
}

static bool read_workspace(const cJSON *form, const struct spawner_config *sp, struct form *f,
                           char *err)
{
    const cJSON *w = json_item(form, "workspace");
    const char *def_size = sp ? sp->workspace_size : NOTEBOOK_DEFAULT_WORKSPACE_SIZE;
    const char *def_mode = def_size ? "new" : "none";
    const char *mode = def_mode, *size = def_size ? def_size : NOTEBOOK_DEFAULT_WORKSPACE_SIZE,
               *pvc = NULL;
    if (w && !cJSON_IsNull(w)) {
        if (!cJSON_IsObject(w)) return bad(err, "workspace: an object with a mode");
        if (!optional_string(w, "mode", &mode, err) || !optional_string(w, "size", &size, err) ||
            !optional_string(w, "pvc", &pvc, err))
            return false;
        if (sp && sp->workspace_read_only &&
            (strcmp(mode, def_mode) != 0 || pvc || (def_size && strcmp(size, def_size) != 0)))
            return fixed(err, "workspace");
    }
    if (strcmp(mode, "none") == 0) return true;
    if (strcmp(mode, "new") == 0)
        return add_mount(f, f->workspace, f->workspace_mount, size, "workspace", err);
    if (strcmp(mode, "existing") == 0) {
        if (!pvc) return bad(err, "workspace: pvc names the existing volume");
        return add_mount(f, pvc, f->workspace_mount, NULL, "workspace", err);
    }
    return bad(err, "workspace: mode is new, existing or none");
}

static bool read_data_volumes(const cJSON *form, const struct spawner_config *sp, struct form *f,
                              char *err)
{
    const cJSON *list = json_item(form, "dataVolumes"), *v;
    if (!list || cJSON_IsNull(list)) return true;
    if (!cJSON_IsArray(list)) return bad(err, "dataVolumes: a list");
    if (sp && sp->data_volumes_read_only && cJSON_GetArraySize(list) > 0)
        return fixed(err, "dataVolumes");
    if (cJSON_GetArraySize(list) > NOTEBOOK_DATA_VOLUMES_MAX)
        return bad(err, "dataVolumes: at most %d", NOTEBOOK_DATA_VOLUMES_MAX);
    int i = 0;
    cJSON_ArrayForEach(v, list)
    {
        char what[32];
        snprintf(what, sizeof(what), "dataVolumes[%d]", i++);
        const char *mode = NULL, *name = NULL, *pvc = NULL, *size = NULL, *path = NULL;
        if (!cJSON_IsObject(v)) return bad(err, "%s: an object", what);
        if (!optional_string(v, "mode", &mode, err) || !optional_string(v, "name", &name, err) ||
            !optional_string(v, "pvc", &pvc, err) || !optional_string(v, "size", &size, err) ||
            !optional_string(v, "mountPath", &path, err))
            return false;
        if (!path) return bad(err, "%s: mountPath is missing", what);
        bool fresh = mode && strcmp(mode, "new") == 0;
        if (!fresh && (!mode || strcmp(mode, "existing") != 0))
            return bad(err, "%s: mode is new or existing", what);
        if (fresh && (!name || !size))
            return bad(err, "%s: a new volume needs name and size", what);
        if (!fresh && !pvc) return bad(err, "%s: pvc names the existing volume", what);
        if (!add_mount(f, fresh ? name : pvc, path, fresh ? size : NULL, what, err)) return false;
    }
    return true;
}

static bool read_gpus(const cJSON *form, const struct notebook_catalog *cat, struct form *f,
                      char *err)
{
    const struct spawner_config *sp = cat->spawner;
    const cJSON *g = json_item(form, "gpus");
    const char *vendor = sp ? sp->gpu_vendor : "";
    if (sp) f->gpus = sp->gpu_num;
    if (!g || cJSON_IsNull(g)) g = NULL;
    const cJSON *count = json_item(g, "count");
    if (!g && f->gpus == 0) return true;
    if (g && (!cJSON_IsObject(g) || !optional_string(g, "vendor", &vendor, err)))
        return bad(err, "gpus: {\"count\": N, \"vendor\": \"...\"}");
    if (count && !cJSON_IsNull(count)) {
        double d = cJSON_IsNumber(count) ? count->valuedouble
                   : cJSON_IsString(count) && is_digits(count->valuestring, 2)
                       ? strtod(count->valuestring, NULL)
                       : -1;
        if (d < 0 || d > NOTEBOOK_GPUS_MAX || d != (long)d)
            return bad(err, "gpus: count is a whole number from 0 to %d", NOTEBOOK_GPUS_MAX);
        f->gpus = (long)d;
    }
    if (sp && sp->gpu_read_only &&
        (f->gpus != sp->gpu_num || (f->gpus > 0 && strcmp(vendor, sp->gpu_vendor) != 0)))
        return fixed(err, "gpus");
    if (f->gpus == 0) return true;
    for (size_t i = 0; i < cat->n_gpu_vendors; i++)
        if (strcmp(vendor, cat->gpu_vendors[i]) == 0) {
            f->gpu_vendor = cat->gpu_vendors[i];
            return true;
        }
    return bad(err, "gpus: vendor is not one this dashboard offers");
}

static bool read_poddefaults(const cJSON *form, const struct spawner_config *sp, struct form *f,
                             char *err)
{
    const cJSON *list = json_item(form, "podDefaults"), *v;
    if (!list || cJSON_IsNull(list)) {
        for (size_t i = 0; sp && i < sp->n_configurations; i++)
            f->labels[f->n_labels++] = sp->configurations[i];
        return true;
    }
    if (!cJSON_IsArray(list)) return bad(err, "podDefaults: a list of labels");
    if (cJSON_GetArraySize(list) > NOTEBOOK_PODDEFAULTS_MAX)
        return bad(err, "podDefaults: at most %d", NOTEBOOK_PODDEFAULTS_MAX);
    cJSON_ArrayForEach(v, list)
    {
        if (!cJSON_IsString(v) || !notebook_is_label_key(v->valuestring))
            return bad(err, "podDefaults: each is a PodDefault's label key");
        bool seen = false;
        for (size_t i = 0; i < f->n_labels; i++)
            seen = seen || !strcmp(f->labels[i], v->valuestring);
        if (!seen) f->labels[f->n_labels++] = v->valuestring;
    }
    if (sp && sp->configurations_read_only) {
        /* The same set as the administrator's, in any order. */
        bool same = f->n_labels == sp->n_configurations;
        for (size_t i = 0; same && i < f->n_labels; i++) {
            bool found = false;
            for (size_t k = 0; k < sp->n_configurations; k++)
                found = found || !strcmp(f->labels[i], sp->configurations[k]);
            same = found;
        }
        if (!same) return fixed(err, "podDefaults");
    }
    return true;
}

/* affinityConfig or tolerationGroup: the chosen option's object (NULL for none). */
static bool read_choice(const cJSON *form, const char *field, const struct spawner_choice *c,
                        const char *member, const cJSON **ret, char *err)
{
    const char *key = c ? c->value : "";
    if (!optional_string(form, field, &key, err)) return false;
    if (c && c->read_only && strcmp(key, c->value) != 0) return fixed(err, field);
    if (!*key) return true;
    const cJSON *o = c ? spawner_choice_find(c, key) : NULL;
    if (!o) return bad(err, "%s: not one this dashboard offers", field);
    *ret = json_item(o, member);
    return true;
}

/* The spawner config's settings beyond the catalog: pull policy, limits, affinity, tolerations,
 * shared memory. */
static bool read_pod_settings(const cJSON *form, const struct spawner_config *sp, struct form *f,
                              char *err)
{
    f->pull_policy = sp ? sp->pull_policy : "IfNotPresent";
    if (!optional_string(form, "imagePullPolicy", &f->pull_policy, err)) return false;
    if (strcmp(f->pull_policy, "Always") && strcmp(f->pull_policy, "IfNotPresent") &&
        strcmp(f->pull_policy, "Never"))
        return bad(err, "imagePullPolicy: Always, IfNotPresent or Never");
    if (sp && sp->pull_policy_read_only && strcmp(f->pull_policy, sp->pull_policy) != 0)
        return fixed(err, "imagePullPolicy");
    const cJSON *shm = json_item(form, "shm");
    f->shm = sp ? sp->shm : true;
    if (shm && !cJSON_IsNull(shm)) {
        if (!cJSON_IsBool(shm)) return bad(err, "shm: true or false");
        f->shm = cJSON_IsTrue(shm);
        if (sp && sp->shm_read_only && f->shm != sp->shm) return fixed(err, "shm");
    }
    if (sp && sp->cpu.limit_factor > 0 &&
        !spawner_limit(f->cpu, sp->cpu.limit_factor, f->cpu_limit, sizeof(f->cpu_limit)))
        return bad(err, "cpu: a quantity such as 0.5 or 500m (its limit is a multiple of it)");
    if (sp && sp->memory.limit_factor > 0 &&
        !spawner_limit(f->memory, sp->memory.limit_factor, f->memory_limit,
                       sizeof(f->memory_limit)))
        return bad(err, "memory: a quantity such as 1Gi (its limit is a multiple of it)");
    return read_choice(form, "affinityConfig", sp ? &sp->affinity : NULL, "affinity", &f->affinity,
                       err) &&
           read_choice(form, "tolerationGroup", sp ? &sp->tolerations : NULL, "tolerations",
                       &f->tolerations, err);
}

/* The image, checked against the server type's images (the spawner config's groups when set). */
static bool read_image(const cJSON *form, const struct notebook_catalog *cat, struct form *f,
                       char *err)
{
    const struct spawner_config *sp = cat->spawner;
    const char *const *options = cat->images;
    size_t n = cat->n_images;
    const struct spawner_images *group = NULL;
    if (sp) {
        group = !strcmp(f->server_type, "group-one")   ? &sp->group_one
                : !strcmp(f->server_type, "group-two") ? &sp->group_two
                                                       : &sp->image;
        if (!group->value)
            return bad(err, "serverType: this dashboard offers no %s images", f->server_type);
        options = group->options;
        n = group->n_options;
    }
    f->image = group ? group->value : n ? options[0] : NULL;
    if (!optional_string(form, "image", &f->image, err)) return false;
    const cJSON *custom = json_item(form, "customImage");
    if (custom && !cJSON_IsBool(custom)) return bad(err, "customImage: true or false");
    if (!f->image || !is_image(f->image)) return bad(err, "image: an image reference");
    if (group && group->read_only && strcmp(f->image, group->value) != 0)
        return fixed(err, "image");
    bool listed = false;
    for (size_t i = 0; i < n; i++) listed = listed || !strcmp(f->image, options[i]);
    if (listed) return true;
    if (sp && !sp->allow_custom_image)
        return bad(err, "image: not one of the offered images, and this dashboard allows no "
                        "others");
    if (!cJSON_IsTrue(custom))
        return bad(err, "image: not one of the offered images (send \"customImage\": true to "
                        "use another)");
    return true;
}

static bool read_form(const cJSON *form, const struct notebook_catalog *cat, struct form *f,
                      char *err)
{
    static const char *const server_types[] = {"jupyter", "group-one", "group-two", NULL};
    if (!cJSON_IsObject(form)) return bad(err, "send a JSON object");
    if (!optional_string(form, "name", &f->name, err)) return false;
    if (!f->name || !is_notebook_name(f->name))
        return bad(err,
                   "name: 1-%d lowercase letters, digits or '-', starting with a letter and "
                   "ending with a letter or digit",
                   NOTEBOOK_NAME_MAX);
    snprintf(f->workspace, sizeof(f->workspace), "%s-workspace", f->name);
    const struct spawner_config *sp = cat->spawner;
    f->workspace_mount = sp ? sp->workspace_mount : "/home/jovyan";

    f->server_type = "jupyter";
    if (!optional_string(form, "serverType", &f->server_type, err)) return false;
    if (!is_one_of(f->server_type, server_types))
        return bad(err, "serverType: jupyter, group-one or group-two");
    if (!read_image(form, cat, f, err)) return false;

    f->cpu = sp ? sp->cpu.value : NOTEBOOK_DEFAULT_CPU;
    f->memory = sp ? sp->memory.value : NOTEBOOK_DEFAULT_MEMORY;
    if (!optional_string(form, "cpu", &f->cpu, err) ||
        !optional_string(form, "memory", &f->memory, err))
        return false;
    if (!notebook_is_quantity(f->cpu)) return bad(err, "cpu: a quantity such as 0.5 or 500m");
    if (!notebook_is_quantity(f->memory)) return bad(err, "memory: a quantity such as 1Gi");
    if (sp && sp->cpu.read_only && strcmp(f->cpu, sp->cpu.value) != 0) return fixed(err, "cpu");
    if (sp && sp->memory.read_only && strcmp(f->memory, sp->memory.value) != 0)
        return fixed(err, "memory");
    return read_gpus(form, cat, f, err) && read_workspace(form, sp, f, err) &&
           read_data_volumes(form, sp, f, err) && read_poddefaults(form, sp, f, err) &&
           read_pod_settings(form, sp, f, err);
}

static cJSON *pvc_object(const char *ns, const struct mount *m)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "apiVersion", "v1");
    cJSON_AddStringToObject(p, "kind", "PersistentVolumeClaim");
    cJSON *meta = cJSON_AddObjectToObject(p, "metadata");
    cJSON_AddStringToObject(meta, "name", m->claim);
    cJSON_AddStringToObject(meta, "namespace", ns);
    cJSON *spec = cJSON_AddObjectToObject(p, "spec");
    /* No storageClassName: the cluster's default StorageClass. */
    cJSON_AddItemToObject(spec, "accessModes",
                          cJSON_CreateStringArray((const char *[]){"ReadWriteOnce"}, 1));
    cJSON *requests =
        cJSON_AddObjectToObject(cJSON_AddObjectToObject(spec, "resources"), "requests");
    cJSON_AddStringToObject(requests, "storage", m->size);
    return p;
}

static cJSON *env_var(const char *name, const char *value)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "name", name);
    cJSON_AddStringToObject(e, "value", value);
    return e;
}

static cJSON *notebook_object(const struct form *f, const char *ns, const char *creator)
{
    char prefix[160], count[8];
    snprintf(prefix, sizeof(prefix), "/notebook/%s/%s", ns, f->name);
    snprintf(count, sizeof(count), "%ld", f->gpus);

    cJSON *nb = cJSON_CreateObject();
    cJSON_AddStringToObject(nb, "apiVersion", "kubeflow.org/v1");
    cJSON_AddStringToObject(nb, "kind", "Notebook");
    cJSON *meta = cJSON_AddObjectToObject(nb, "metadata");
    cJSON_AddStringToObject(meta, "name", f->name);
    cJSON_AddStringToObject(meta, "namespace", ns);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(meta, "labels"), "app", f->name);
    cJSON *ann = cJSON_AddObjectToObject(meta, "annotations");
    cJSON_AddStringToObject(ann, NOTEBOOK_SERVER_ANNOTATION, f->server_type);
    cJSON_AddStringToObject(ann, NOTEBOOK_CREATOR_ANNOTATION, creator);
    /* VS Code (group-one) and RStudio (group-two) serve from "/": the controller's routing
     * rewrites the prefix away, and RStudio is told where it lives. */
    if (strcmp(f->server_type, "jupyter") != 0)
        cJSON_AddStringToObject(ann, "notebooks.kubeflow.org/http-rewrite-uri", "/");
    if (strcmp(f->server_type, "group-two") == 0) {
        char headers[220];
        snprintf(headers, sizeof(headers), "{\"X-RStudio-Root-Path\":\"%s/\"}", prefix);
        cJSON_AddStringToObject(ann, "notebooks.kubeflow.org/http-headers-request-set", headers);
    }

    cJSON *template = cJSON_AddObjectToObject(cJSON_AddObjectToObject(nb, "spec"), "template");
    cJSON *labels =
        cJSON_AddObjectToObject(cJSON_AddObjectToObject(template, "metadata"), "labels");
    for (size_t i = 0; i < f->n_labels; i++) cJSON_AddStringToObject(labels, f->labels[i], "true");
    cJSON *pod = cJSON_AddObjectToObject(template, "spec");
    cJSON_AddStringToObject(pod, "serviceAccountName", "default-editor");

    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "name", f->name);
    cJSON_AddStringToObject(c, "image", f->image);
    cJSON_AddStringToObject(c, "imagePullPolicy", f->pull_policy);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(c, "env"), env_var("NB_PREFIX", prefix));
    cJSON *resources = cJSON_AddObjectToObject(c, "resources");
    cJSON *requests = cJSON_AddObjectToObject(resources, "requests");
    cJSON_AddStringToObject(requests, "cpu", f->cpu);
    cJSON_AddStringToObject(requests, "memory", f->memory);
    cJSON *limits = f->gpus > 0 || *f->cpu_limit || *f->memory_limit
                        ? cJSON_AddObjectToObject(resources, "limits")
                        : NULL;
    if (*f->cpu_limit) cJSON_AddStringToObject(limits, "cpu", f->cpu_limit);
    if (*f->memory_limit) cJSON_AddStringToObject(limits, "memory", f->memory_limit);
    if (f->gpus > 0) {
        cJSON_AddStringToObject(requests, f->gpu_vendor, count);
        cJSON_AddStringToObject(limits, f->gpu_vendor, count);
    }
    if (f->affinity) cJSON_AddItemToObject(pod, "affinity", cJSON_Duplicate(f->affinity, true));
    if (f->tolerations)
        cJSON_AddItemToObject(pod, "tolerations", cJSON_Duplicate(f->tolerations, true));
    cJSON *mounts = cJSON_AddArrayToObject(c, "volumeMounts");
    cJSON *volumes = cJSON_AddArrayToObject(pod, "volumes");
    for (size_t i = 0; i < f->n_mounts; i++) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "name", f->mounts[i].claim);
        cJSON_AddStringToObject(m, "mountPath", f->mounts[i].path);
        cJSON_AddItemToArray(mounts, m);
        cJSON *v = cJSON_CreateObject();
        cJSON_AddStringToObject(v, "name", f->mounts[i].claim);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(v, "persistentVolumeClaim"), "claimName",
                                f->mounts[i].claim);
        cJSON_AddItemToArray(volumes, v);
    }
    if (f->shm) {
        cJSON *shm = cJSON_CreateObject();
        cJSON_AddStringToObject(shm, "name", "dshm");
        cJSON_AddStringToObject(shm, "mountPath", "/dev/shm");
        cJSON_AddItemToArray(mounts, shm);
        cJSON *dshm = cJSON_CreateObject();
        cJSON_AddStringToObject(dshm, "name", "dshm");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(dshm, "emptyDir"), "medium", "Memory");
        cJSON_AddItemToArray(volumes, dshm);
    }
    cJSON_AddItemToArray(cJSON_AddArrayToObject(pod, "containers"), c);
    return nb;
}

int notebook_from_form(const cJSON *form, const struct notebook_catalog *cat, const char *ns,
                       const char *creator, cJSON **ret_notebook, cJSON **ret_pvcs,
                       char err[NOTEBOOK_ERROR_MAX])
{
    struct form f = {0};
    if (!read_form(form, cat, &f, err)) return -EINVAL;
    cJSON *nb = notebook_object(&f, ns, creator);
    cJSON *pvcs = cJSON_CreateArray();
    bool ok = nb && pvcs;
    for (size_t i = 0; ok && i < f.n_mounts; i++) {
        if (!f.mounts[i].size) continue;
        cJSON *p = pvc_object(ns, &f.mounts[i]);
        ok = p && cJSON_AddItemToArray(pvcs, p);
        if (!ok) cJSON_Delete(p);
    }
    if (!ok) {
        cJSON_Delete(nb);
        cJSON_Delete(pvcs);
        return -ENOMEM;
    }
    *ret_notebook = nb;
    *ret_pvcs = pvcs;
    return 0;
}

cJSON *notebook_mlflow_poddefault(const char *ns, const char *tracking_uri)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "apiVersion", "kubeflow.org/v1alpha1");
    cJSON_AddStringToObject(p, "kind", "PodDefault");
    cJSON *meta = cJSON_AddObjectToObject(p, "metadata");
    cJSON_AddStringToObject(meta, "name", "mlflow");
    cJSON_AddStringToObject(meta, "namespace", ns);
    cJSON *spec = cJSON_AddObjectToObject(p, "spec");
    cJSON *match =
        cJSON_AddObjectToObject(cJSON_AddObjectToObject(spec, "selector"), "matchLabels");
    cJSON_AddStringToObject(match, NOTEBOOK_MLFLOW_LABEL, "true");
    cJSON_AddStringToObject(spec, "desc", "Log to this profile's MLflow workspace");
    cJSON *env = cJSON_AddArrayToObject(spec, "env");
    cJSON_AddItemToArray(env, env_var("MLFLOW_TRACKING_URI", tracking_uri));
    cJSON_AddItemToArray(env, env_var("MLFLOW_WORKSPACE", ns));
    cJSON *token = cJSON_CreateObject();
    cJSON_AddStringToObject(token, "name", "MLFLOW_TRACKING_TOKEN");
    cJSON *ref =
        cJSON_AddObjectToObject(cJSON_AddObjectToObject(token, "valueFrom"), "secretKeyRef");
    cJSON_AddStringToObject(ref, "name", NOTEBOOK_MLFLOW_TOKEN_SECRET);
    cJSON_AddStringToObject(ref, "key", "token");
    cJSON_AddItemToArray(env, token);
    if (cJSON_GetArraySize(env) != 3 || !json_item(spec, "desc") || !match ||
        !json_item(ref, "key")) {
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}

cJSON *notebook_mlflow_token_secret(const char *ns)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "apiVersion", "v1");
    cJSON_AddStringToObject(s, "kind", "Secret");
    cJSON_AddStringToObject(s, "type", "kubernetes.io/service-account-token");
    cJSON *meta = cJSON_AddObjectToObject(s, "metadata");
    cJSON_AddStringToObject(meta, "name", NOTEBOOK_MLFLOW_TOKEN_SECRET);
    cJSON_AddStringToObject(meta, "namespace", ns);
    cJSON *ann = cJSON_AddObjectToObject(meta, "annotations");
    /* kube-controller-manager fills the token of the account named here. */
    cJSON_AddStringToObject(ann, "kubernetes.io/service-account.name", "default-editor");
    if (!json_item(ann, "kubernetes.io/service-account.name")) {
        cJSON_Delete(s);
        return NULL;
    }
    return s;
}
