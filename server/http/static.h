/*
 * static: the single-page app. Any GET that no other route claims gets a file of the app or,
 * for the app's own client-side routes, index.html.
 *
 * Serves the copy built into the binary, or a directory (--web-dir) during development.
 * Configured once at start-up; thread-safe afterwards.
 */
#pragma once

#include "server/config.h"

struct http_request;

#define STATIC_ERROR_MAX 256

/* -EINVAL with a reason when there is no index.html to serve. */
int static_init(const struct config *c, char err[STATIC_ERROR_MAX]);
/* How many files are served from the embedded copy (0 when serving a directory). */
size_t static_embedded_files(void);

void static_serve(struct http_request *r);
