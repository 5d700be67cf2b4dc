/*
 * assets: the web app's files built into the binary, and the HTTP caching rules for them.
 *
 * The table is generated at build time (tools/embed_assets.py) from web/dist, sorted by path,
 * with a gzip copy where it saves bytes and a content hash as ETag. Read-only, thread-safe.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct asset {
    const char *path;          /* URL path, e.g. "/assets/index-4f2a.js" */
    const unsigned char *data; /* the file's bytes */
    size_t len;                /* bytes in data */
    const unsigned char *gz;   /* gzip of data, NULL when it would not be smaller */
    size_t gz_len;             /* bytes in gz */
    const char *etag;          /* quoted strong ETag from the content hash */
};

extern const struct asset assets_embedded[];
extern const size_t assets_embedded_count;

/* The asset at path in a table sorted by path, or NULL. */
const struct asset *assets_find(const struct asset *table, size_t n, const char *path);
/* Content-Type for a file name by its extension. */
const char *assets_content_type(const char *path);
/* Content-hashed names (under /assets/) never change: cache them for a year. */
bool assets_is_immutable(const char *path);
/* True when If-None-Match (a list, or "*") names etag; weak tags compare equal too. */
bool assets_etag_matches(const char *if_none_match, const char *etag);
/* True when Accept-Encoding allows gzip (and does not give it q=0). */
bool assets_accepts_gzip(const char *accept_encoding);
