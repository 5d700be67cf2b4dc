/* apps: applications on hosts of their own; see apps.h. */
#include "server/gate/apps.h"

#include <errno.h>
#include <mbedtls/sha256.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/identity.h"
#include "auth/session.h"
#include "auth/store.h"
#include "k8s/name.h"
#include "lib/buf.h"
#include "lib/ttl_cache.h"
#include "server/config.h"
#include "server/gate/gate.h"
#include "server/http/http.h"
#include "server/kfdash.h"

#define URL_MAX    (SESSION_RD_MAX + 512)
#define ONCE_SLOTS 8192 /* hand-over codes remembered as used, APPS_HANDOVER_TTL_S each */
#define HASHED_LEN 26   /* base32 characters of the digest in a hashed label: 130 bits */

struct apps {
    const struct config *cfg; /* borrowed */
    char scheme[8];           /* of public_url: "http" or "https" */
    char port[8];             /* of public_url, "" for the scheme's own */
    struct ttl_cache *used;   /* hand-over codes used in the last APPS_HANDOVER_TTL_S seconds */
};

/* The first segment of an application's path, and the tag its host label starts with. */
static const struct {
    const char *kind;
    const char *tag;
} kinds[] = {{"notebook", "nb"}, {"spark", "spark"}, {"serving", "model"}, {"mlflow", "mlflow"}};

int apps_new(const struct config *c, struct apps **ret, char *err, size_t size)
{
    *ret = NULL;
    if (*c->apps_domain && !*c->public_url) {
        snprintf(err, size,
                 "apps.domain needs public_url (KFDASH_PUBLIC_URL): the address users open kfdash "
                 "at, where application hosts send browsers to sign in");
        return -EINVAL;
    }
    struct apps *a = calloc(1, sizeof(*a));
    if (!a || ttl_cache_new(ONCE_SLOTS / 8, 8, NULL, NULL, &a->used) < 0) {
        free(a);
        snprintf(err, size, "out of memory");
        return -ENOMEM;
    }
    a->cfg = c;
    if (*c->apps_domain) {
        const char *host = strstr(c->public_url, "://") + 3;
        snprintf(a->scheme, sizeof(a->scheme), "%.*s", (int)(host - 3 - c->public_url),
                 c->public_url);
        const char *colon = strrchr(host, ':');
        if (colon && !strchr(colon, ']')) snprintf(a->port, sizeof(a->port), "%s", colon + 1);
    }
    *ret = a;
    return 0;
}

void apps_free(struct apps *a)
{
    if (!a) return;
    ttl_cache_free(a->used);
    free(a);
}

bool apps_enabled(const struct config *cfg)
{
    return cfg && *cfg->apps_domain;
}

/* ---------------------------------------------------------------- labels */

static const char *tag_of(const char *kind)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i].kind, kind) == 0) return kinds[i].tag;
    return NULL;
}

/* Lowercase base32 (RFC 4648 alphabet) of the first bits of data: n characters. */
static void base32(const unsigned char *data, size_t n, char *out)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    for (size_t i = 0; i < n; i++) {
        size_t bit = i * 5;
        unsigned v = (unsigned)data[bit / 8] << 8 | data[bit / 8 + 1];
        out[i] = alphabet[(v >> (11 - bit % 8)) & 31];
    }
    out[n] = '\0';
}

int apps_label(const char *kind, const char *ns, const char *name, char out[APPS_LABEL_MAX])
{
    const char *tag = tag_of(kind);
    if (!tag) return -EINVAL;
    if (strcmp(kind, "mlflow") == 0) {
        if (ns || name) return -EINVAL;
        snprintf(out, APPS_LABEL_MAX, "%s", tag);
        return 0;
    }
    if (!ns || !name || !k8s_name_is_dns_label(ns) || !k8s_name_is_dns_label(name)) return -EINVAL;
    /* Readable: "--" parts the namespace from the name, so neither may hold one; a hashed label
     * holds none, so the two kinds of label never meet. */
    if (!strstr(ns, "--") && !strstr(name, "--") &&
        strlen(tag) + 1 + strlen(ns) + 2 + strlen(name) < APPS_LABEL_MAX) {
        snprintf(out, APPS_LABEL_MAX, "%s-%s--%s", tag, ns, name);
        return 0;
    }
    unsigned char digest[33] = {0};
    mbedtls_sha256_context c;
    mbedtls_sha256_init(&c);
    mbedtls_sha256_starts_ret(&c, 0);
    mbedtls_sha256_update_ret(&c, (const unsigned char *)kind, strlen(kind) + 1);
    mbedtls_sha256_update_ret(&c, (const unsigned char *)ns, strlen(ns) + 1);
    mbedtls_sha256_update_ret(&c, (const unsigned char *)name, strlen(name));
    mbedtls_sha256_finish_ret(&c, digest);
    mbedtls_sha256_free(&c);
    char hashed[HASHED_LEN + 1];
    base32(digest, HASHED_LEN, hashed);
    snprintf(out, APPS_LABEL_MAX, "%s-%s", tag, hashed);
    return 0;
}

bool apps_request_label(const struct http_request *r, char out[APPS_LABEL_MAX])
{
    const struct config *cfg = kfdash_of(r)->cfg;
    char origin[300];
    if (!apps_enabled(cfg) || http_request_origin(r, origin, sizeof(origin)) < 0) return false;
    const char *host = strstr(origin, "://") + 3;
    size_t len = strcspn(host, ":"), domain = strlen(cfg->apps_domain);
    /* <label>.<apps.domain>: exactly one label in front of the domain. */
    if (len <= domain + 1 || host[len - domain - 1] != '.' ||
        strncasecmp(host + len - domain, cfg->apps_domain, domain) != 0)
        return false;
    size_t label = len - domain - 1;
    if (label >= APPS_LABEL_MAX || memchr(host, '.', label)) return false;
    for (size_t i = 0; i < label; i++)
        out[i] = host[i] >= 'A' && host[i] <= 'Z' ? (char)(host[i] + 32) : host[i];
    out[label] = '\0';
    return true;
}

/* The kind of an application path: its first segment, into kind (size bytes). */
static void kind_of(const char *path, char *kind, size_t size)
{
    size_t n = strcspn(path + 1, "/");
    snprintf(kind, size, "%.*s", (int)n, path + 1);
}

bool apps_route_label(const struct http_request *r, char out[APPS_LABEL_MAX])
{
    char kind[16];
    kind_of(http_request_path(r), kind, sizeof(kind));
    return apps_label(kind, http_request_param(r, "namespace"), http_request_param(r, "name"),
                      out) == 0;
}

/* ---------------------------------------------------------------- URLs */

/* scheme://<label>.<apps.domain>[:port] */
static int app_origin(const struct apps *a, const char *label, char *out, size_t size)
{
    int n = snprintf(out, size, "%s://%s.%s%s%s", a->scheme, label, a->cfg->apps_domain,
                     *a->port ? ":" : "", a->port);
    return n > 0 && (size_t)n < size ? 0 : -E2BIG;
}

int apps_dashboard_url(const struct config *cfg, const char *path_and_query, char *out, size_t size)
{
    int n = snprintf(out, size, "%s%s", cfg->public_url, path_and_query);
    return n > 0 && (size_t)n < size ? 0 : -E2BIG;
}

/* The request's encoded path and query, as it came: "/x?y" (a bare /mlflow gets its slash). */
static int path_and_query(const struct http_request *r, char *out, size_t size)
{
    const char *path = http_request_raw_path(r), *query = http_request_raw_query(r);
    bool bare = strcmp(http_request_path(r), "/mlflow") == 0;
    int n = snprintf(out, size, "%s%s%s%s", path, bare ? "/" : "", *query ? "?" : "", query);
    return n > 0 && (size_t)n < size ? 0 : -E2BIG;
}

/* ---------------------------------------------------------------- kfdash's origin */

static const char *const no_trace[] = {"Cache-Control", "no-store", "Referrer-Policy",
                                       "no-referrer", NULL};

/* A signed-in browser: a one-time code for the host, sealed from the session the gate admitted. */
static int handover_code(struct http_request *r, const char *label, char **ret)
{
    const struct kfdash *k = kfdash_of(r);
    const char *cookie = gate_session_cookie(r);
    struct session s;
    time_t now = time(NULL);
    int e = cookie ? session_open(k->keys, cookie, now, &s) : -ENOENT;
    if (e < 0) return e;
    e = session_seal_for(k->keys, &s, SESSION_HANDOVER, label, now + APPS_HANDOVER_TTL_S, ret);
    session_reset(&s);
    return e;
}

void apps_open(struct http_request *r)
{
    char label[APPS_LABEL_MAX], origin[URL_MAX], target[SESSION_RD_MAX];
    if (!apps_route_label(r, label)) {
        http_reply_error(r, 404, "no such application");
        return;
    }
    if (app_origin(kfdash_of(r)->apps, label, origin, sizeof(origin)) < 0 ||
        path_and_query(r, target, sizeof(target)) < 0) {
        http_reply_error(r, 414, "the application's address is too long");
        return;
    }
    const char *method = http_request_method(r);
    bool reads = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    const struct identity *who = http_request_identity(r);
    struct buf location;
    buf_init(&location, 4 * URL_MAX);
    char *code = NULL;
    if (reads && who->source == IDENTITY_SESSION && handover_code(r, label, &code) == 0) {
        buf_addf(&location, "%s" APPS_ENTER_PATH "?code=", origin);
        buf_add_url_escaped(&location, code);
        buf_adds(&location, "&rd=");
        buf_add_url_escaped(&location, target);
    } else {
        /* A script's bearer token or a gateway's word works on the application's host too. */
        buf_addf(&location, "%s%s", origin, target);
    }
    free(code);
    if (buf_error(&location)) {
        http_reply_error(r, 414, "the application's address is too long");
    } else if (reads) {
        http_reply_redirect(r, buf_str(&location), no_trace);
    } else {
        /* 307 keeps the method and the body. */
        const char *headers[] = {"Location", buf_str(&location), "Cache-Control", "no-store", NULL};
        http_reply_static(r, 307, NULL, "", 0, headers);
    }
    buf_reset(&location);
}

/* ---------------------------------------------------------------- the application's host */

/* A small page for a browser that cannot enter the application, with the way back. */
static void cannot_enter(struct http_request *r, unsigned status, const char *why, const char *rd)
{
    const struct config *cfg = kfdash_of(r)->cfg;
    char back[URL_MAX];
    if (apps_dashboard_url(cfg, rd, back, sizeof(back)) < 0)
        snprintf(back, sizeof(back), "%s/", cfg->public_url);
    struct buf b;
    buf_init(&b, 8192);
    buf_adds(&b, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
                 "Cannot open the application</title></head><body style=\"font-family:sans-serif;"
                 "max-width:40em;margin:4em auto;padding:0 1em\"><h1>Cannot open the application"
                 "</h1><p>");
    buf_add_html_escaped(&b, why);
    buf_adds(&b, "</p><p><a href=\"");
    buf_add_html_escaped(&b, back);
    buf_adds(&b, "\">Open it again from the dashboard</a></p></body></html>");
    size_t len;
    char *body = buf_take(&b, &len);
    if (body)
        http_reply_take(r, status, "text/html; charset=utf-8", body, len, no_trace);
    else
        http_reply_error(r, status, why);
}

/* rd when it is a path of this host's application; else the application's root, or "/". */
static const char *landing(const char *rd, const char *label, char *fallback, size_t size)
{
    char kind[16], ns[64] = "", name[64] = "";
    snprintf(fallback, size, "/");
    if (!rd || !session_rd_is_local(rd) || strlen(rd) >= SESSION_RD_MAX) return fallback;
    kind_of(rd, kind, sizeof(kind));
    /* /<kind>/<ns>/<name>/... or /mlflow/... */
    const char *p = rd + 1 + strlen(kind);
    if (*p == '/') {
        size_t n = strcspn(p + 1, "/?#");
        snprintf(ns, sizeof(ns), "%.*s", (int)(n < 63 ? n : 0), p + 1);
        p += 1 + n;
    }
    if (*p == '/') {
        size_t n = strcspn(p + 1, "/?#");
        snprintf(name, sizeof(name), "%.*s", (int)(n < 63 ? n : 0), p + 1);
    }
    char want[APPS_LABEL_MAX];
    bool mlflow = strcmp(kind, "mlflow") == 0;
    if (apps_label(kind, mlflow ? NULL : ns, mlflow ? NULL : name, want) == 0 &&
        strcmp(want, label) == 0)
        return rd;
    return fallback;
}

void apps_enter(struct http_request *r)
{
    const struct kfdash *k = kfdash_of(r);
    char label[APPS_LABEL_MAX], fallback[8], once[SESSION_RANDOM_SIZE];
    if (!apps_request_label(r, label)) {
        http_reply_error(r, 404, "not found");
        return;
    }
    const char *code = http_request_query(r, "code");
    const char *rd = landing(http_request_query(r, "rd"), label, fallback, sizeof(fallback));
    time_t now = time(NULL);
    struct session s;
    int e =
        code ? session_open_for(k->keys, code, SESSION_HANDOVER, label, now, &s, once) : -EBADMSG;
    if (e < 0) {
        cannot_enter(r, 400,
                     e == -ETIME ? "This link to the application has expired."
                                 : "This link is not one kfdash made for this application.",
                     rd);
        return;
    }
    /* Each code once: a copied link (a log, a Referer) opens nothing. */
    int used = ttl_cache_claim(k->apps->used, once, strlen(once), APPS_HANDOVER_TTL_S * 1000L);
    if (used == -EEXIST || (used == 0 && store_session_revoked(k->store, s.id))) {
        cannot_enter(r, 400, "This link to the application was used already.", rd);
    } else if (used < 0) {
        cannot_enter(r, 503, "Too many applications are being opened right now; try again.", rd);
    } else if (gate_set_app_cookie(r, &s, label, now) < 0) {
        http_reply_error(r, 500, "cannot give this application its cookie");
    } else {
        http_reply_redirect(r, rd, no_trace);
    }
    session_reset(&s);
}

void apps_elsewhere(struct http_request *r)
{
    char label[APPS_LABEL_MAX], kind_ns_name[APPS_LABEL_MAX], root[200];
    if (!apps_request_label(r, label)) {
        http_reply_error(r, 404, "not found");
        return;
    }
    /* The root of a readable label's application: "nb-alice--nb1" is /notebook/alice/nb1/. */
    snprintf(kind_ns_name, sizeof(kind_ns_name), "%s", label);
    char *dash = strchr(kind_ns_name, '-'), *parts = dash ? strstr(dash + 1, "--") : NULL;
    const char *kind = NULL;
    for (size_t i = 0; dash && i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strlen(kinds[i].tag) == (size_t)(dash - kind_ns_name) &&
            strncmp(kinds[i].tag, kind_ns_name, (size_t)(dash - kind_ns_name)) == 0)
            kind = kinds[i].kind;
    char check[APPS_LABEL_MAX];
    if (strcmp(label, "mlflow") == 0) {
        snprintf(root, sizeof(root), "/mlflow/");
    } else if (kind && parts) {
        *parts = '\0';
        snprintf(root, sizeof(root), "/%s/%s/%s/", kind, dash + 1, parts + 2);
        if (apps_label(kind, dash + 1, parts + 2, check) < 0 || strcmp(check, label) != 0)
            root[0] = '\0';
    } else {
        root[0] = '\0';
    }
    if (root[0] && strcmp(http_request_path(r), "/") == 0)
        http_reply_redirect(r, root, NULL);
    else
        http_reply_error(r, 404, "this host serves one application: open it from the dashboard");
}
