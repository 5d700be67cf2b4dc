/* dashboard: Kubeflow's dashboard-config served as JSON; see dashboard.h. */
#include "server/api/dashboard.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "server/http/http.h"
#include "server/kfdash.h"

#define DASHBOARD_FILE_MAX (1 << 20)

struct dashboard {
    char *links_json;    /* prepared body of /api/dashboard-links */
    char *settings_json; /* prepared body of /api/dashboard-settings */
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
    free(d->links_json);
    free(d->settings_json);
    free(d);
}

/* The prepared body lives as long as the server, which outlives its requests. */
void dashboard_get_links(struct http_request *req)
{
    const struct dashboard *d = kfdash_of(req)->dashboard;
    http_reply_static(req, 200, "application/json", d->links_json, strlen(d->links_json), NULL);
}

void dashboard_get_settings(struct http_request *req)
{
    const struct dashboard *d = kfdash_of(req)->dashboard;
    http_reply_static(req, 200, "application/json", d->settings_json, strlen(d->settings_json),
                      NULL);
}
