/*
 * handlers: what the unit tests of the request handlers share. A request is routed by the
 * server's own route table (server/routes.c, assembled as main.c assembles it), so it reaches
 * the handler, flags and :parameters a client's request would; then either the gate admits it
 * (gate_admit: the route's least role, recent sign-in, CSRF) or, for a handler's own rules, the
 * handler runs at once for an identity the gate would have set. Either way the test waits for
 * the reply and reads what a client would.
 *
 * Header-only (static inline): each test file is one program.
 */
#pragma once

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/identity.h"
#include "auth/session.h"
#include "fake_http.h"
#include "server/gate/apps.h"
#include "server/gate/gate.h"
#include "server/http/router.h"
#include "server/routes.h"
#include "server_fixture.h"
#include "unit.h"

/* Long enough for a call to the refusing API server address to come back. */
#define HANDLER_WAIT_MS 5000

/* The route table of a server with f's settings, as main.c assembles it. */
struct table {
    struct route *routes;
    size_t n_own; /* those of kfdash's own origin, first */
    size_t n;     /* then those of application hosts */
};

static inline void table_load(struct table *t, const struct server_fixture *f)
{
    ck_assert_int_eq(routes_assemble(apps_enabled(&f->cfg), &t->routes, &t->n_own, &t->n), 0);
}

static inline void table_free(struct table *t)
{
    free(t->routes);
    t->routes = NULL;
}

/* The people of the handler suites: alice owns the profile alice, bob contributes to it, carol
 * views it, admin is a cluster admin, eve is a stranger. */
#define TEAM_ALICE "alice@example.com"
#define TEAM_BOB   "bob@example.com"
#define TEAM_CAROL "carol@example.com"
#define TEAM_ADMIN "admin@example.com"

/* Starts f with --cluster-admins admin and args (NULL-terminated, may be NULL), loads t, and
 * makes the team's profile and bindings. */
static inline void team_start(struct server_fixture *f, struct table *t, const char *const *args)
{
    const char *all[32] = {"--cluster-admins", TEAM_ADMIN};
    size_t n = 2;
    for (size_t i = 0; args && args[i] && n < 31; i++) all[n++] = args[i];
    all[n] = NULL;
    sfx_start(f, all);
    table_load(t, f);
    sfx_profile(f, "alice", TEAM_ALICE);
    sfx_binding(f, "alice", "kubeflow-edit", TEAM_BOB);
    sfx_binding(f, "alice", "kubeflow-view", TEAM_CAROL);
}

static inline void team_stop(struct server_fixture *f, struct table *t)
{
    table_free(t);
    sfx_stop(f);
}

/*
 * A request for method and target (path and query) to kfdash's own origin, or to an
 * application's host when app_host, matched against t as the server matches it: its route and
 * :parameters set. The test fails when no route takes it.
 */
static inline struct http_request *routed(const struct server_fixture *f, const struct table *t,
                                          const char *method, const char *target, bool app_host)
{
    struct http_request *r = fake_request(&f->k, method, target);
    const struct route *table = app_host ? t->routes + t->n_own : t->routes;
    size_t n = app_host ? t->n - t->n_own : t->n_own;
    struct route_match m;
    int e = router_match(table, n, method, http_request_path(r), &m, NULL, 0);
    ck_assert_msg(e == 0, "no route takes %s %s", method, target);
    char values[ROUTER_MAX_PARAMS][1024], names[ROUTER_MAX_PARAMS][64];
    const char *params[2 * ROUTER_MAX_PARAMS + 1];
    size_t k = 0;
    for (size_t i = 0; i < m.n_params; i++) {
        snprintf(names[i], sizeof(names[i]), "%.*s", (int)m.params[i].name_len, m.params[i].name);
        snprintf(values[i], sizeof(values[i]), "%.*s", (int)m.params[i].value_len,
                 m.params[i].value);
        params[k++] = names[i];
        params[k++] = values[i];
    }
    params[k] = NULL;
    fake_route(r, m.route, params);
    return r;
}

/* The identity the gate would have found: email, proved by source, in no group. */
static inline void proved(struct http_request *r, enum identity_source source, const char *email)
{
    struct identity *who = identity_new(source, email, NULL, 0);
    ck_assert_ptr_nonnull(who);
    fake_identity(r, who);
}

/* A browser's session of email signed in at Dex at auth_time, with its CSRF token and a page of
 * kfdash's own origin, as the web app sends it. */
static inline void browser_session(struct server_fixture *f, struct http_request *r,
                                   const char *email, time_t auth_time)
{
    char csrf[SESSION_RANDOM_SIZE];
    char *cookie = sfx_session(f, email, auth_time, csrf);
    fake_cookie(r, SESSION_COOKIE, cookie);
    free(cookie);
    fake_header(r, "X-CSRF-Token", csrf);
    fake_header(r, "Origin", "http://127.0.0.1:8080");
    fake_header(r, "Sec-Fetch-Site", "same-origin");
}

/* Runs the route's handler (the gate passed), then lets it go on until it answers. */
static inline unsigned run(struct http_request *r)
{
    http_request_run_route(r);
    ck_assert_msg(fake_settle(r, HANDLER_WAIT_MS), "no reply");
    return fake_status(r);
}

/* The gate first (the route's own rules), then the handler, until it answers. */
static inline unsigned admit(struct http_request *r)
{
    gate_admit(r);
    ck_assert_msg(fake_settle(r, HANDLER_WAIT_MS), "no reply");
    return fake_status(r);
}

/* The reply's {"error": message}; "" when there is none. Valid until the next call. */
static inline const char *error_of(const struct http_request *r)
{
    static char out[1024];
    cJSON *j = fake_reply_json(r);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    snprintf(out, sizeof(out), "%s", cJSON_IsString(e) ? e->valuestring : "");
    cJSON_Delete(j);
    return out;
}

/* ck_assert that the reply is status with exactly that error message. */
#define ck_assert_refused(r, status, message)                                                      \
    do {                                                                                           \
        ck_assert_msg(fake_status(r) == (status), "status %u, wanted %u: %s", fake_status(r),      \
                      (unsigned)(status), fake_reply_body(r));                                     \
        ck_assert_str_eq(error_of(r), message);                                                    \
    } while (0)

/* ck_assert that the reply's error message holds part. */
#define ck_assert_error_has(r, part)                                                               \
    ck_assert_msg(strstr(error_of(r), part) != NULL, "\"%s\" not in %s", part, fake_reply_body(r))
