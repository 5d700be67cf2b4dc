/* static: serving the single-page app; see static.h. */
#include "server/http/static.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/http/assets.h"
#include "server/http/http.h"
#include "server/kfdash.h"

struct web {
    const char *dir; /* serve from this directory when set; borrowed from the config */
};

static const char cache_immutable[] = "public, max-age=31536000, immutable";
static const char cache_revalidate[] = "no-cache";

int web_new(const struct config *c, struct web **ret, char err[STATIC_ERROR_MAX])
{
    *ret = NULL;
    const char *dir = c->web_dir && *c->web_dir ? c->web_dir : NULL;
    if (dir) {
        char index[4200];
        snprintf(index, sizeof(index), "%s/index.html", dir);
        if (access(index, R_OK) != 0) {
            snprintf(err, STATIC_ERROR_MAX, "web_dir: %s has no readable index.html", dir);
            return -EINVAL;
        }
    } else if (!assets_find(assets_embedded, assets_embedded_count, "/index.html")) {
        snprintf(err, STATIC_ERROR_MAX, "this binary was built without the web app");
        return -EINVAL;
    }
    struct web *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(err, STATIC_ERROR_MAX, "out of memory");
        return -ENOMEM;
    }
    w->dir = dir;
    *ret = w;
    return 0;
}

void web_free(struct web *w)
{
    free(w);
}

bool web_ready(void *web, char *detail, size_t size)
{
    const struct web *w = web;
    if (w->dir)
        snprintf(detail, size, "serving from a directory");
    else
        snprintf(detail, size, "%zu files built in", assets_embedded_count);
    return true;
}

/* Paths under /assets/ name files; a miss there is a 404, not the app. */
static bool must_exist(const char *path)
{
    return assets_is_immutable(path);
}

static void serve_embedded(struct http_request *r, const char *path)
{
    const struct asset *a = assets_find(assets_embedded, assets_embedded_count, path);
    if (!a && must_exist(path)) {
        http_reply_error(r, 404, "no such file");
        return;
    }
    if (!a) a = assets_find(assets_embedded, assets_embedded_count, "/index.html");
    const char *cache = assets_is_immutable(a->path) ? cache_immutable : cache_revalidate;
    if (assets_etag_matches(http_request_header(r, "If-None-Match"), a->etag)) {
        const char *headers[] = {"ETag", a->etag, "Cache-Control", cache, NULL};
        http_reply_static(r, 304, NULL, "", 0, headers);
        return;
    }
    const char *type = assets_content_type(a->path);
    if (a->gz && assets_accepts_gzip(http_request_header(r, "Accept-Encoding"))) {
        const char *headers[] = {"ETag", a->etag,           "Cache-Control",    cache,
                                 "Vary", "Accept-Encoding", "Content-Encoding", "gzip",
                                 NULL};
        http_reply_static(r, 200, type, a->gz, a->gz_len, headers);
        return;
    }
    const char *headers[] = {
        "ETag", a->etag, "Cache-Control", cache, a->gz ? "Vary" : NULL, "Accept-Encoding", NULL};
    http_reply_static(r, 200, type, a->data, a->len, headers);
}

/* Opens dir + path as a regular file; -1 if there is none. */
static int open_in_web_dir(const char *dir, const char *path, struct stat *st)
{
    char full[4096 + 8192 + 2];
    if (snprintf(full, sizeof(full), "%s%s", dir, path) >= (int)sizeof(full)) return -1;
    /* path is normalised (no "..") so it stays below dir. */
    int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return -1;
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return -1;
    }
    return fd;
}

static void serve_directory(struct http_request *r, const char *dir, const char *path)
{
    struct stat st;
    const char *served = path;
    int fd = path[strlen(path) - 1] == '/' ? -1 : open_in_web_dir(dir, path, &st);
    if (fd < 0 && must_exist(path)) {
        http_reply_error(r, 404, "no such file");
        return;
    }
    if (fd < 0) {
        served = "/index.html";
        fd = open_in_web_dir(dir, served, &st);
    }
    if (fd < 0) {
        http_reply_error(r, 404, "no such file");
        return;
    }
    char etag[64];
    snprintf(etag, sizeof(etag), "W/\"%llx-%llx\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtim.tv_sec * 1000000000ull +
                 (unsigned long long)st.st_mtim.tv_nsec);
    const char *headers[] = {"ETag", etag, "Cache-Control", cache_revalidate, NULL};
    if (assets_etag_matches(http_request_header(r, "If-None-Match"), etag)) {
        close(fd);
        http_reply_static(r, 304, NULL, "", 0, headers);
        return;
    }
    http_reply_fd(r, 200, assets_content_type(served), fd, (uint64_t)st.st_size, headers);
}

void static_serve(struct http_request *r)
{
    const char *path = http_request_path(r);
    const struct web *w = kfdash_of(r)->web;
    if (w && w->dir)
        serve_directory(r, w->dir, path);
    else
        serve_embedded(r, path);
}
