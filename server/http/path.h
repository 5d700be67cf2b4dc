/*
 * path: one canonical form of a request path, checked once.
 *
 * The router and every handler see the decoded, normalised path; a proxy forwards the same
 * segments still percent-encoded (raw), so what was checked is exactly what goes upstream.
 * Pure functions, thread-safe.
 */
#pragma once

#include <stddef.h>

/* Longest path accepted, decoded or raw. */
#define PATH_MAX_BYTES 8192

/*
 * Normalises the path part of a request target (no query): merges repeated slashes, resolves
 * "." and ".." segments (also when percent-encoded), and keeps a trailing slash.
 * Fails with -EINVAL when the path does not start with '/', has a bad %-escape, an encoded '/'
 * or '\', a NUL or control character, or climbs above the root; -E2BIG when too long.
 * On success *ret_path (decoded) and *ret_raw (encoded) are heap strings the caller frees.
 */
int path_normalize(const char *target, size_t len, char **ret_path, char **ret_raw);

/* Decodes %XX and, when plus_is_space, '+' in a query component. -EINVAL on a bad escape or
 * NUL. *ret is a heap string. */
int path_decode_component(const char *s, size_t len, int plus_is_space, char **ret);
