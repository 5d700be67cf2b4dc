/* k8s/target: see target.h. */
#include "k8s/target.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/name.h"

#define ALLOW_MAX    128
#define SEGMENTS_MAX 10

/* A path segment kfdash lets through: a DNS subdomain-ish name ([a-z0-9.-], and the ':' and
 * upper case some names allow), never empty, "." or "..". */
static bool segment_ok(const char *s)
{
    if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || strlen(s) >= K8S_SEGMENT_MAX)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '.' || *s == '_' || *s == ':'))
            return false;
    return true;
}

int k8s_target_parse(const char *path, struct k8s_target *ret)
{
    char copy[2048];
    if (strlen(path) >= sizeof(copy) || path[0] != '/') return -EINVAL;
    strcpy(copy, path + 1);
    const char *seg[SEGMENTS_MAX];
    size_t n = 0;
    char *save = NULL;
    for (char *s = strtok_r(copy, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
        if (n == SEGMENTS_MAX || !segment_ok(s)) return -EINVAL;
        seg[n++] = s;
    }
    struct k8s_target t = {0};
    size_t i;
    if (n >= 3 && strcmp(seg[0], "api") == 0) {
        snprintf(t.version, sizeof(t.version), "%s", seg[1]);
        i = 2;
    } else if (n >= 4 && strcmp(seg[0], "apis") == 0) {
        snprintf(t.group, sizeof(t.group), "%s", seg[1]);
        snprintf(t.version, sizeof(t.version), "%s", seg[2]);
        i = 3;
    } else {
        return -EINVAL;
    }
    if (n - i >= 2 && strcmp(seg[i], "namespaces") == 0 && n - i != 2) {
        if (!k8s_name_is_dns_label(seg[i + 1])) return -EINVAL;
        snprintf(t.ns, sizeof(t.ns), "%s", seg[i + 1]);
        i += 2;
    }
    size_t rest = n - i; /* resource [name [subresource]] */
    if (rest < 1 || rest > 3) return -EINVAL;
    snprintf(t.resource, sizeof(t.resource), "%s", seg[i]);
    if (rest >= 2) snprintf(t.name, sizeof(t.name), "%s", seg[i + 1]);
    if (rest == 3) snprintf(t.subresource, sizeof(t.subresource), "%s", seg[i + 2]);
    *ret = t;
    return 0;
}

const char *k8s_target_verb(const struct k8s_target *t, const char *method, bool watch)
{
    bool one = t->name[0] != '\0';
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
        return watch ? "watch" : one ? "get" : "list";
    if (strcmp(method, "POST") == 0) return "create";
    if (strcmp(method, "PUT") == 0) return "update";
    if (strcmp(method, "PATCH") == 0) return "patch";
    if (strcmp(method, "DELETE") == 0) return one ? "delete" : "deletecollection";
    return NULL;
}

/* ---------------------------------------------------------------- allow-list */

struct allowed {
    char resource[K8S_SEGMENT_MAX];    /* e.g. "pods" */
    char subresource[K8S_SEGMENT_MAX]; /* e.g. "log", "" for the resource itself */
    char group[K8S_SEGMENT_MAX];       /* "" for the core group */
    bool read_only;                    /* get, list and watch only */
};

struct k8s_allowlist {
    struct allowed items[ALLOW_MAX];
    size_t n;
};

int k8s_allowlist_parse(const char *text, struct k8s_allowlist **ret, char err[128])
{
    struct k8s_allowlist *a = calloc(1, sizeof(*a));
    char *copy = strdup(text);
    if (!a || !copy) {
        free(a);
        free(copy);
        return -ENOMEM;
    }
    char *save = NULL;
    int r = 0;
    for (char *item = strtok_r(copy, ",", &save); item && r == 0;
         item = strtok_r(NULL, ",", &save)) {
        while (*item == ' ') item++;
        if (!*item) continue;
        if (a->n == ALLOW_MAX) {
            snprintf(err, 128, "more than %d resources", ALLOW_MAX);
            r = -EINVAL;
            break;
        }
        struct allowed *al = &a->items[a->n];
        char *ro = strstr(item, ":ro");
        if (ro && ro[3] == '\0') {
            al->read_only = true;
            *ro = '\0';
        }
        char *dot = strchr(item, '.');
        if (dot) {
            *dot = '\0';
            snprintf(al->group, sizeof(al->group), "%s", dot + 1);
        }
        char *slash = strchr(item, '/');
        if (slash) {
            *slash = '\0';
            snprintf(al->subresource, sizeof(al->subresource), "%s", slash + 1);
        }
        snprintf(al->resource, sizeof(al->resource), "%s", item);
        if (!segment_ok(al->resource) || (slash && !segment_ok(al->subresource)) ||
            (dot && !segment_ok(al->group))) {
            snprintf(err, 128, "\"%.60s\" is not resource[/subresource][.group][:ro]", item);
            r = -EINVAL;
        }
        a->n++;
    }
    free(copy);
    if (r < 0) {
        free(a);
        return r;
    }
    *ret = a;
    return 0;
}

void k8s_allowlist_free(struct k8s_allowlist *a)
{
    free(a);
}

static bool reads(const char *verb)
{
    return strcmp(verb, "get") == 0 || strcmp(verb, "list") == 0 || strcmp(verb, "watch") == 0;
}

int k8s_allowlist_check(const struct k8s_allowlist *a, const struct k8s_target *t, const char *verb)
{
    for (size_t i = 0; i < a->n; i++) {
        const struct allowed *al = &a->items[i];
        if (strcmp(al->resource, t->resource) != 0 || strcmp(al->group, t->group) != 0 ||
            strcmp(al->subresource, t->subresource) != 0)
            continue;
        return al->read_only && !reads(verb) ? -EROFS : 1;
    }
    return 0;
}
