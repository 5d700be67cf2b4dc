/*
 * static: the single-page app. Any GET that no other route claims gets a file of the app or,
 * for the app's own client-side routes, index.html.
 *
 * Serves the copy built into the binary, or a directory (--web-dir) during development.
 * Configured once at start-up; thread-safe afterwards.
 */
#pragma once

#include "server/config.h"

#include <stdbool.h>

struct http_request;
struct web;

#define STATIC_ERROR_MAX 256

/* Where the app's files come from (server/kfdash.h): -EINVAL with a reason when there is no
 * index.html to serve. */
int web_new(const struct config *c, struct web **ret, char err[STATIC_ERROR_MAX]);
void web_free(struct web *w);
/* A health check (server/http/health.h): says where the files come from. */
bool web_ready(void *web, char *detail, size_t size);

void static_serve(struct http_request *r);
