/*
 * routes: every route kfdash serves, in one table, first match wins.
 */
#pragma once

#include <stddef.h>

#include "server/router.h"

extern const struct route routes[];
extern const size_t n_routes;
extern const struct route sidecar_routes[];
extern const size_t n_sidecar_routes;
