/*
 * auth/headers: the request headers that claim an identity.
 *
 * A client may send any of these to pose as someone else; they are dropped at the door on every
 * request (the HTTP layer hides them from everyone), and only auth/ may set identity headers on
 * what kfdash sends upstream. Pure functions, thread-safe.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * True for a header a client must never be trusted to send: kubeflow-userid, kubeflow-groups,
 * Impersonate-*, X-MLFLOW-WORKSPACE, X-Auth-Request-*, X-Forwarded-User/-Email/-Groups/
 * -Preferred-Username/-Access-Token, and the configured user-id header (may be NULL), matched
 * without regard to case and with '_' and '-' alike (kubeflow_userid counts).
 */
bool auth_header_is_identity(const char *name, const char *userid_header);

/*
 * True for a cookie name that is kfdash's own (kfdash_session, kfdash_csrf, kfdash_login_*, and
 * anything else starting with "kfdash", in any case, with or without a __Host- or __Secure-
 * prefix): never passed to an application, and never accepted from one (an application that
 * could set them would fix a visitor's session or CSRF token).
 */
bool auth_cookie_is_kfdash(const char *name, size_t len);
/* True for an answer header line (name, value) of an application that would set one of them. */
bool auth_sets_kfdash_cookie(const char *name, const char *value);
