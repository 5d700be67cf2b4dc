/*
 * server_fixture: a kfdash server's parts (server/kfdash.h) for unit tests of the request path,
 * made as main.c makes them but with an access model fed by hand (no API server watched) and
 * an API server address that refuses connections (calls that get that far answer 502).
 * Requests come from tests/unit/fake_http.h.
 */
#pragma once

#include <time.h>

#include "auth/session.h"
#include "server/config.h"
#include "server/kfdash.h"

struct k8s_access;

struct server_fixture {
    struct config cfg;
    struct kfdash k;
    struct k8s_access *access; /* owned by k.kube */
    struct seal_keys *keys;
};

/* Settings as flags ({"--cluster-admins", "admin@example.com", NULL}; NULL for none). */
void sfx_start(struct server_fixture *f, const char *const *args);
void sfx_stop(struct server_fixture *f);

/* A verified profile: its Profile and the namespace its controller made for owner. */
void sfx_profile(struct server_fixture *f, const char *ns, const char *owner);
/* A RoleBinding of user to a ClusterRole (kubeflow-edit, kubeflow-view) in ns. */
void sfx_binding(struct server_fixture *f, const char *ns, const char *role, const char *user);

/* A browser session of email signed in at auth_time: its sealed cookie value (free it) and,
 * when csrf is not NULL, its CSRF token. */
char *sfx_session(struct server_fixture *f, const char *email, time_t auth_time,
                  char csrf[SESSION_RANDOM_SIZE]);
