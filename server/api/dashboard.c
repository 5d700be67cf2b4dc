/* dashboard: Kubeflow's dashboard-config served as JSON; see dashboard.h. */
#include "server/api/dashboard.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "server/cluster/kube.h"
#include "server/http/http.h"
#include "server/kfdash.h"

#define DASHBOARD_FILE_MAX (1 << 20)
#define NAME_MAX_BYTES     254

/* Kubeflow's answers when a key of its ConfigMap is missing or not JSON (api.ts ERRORS). */
#define LINKS_ERROR    "Cannot load dashboard menu link"
#define SETTINGS_ERROR "Cannot load dashboard settings"

struct dashboard {
    char *links_json;    /* start-up body of /api/dashboard-links */
    char *settings_json; /* start-up body of /api/dashboard-settings */
    /* The ConfigMap followed, under lock. */
    pthread_mutex_t lock;
    bool present;                   /* it exists: what follows is served, not the start-up bodies */
    char *cm_links;                 /* its links re-printed; NULL when missing or not JSON (500) */
    char *cm_settings;              /* its settings re-printed; NULL likewise */
    struct k8s_watch *watch;        /* NULL when not following */
    char name[NAME_MAX_BYTES];      /* the ConfigMap's name */
    char where[2 * NAME_MAX_BYTES]; /* namespace/name, for the log */
    /* The watch thread's own. */
    bool listing; /* between reset and settled of a full list */
    bool seen;    /* the list held the ConfigMap */
};

static int bad(char err[DASHBOARD_ERROR_MAX], const char *where, const char *expected)
{
    snprintf(err, DASHBOARD_ERROR_MAX, "dashboard links: %s: expected %s", where, expected);
    return -EINVAL;
}

static bool has_string(const cJSON *o, const char *key)
{
    return cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* An entry with string `text` and `link`; sections (menuLinks only) hold items instead. */
static int check_entry(const cJSON *e, const char *where, bool sections_allowed,
                       char err[DASHBOARD_ERROR_MAX])
{
    if (!cJSON_IsObject(e)) return bad(err, where, "an object");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(e, "type");
    if (type && !cJSON_IsString(type)) return bad(err, where, "\"type\" to be a string");
    if (sections_allowed && type && strcmp(type->valuestring, "section") == 0) {
        if (!has_string(e, "text")) return bad(err, where, "a string \"text\"");
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(e, "items");
        if (!cJSON_IsArray(items)) return bad(err, where, "an array \"items\"");
        int i = 0;
        const cJSON *item;
        cJSON_ArrayForEach(item, items)
        {
            char inner[160];
            snprintf(inner, sizeof(inner), "%s.items[%d]", where, i++);
            int r = check_entry(item, inner, false, err);
            if (r < 0) return r;
        }
        return 0;
    }
    if (!has_string(e, "text") || !has_string(e, "link"))
        return bad(err, where, "strings \"text\" and \"link\"");
    return 0;
}

int dashboard_validate_links(const cJSON *links, char err[DASHBOARD_ERROR_MAX])
{
    static const char *const lists[] = {"menuLinks", "externalLinks", "quickLinks",
                                        "documentationItems"};
    if (!cJSON_IsObject(links)) return bad(err, "(top)", "a JSON object");
    for (size_t l = 0; l < 4; l++) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(links, lists[l]);
        if (!list) continue;
        if (!cJSON_IsArray(list)) return bad(err, lists[l], "an array");
        int i = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, list)
        {
            char where[96];
            snprintf(where, sizeof(where), "%s[%d]", lists[l], i++);
            int r = check_entry(e, where, l == 0, err);
            if (r < 0) return r;
        }
    }
    return 0;
}

/* Reads dir/name as a JSON object; NULL with err set when missing or malformed. */
static cJSON *load_file(const char *dir, const char *name, char err[DASHBOARD_ERROR_MAX])
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    struct buf b;
    buf_init(&b, DASHBOARD_FILE_MAX);
    int e = buf_read_file(&b, path);
    if (e < 0 && e != -E2BIG) {
        buf_reset(&b);
        snprintf(err, DASHBOARD_ERROR_MAX, "%.300s: cannot read: %s", path, strerror(-e));
        return NULL;
    }
    cJSON *j = e < 0 ? NULL : cJSON_Parse(buf_str(&b));
    buf_reset(&b);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        snprintf(err, DASHBOARD_ERROR_MAX, "%.300s: expected a JSON object of at most 1 MiB", path);
        return NULL;
    }
    return j;
}

int dashboard_new(const struct config *c, struct dashboard **ret, char err[DASHBOARD_ERROR_MAX])
{
    *ret = NULL;
    struct dashboard *d = NULL;
    cJSON *links = NULL, *settings = NULL;
    const cJSON *use_links = c->dashboard_links, *use_settings = c->dashboard_settings;
    int r = -EINVAL;
    if (c->dashboard_config_dir && *c->dashboard_config_dir) {
        links = load_file(c->dashboard_config_dir, "links", err);
        settings = links ? load_file(c->dashboard_config_dir, "settings", err) : NULL;
        if (!settings) goto out;
        use_links = links;
        use_settings = settings;
    }
    if (dashboard_validate_links(use_links, err) < 0) goto out;
    d = calloc(1, sizeof(*d));
    if (d) {
        pthread_mutex_init(&d->lock, NULL);
        snprintf(d->name, sizeof(d->name), "%s",
                 c->dashboard_configmap ? c->dashboard_configmap : "");
        snprintf(d->where, sizeof(d->where), "%s/%s", c->pod_namespace ? c->pod_namespace : "",
                 d->name);
        d->links_json = cJSON_PrintUnformatted(use_links);
        d->settings_json = cJSON_PrintUnformatted(use_settings);
    }
    r = d && d->links_json && d->settings_json ? 0 : -ENOMEM;
    if (r == 0) {
        *ret = d;
    } else {
        snprintf(err, DASHBOARD_ERROR_MAX, "out of memory");
        dashboard_free(d);
    }
out:
    cJSON_Delete(links);
    cJSON_Delete(settings);
    return r;
}

void dashboard_free(struct dashboard *d)
{
    if (!d) return;
    dashboard_stop_following(d);
    pthread_mutex_destroy(&d->lock);
    free(d->links_json);
    free(d->settings_json);
    free(d->cm_links);
    free(d->cm_settings);
    free(d);
}

/* ---------------------------------------------------------------- the ConfigMap followed */

/* data[key] re-printed when it is JSON (as Kubeflow's JSON.parse then res.json), else NULL. */
static char *json_of(const cJSON *data, const char *key)
{
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(data, key);
    cJSON *j = cJSON_IsString(text) ? cJSON_Parse(text->valuestring) : NULL;
    char *out = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    return out;
}

/* Takes links and settings (either may be NULL: that key answers 500) as what is served. */
static void swap_in(struct dashboard *d, bool present, char *links, char *settings)
{
    pthread_mutex_lock(&d->lock);
    char *old_links = d->cm_links, *old_settings = d->cm_settings;
    bool was = d->present;
    d->present = present;
    d->cm_links = links;
    d->cm_settings = settings;
    pthread_mutex_unlock(&d->lock);
    free(old_links);
    free(old_settings);
    if (was != present || present) {
        struct buf line;
        log_begin(&line, present && (!links || !settings) ? LOG_WARN : LOG_INFO,
                  present ? (links && settings ? "dashboard-config read"
                                               : "dashboard-config: a key is missing or not JSON")
                          : "dashboard-config gone: serving the configured links and settings");
        log_str(&line, "configmap", d->where);
        if (present && !links) log_str(&line, "links", LINKS_ERROR);
        if (present && !settings) log_str(&line, "settings", SETTINGS_ERROR);
        log_end(&line);
    }
}

static void on_reset(void *ctx)
{
    struct dashboard *d = ctx;
    d->listing = true;
    d->seen = false;
}

static void on_apply(void *ctx, enum k8s_event event, const cJSON *cm)
{
    struct dashboard *d = ctx;
    const cJSON *name =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cm, "metadata"), "name");
    if (!cJSON_IsString(name) || strcmp(name->valuestring, d->name) != 0) return;
    if (event == K8S_DELETED) {
        swap_in(d, false, NULL, NULL);
        return;
    }
    if (d->listing) d->seen = true;
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(cm, "data");
    char *links = json_of(data, "links"), *settings = json_of(data, "settings");
    cJSON *parsed = links ? cJSON_Parse(links) : NULL;
    char why[DASHBOARD_ERROR_MAX];
    if (parsed && dashboard_validate_links(parsed, why) < 0)
        log_msg(LOG_WARN, "dashboard-config: served as it is, but the web app skips", "why", why);
    cJSON_Delete(parsed);
    swap_in(d, true, links, settings);
}

static void on_settled(void *ctx)
{
    struct dashboard *d = ctx;
    if (d->listing && !d->seen) {
        pthread_mutex_lock(&d->lock);
        bool was = d->present;
        pthread_mutex_unlock(&d->lock);
        if (was) swap_in(d, false, NULL, NULL); /* deleted while nobody watched */
    }
    d->listing = false;
}

const struct k8s_watch_ops dashboard_configmap_ops = {on_reset, on_apply, on_settled};

int dashboard_follow(struct dashboard *d, const struct config *c, struct kube *kube, char *err,
                     size_t size)
{
    if (!kube_on(kube) || !*d->name) return 0;
    /* By name: kfdash's Role may read this one ConfigMap only (resourceNames). */
    char path[1024];
    snprintf(path, sizeof(path),
             "/api/v1/namespaces/%s/configmaps?fieldSelector=metadata.name%%3D%s", c->pod_namespace,
             d->name);
    int e = k8s_watch_start(kube_engine(kube), kube_client(kube), path, &dashboard_configmap_ops, d,
                            &d->watch);
    if (e < 0) snprintf(err, size, "cannot watch ConfigMap %s: %s", d->where, strerror(-e));
    return e;
}

void dashboard_stop_following(struct dashboard *d)
{
    if (!d) return;
    k8s_watch_stop(d->watch);
    d->watch = NULL;
}

bool dashboard_following(const struct dashboard *d)
{
    return d && d->watch;
}

bool dashboard_ready(void *dashboard, char *detail, size_t size)
{
    struct dashboard *d = dashboard;
    char state[256];
    bool ok = k8s_watch_synced(d->watch, state, sizeof(state));
    pthread_mutex_lock(&d->lock);
    bool present = d->present;
    pthread_mutex_unlock(&d->lock);
    if (ok)
        snprintf(detail, size, "%s: %s", d->where,
                 present ? "followed" : "absent, the configured links and settings are served");
    else
        snprintf(detail, size, "%s: %s", d->where, state);
    return ok;
}

/* ---------------------------------------------------------------- the routes */

/* The ConfigMap's body while it exists, else the start-up one; copied under the lock, since the
 * watch may swap it the moment after. */
static void serve(struct http_request *req, bool links)
{
    struct dashboard *d = kfdash_of(req)->dashboard;
    pthread_mutex_lock(&d->lock);
    const char *body = !d->present ? (links ? d->links_json : d->settings_json)
                       : links     ? d->cm_links
                                   : d->cm_settings;
    char *copy = body ? strdup(body) : NULL;
    pthread_mutex_unlock(&d->lock);
    if (!body) {
        http_reply_error(req, 500, links ? LINKS_ERROR : SETTINGS_ERROR);
        return;
    }
    if (!copy) {
        http_reply_error(req, 500, "out of memory");
        return;
    }
    http_reply_take(req, 200, "application/json", copy, strlen(copy), NULL);
}

void dashboard_get_links(struct http_request *req)
{
    serve(req, true);
}

void dashboard_get_settings(struct http_request *req)
{
    serve(req, false);
}
