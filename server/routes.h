/*
 * routes: every route kfdash serves, first match wins. Read routes.c as the map of the server.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "server/http/router.h"

/*
 * The route table for the mode the settings ask for: with apps (apps.domain set) applications
 * live on hosts of their own (server/gate/apps.h), else on kfdash's origin. *ret (heap, the caller
 * frees it) holds *ret_n_own routes for kfdash's own origin, then those of application hosts,
 * *ret_n in all. -ENOMEM.
 */
int routes_assemble(bool apps, struct route **ret, size_t *ret_n_own, size_t *ret_n);

/* Sidecar mode (`upstream` set): kfdash keeps its own few paths, the application gets the rest. */
extern const struct route sidecar_routes[];
extern const size_t n_sidecar_routes;
