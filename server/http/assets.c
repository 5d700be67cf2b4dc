/* assets: lookup and caching rules for the web app's files; see assets.h. */
#include "server/http/assets.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int compare_path(const void *key, const void *elem)
{
    return strcmp(key, ((const struct asset *)elem)->path);
}

const struct asset *assets_find(const struct asset *table, size_t n, const char *path)
{
    return bsearch(path, table, n, sizeof(*table), compare_path);
}

const char *assets_content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".ico", "image/x-icon"},
        {".webp", "image/webp"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
        {".wasm", "application/wasm"},
    };
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcasecmp(dot, types[i].ext) == 0) return types[i].type;
    return "application/octet-stream";
}

bool assets_is_immutable(const char *path)
{
    return strncmp(path, "/assets/", 8) == 0;
}

/* Compares one entity tag of a list, ignoring the weak prefix (RFC 9110 weak comparison). */
static bool same_tag(const char *a, size_t alen, const char *etag)
{
    if (alen >= 2 && a[0] == 'W' && a[1] == '/') a += 2, alen -= 2;
    if (etag[0] == 'W' && etag[1] == '/') etag += 2;
    return alen == strlen(etag) && memcmp(a, etag, alen) == 0;
}

bool assets_etag_matches(const char *if_none_match, const char *etag)
{
    if (!if_none_match) return false;
    const char *p = if_none_match;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        if (!*p) break;
        if (*p == '*') return true;
        const char *start = p;
        if (p[0] == 'W' && p[1] == '/') p += 2;
        if (*p != '"') return false;
        const char *close = strchr(p + 1, '"');
        if (!close) return false;
        p = close + 1;
        if (same_tag(start, (size_t)(p - start), etag)) return true;
    }
    return false;
}

bool assets_accepts_gzip(const char *accept_encoding)
{
    if (!accept_encoding) return false;
    const char *p = accept_encoding;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        const char *start = p;
        while (*p && *p != ',' && *p != ';' && *p != ' ') p++;
        size_t n = (size_t)(p - start);
        bool is_gzip = (n == 4 && strncasecmp(start, "gzip", 4) == 0) || (n == 1 && *start == '*');
        const char *params = p;
        while (*p && *p != ',') p++;
        if (!is_gzip) continue;
        const char *q = strstr(params, "q=");
        if (q && q < p && strtod(q + 2, NULL) == 0.0) return false;
        return true;
    }
    return false;
}
