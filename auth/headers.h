/*
 * auth/headers: the request headers that claim an identity.
 *
 * A client may send any of these to pose as someone else; they are dropped at the door on every
 * request (the HTTP layer hides them from everyone), and only auth/ may set identity headers on
 * what kfdash sends upstream. Pure functions, thread-safe.
 */
#pragma once

#include <stdbool.h>

/*
 * True for a header a client must never be trusted to send: kubeflow-userid, kubeflow-groups,
 * Impersonate-*, X-MLFLOW-WORKSPACE, X-Auth-Request-*, X-Forwarded-User/-Email/-Groups/
 * -Preferred-Username/-Access-Token, and the configured user-id header (may be NULL).
 */
bool auth_header_is_identity(const char *name, const char *userid_header);
