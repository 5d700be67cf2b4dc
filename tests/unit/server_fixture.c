/* server_fixture: see server_fixture.h. */
#include "server_fixture.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/seal.h"
#include "auth/store.h"
#include "k8s/access.h"
#include "lib/upstream.h"
#include "server/api/dashboard.h"
#include "server/api/diagnostics.h"
#include "server/api/k8s.h"
#include "server/api/mlflow.h"
#include "server/api/notebooks.h"
#include "server/api/workgroup.h"
#include "server/cluster/kube.h"
#include "server/cluster/sar.h"
#include "server/gate/apps.h"
#include "server/gate/fairness.h"
#include "server/gate/gate.h"
#include "server/http/health.h"
#include "server/http/static.h"
#include "server/proxy/serving.h"
#include "server/proxy/tunnel.h"
#include "unit.h"

/* Nothing listens on port 1 of the loopback: a call that gets there is refused at once. */
#define NOWHERE  "http://127.0.0.1:1"
#define TEST_KEY "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"

void sfx_start(struct server_fixture *f, const char *const *args)
{
    memset(f, 0, sizeof(*f));
    const char *argv[64] = {"kfdash"};
    int argc = 1;
    for (size_t i = 0; args && args[i] && argc < 63; i++) argv[argc++] = args[i];
    char *envp[] = {NULL};
    enum config_action action;
    char err[CONFIG_ERROR_MAX];
    ck_assert_msg(config_load(argc, (char **)argv, envp, &f->cfg, &action, err) == 0, "%s", err);
    struct kfdash *k = &f->k;
    k->cfg = &f->cfg;
    char why[512];
    ck_assert_int_eq(seal_keys_parse(TEST_KEY, &f->keys, why), 0);
    k->keys = f->keys;
    ck_assert_int_eq(store_open("", &k->store, why), 0);
    ck_assert_int_eq(upstream_new(NULL, 0, &k->engine), 0);
    ck_assert_int_eq(upstream_new(NULL, 64, &k->own_engine), 0);
    ck_assert_int_eq(k8s_access_new(&f->access), 0);
    k8s_access_publish(f->access);
    ck_assert_int_eq(kube_new_offline(&f->cfg, k->own_engine, NOWHERE, f->access, &k->kube), 0);
    ck_assert_int_eq(health_new(&k->health), 0);
    ck_assert_int_eq(gate_new(&f->cfg, &k->gate), 0);
    ck_assert_int_eq(fairness_new(&f->cfg, &k->fairness), 0);
    ck_assert_int_eq(apps_new(&f->cfg, &k->apps, why, sizeof(why)), 0);
    ck_assert_int_eq(sar_new(k->kube, &k->sar), 0);
    ck_assert_int_eq(serving_new(&k->serving), 0);
    ck_assert_int_eq(tunnels_new(k->engine, &k->tunnels), 0);
    ck_assert_int_eq(dashboard_new(&f->cfg, &k->dashboard, why), 0);
    ck_assert_int_eq(api_k8s_new(&f->cfg, &k->api_k8s, why), 0);
    ck_assert_int_eq(api_diagnostics_new(&k->diagnostics), 0);
    char nb_err[API_NOTEBOOKS_ERROR_MAX];
    ck_assert_int_eq(api_notebooks_new(&f->cfg, &k->notebooks, nb_err), 0);
    ck_assert_int_eq(api_mlflow_new(&k->mlflow), 0);
    ck_assert_int_eq(api_workgroup_new(&k->workgroup), 0);
}

void sfx_stop(struct server_fixture *f)
{
    struct kfdash *k = &f->k;
    tunnels_free(k->tunnels);
    upstream_free(k->engine);
    upstream_free(k->own_engine);
    api_workgroup_free(k->workgroup);
    api_mlflow_free(k->mlflow);
    api_notebooks_free(k->notebooks);
    api_k8s_free(k->api_k8s);
    api_diagnostics_free(k->diagnostics);
    dashboard_free(k->dashboard);
    serving_free(k->serving);
    sar_free(k->sar);
    apps_free(k->apps);
    gate_free(k->gate);
    fairness_free(k->fairness);
    health_free(k->health);
    kube_free(k->kube);
    store_free(k->store);
    seal_keys_free(f->keys);
    config_reset(&f->cfg);
}

static void feed(struct server_fixture *f, enum k8s_access_kind kind, const char *text)
{
    cJSON *j = cJSON_Parse(text);
    ck_assert_ptr_nonnull(j);
    k8s_access_apply(f->access, kind, K8S_ADDED, j);
    cJSON_Delete(j);
    k8s_access_publish(f->access);
}

void sfx_profile(struct server_fixture *f, const char *ns, const char *owner)
{
    char text[1024];
    snprintf(
        text, sizeof(text),
        "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"owner\":{\"kind\":\"User\",\"name\":\"%s\"}}}",
        ns, owner);
    feed(f, K8S_ACCESS_PROFILE, text);
    snprintf(text, sizeof(text),
             "{\"metadata\":{\"name\":\"%s\",\"annotations\":{\"owner\":\"%s\"}}}", ns, owner);
    feed(f, K8S_ACCESS_NAMESPACE, text);
}

void sfx_binding(struct server_fixture *f, const char *ns, const char *role, const char *user)
{
    char text[1024];
    snprintf(text, sizeof(text),
             "{\"metadata\":{\"name\":\"user-%s-%s\",\"namespace\":\"%s\",\"annotations\":{"
             "\"user\":\"%s\",\"role\":\"%s\"}},\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":"
             "\"%s\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"%s\"}]}",
             user, role, ns, user, role, role, user);
    feed(f, K8S_ACCESS_BINDING, text);
}

char *sfx_session(struct server_fixture *f, const char *email, time_t auth_time,
                  char csrf[SESSION_RANDOM_SIZE])
{
    time_t now = time(NULL);
    struct session s = {.email = (char *)email,
                        .expires = now + 3600,
                        .recheck_at = now + 3600,
                        .auth_time = auth_time};
    ck_assert_int_eq(session_random(s.id), 0);
    ck_assert_int_eq(session_random(s.csrf), 0);
    if (csrf) memcpy(csrf, s.csrf, SESSION_RANDOM_SIZE);
    char *sealed = NULL;
    ck_assert_int_eq(session_seal(f->keys, &s, &sealed), 0);
    return sealed;
}
