/*
 * kfdash: the central dashboard for Kubeflow and MLflow.
 *
 * main owns start-up and shutdown: config, module set-up in dependency order, signals, and the
 * graceful stop on SIGTERM. Exit status: 0 after a clean stop, 1 when serving failed, 2 for a
 * bad configuration.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "auth/oidc.h"
#include "auth/seal.h"
#include "auth/store.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/hex.h"
#include "lib/log.h"
#include "lib/upstream.h"
#include "server/api/admin.h"
#include "server/api/dashboard.h"
#include "server/api/diagnostics.h"
#include "server/api/k8s.h"
#include "server/api/kserve.h"
#include "server/api/mlflow.h"
#include "server/api/notebooks.h"
#include "server/api/tokens.h"
#include "server/api/workgroup.h"
#include "server/cluster/dex_users.h"
#include "server/cluster/kube.h"
#include "server/cluster/sar.h"
#include "server/cluster/shared_state.h"
#include "server/config.h"
#include "server/gate/apps.h"
#include "server/gate/authz.h"
#include "server/gate/fairness.h"
#include "server/gate/gate.h"
#include "server/gate/login.h"
#include "server/http/health.h"
#include "server/http/http.h"
#include "server/http/metrics.h"
#include "server/http/static.h"
#include "server/kfdash.h"
#include "server/proxy/app_proxy.h"
#include "server/proxy/proxy.h"
#include "server/proxy/serving.h"
#include "server/proxy/sidecar.h"
#include "server/proxy/tunnel.h"
#include "server/routes.h"
#include "version.h"

extern char **environ;

/* kfdash's own calls under way at most (server/kfdash.h own_engine): watches, sign-ins, token
 * and access reviews, shared-state writes. */
#define OWN_CALLS_MAX 256

static int print_buf(int (*fill)(struct buf *))
{
    struct buf b;
    buf_init(&b, 1 << 20);
    int r = fill(&b);
    if (r == 0) fputs(buf_str(&b), stdout);
    buf_reset(&b);
    return r == 0 ? 0 : 1;
}

/* Writes a new random session key to path, readable by kfdash only; -EEXIST if there is one. */
static int make_key_file(const char *path)
{
    unsigned char key[32];
    if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) return -EIO;
    char line[80];
    hex_encode(key, sizeof(key), line);
    strcat(line, "\n");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return -errno;
    /* The reason stays the system's (ENOSPC, EDQUOT, EIO): it is what the operator must fix. */
    ssize_t n = write(fd, line, strlen(line));
    int e = n < 0 ? -errno : n != (ssize_t)strlen(line) ? -ENOSPC : fsync(fd) < 0 ? -errno : 0;
    close(fd);
    if (e < 0) unlink(path);
    return e;
}

/* Session keys: the configured file, else <state_dir>/session.keys (made on first start), else
 * a key for this process only. A bad file is a configuration error. */
static int load_keys(const struct config *cfg, struct seal_keys **keys, char *why, size_t size)
{
    char path[4200], err[128];
    if (*cfg->session_keys_file) {
        snprintf(path, sizeof(path), "%s", cfg->session_keys_file);
    } else if (*cfg->state_dir) {
        snprintf(path, sizeof(path), "%s/session.keys", cfg->state_dir);
        int e = make_key_file(path);
        if (e == 0)
            log_msg(LOG_INFO, "made a new session key", "file", path);
        else if (e != -EEXIST) {
            snprintf(why, size, "cannot write %.300s: %s", path, strerror(-e));
            return e;
        }
    } else {
        unsigned char key[32];
        char text[80];
        if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) return -EIO;
        hex_encode(key, sizeof(key), text);
        log_msg(LOG_WARN, "no state_dir: sessions and tokens last only as long as this process",
                NULL, NULL);
        return seal_keys_parse(text, keys, err);
    }
    struct buf b;
    buf_init(&b, 64 << 10);
    int e = buf_read_file(&b, path);
    if (e == 0)
        e = seal_keys_parse(buf_str(&b), keys, err);
    else
        snprintf(err, sizeof(err), "%s", strerror(-e));
    buf_reset(&b);
    if (e < 0) snprintf(why, size, "session keys %.300s: %s", path, err);
    return e;
}

/* Raise the soft open-file limit to the hard one: every connection is a descriptor. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static enum log_level level_from_name(const char *name)
{
    return strcmp(name, "debug") == 0   ? LOG_DEBUG
           : strcmp(name, "warn") == 0  ? LOG_WARN
           : strcmp(name, "error") == 0 ? LOG_ERROR
                                        : LOG_INFO;
}

/* What main makes and frees besides the parts (server/kfdash.h). */
struct owned {
    struct config cfg;
    struct seal_keys *keys;
    struct route *assembled;    /* the route table, when routes_assemble made it */
    const struct route *served; /* the route table in use */
    size_t n_served;            /* its entries */
    size_t n_own;               /* those of kfdash's own origin; the rest: application hosts */
};

static bool provider_ready(void *provider, char *detail, size_t size)
{
    return oidc_ready(provider, detail, size);
}

/* Where the applications kfdash carries are served, for /readyz and the start-up log. */
static bool apps_where(void *cfg, char *detail, size_t size)
{
    const struct config *c = cfg;
    if (apps_enabled(c))
        snprintf(detail, size, "each on a host of its own under *.%s", c->apps_domain);
    else
        snprintf(detail, size,
                 "they share kfdash's origin (apps.domain is not set): only a namespace's owner "
                 "and contributors may open them");
    return true;
}

/*
 * Makes the parts in dependency order: the settings' own checks first, then the engine, the
 * store and keys, the API server and what watches it, the gate and the handlers' state. Exit
 * status 1 or 2 on failure (with the reason on stderr; what was made is freed by stop), 0 when
 * all is made.
 */
static int start(struct kfdash *k, struct owned *o)
{
    const struct config *cfg = &o->cfg;
    char why[DASHBOARD_ERROR_MAX], err[256];
    int e;
#define FAIL(status, ...)                                                                          \
    do {                                                                                           \
        fprintf(stderr, "kfdash: ");                                                               \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        return status;                                                                             \
    } while (0)
    k->cfg = cfg;
    if (health_new(&k->health) < 0 || upstream_new(cfg->connect_to, 0, &k->engine) < 0 ||
        upstream_new(cfg->connect_to, OWN_CALLS_MAX, &k->own_engine) < 0)
        FAIL(1, "cannot start the upstream engines");
    if (*cfg->oidc_issuer) {
        e = oidc_new(cfg->oidc_issuer, cfg->oidc_client_id, k->own_engine, &k->provider);
        if (e < 0) FAIL(1, "cannot start the identity provider client: %s", strerror(-e));
    }
    if (load_keys(cfg, &o->keys, why, sizeof(why)) < 0) FAIL(2, "%s", why);
    k->keys = o->keys;
    char db[4200] = "";
    if (*cfg->state_dir) snprintf(db, sizeof(db), "%s/kfdash.db", cfg->state_dir);
    if (store_open(db, &k->store, err) < 0) FAIL(2, "%s", err);
    e = kube_new(cfg, k->own_engine, &k->kube, why, sizeof(why));
    if (e < 0) FAIL(e == -ENOMEM || e == -EAGAIN ? 1 : 2, "%s", why); /* else the kubeconfig */
    e = shared_state_new(cfg, k->store, k->kube, &k->shared, why, sizeof(why));
    if (e < 0) FAIL(e == -EINVAL ? 2 : 1, "%s", why);
    if (dex_users_new(cfg, k->store, k->kube, &k->dex_users, why, sizeof(why)) < 0)
        FAIL(1, "%s", why);
    /* Kubeflow's dashboard-config through the API server (DASHBOARD_CONFIGMAP), followed. */
    if (!*cfg->upstream && dashboard_follow(k->dashboard, cfg, k->kube, why, sizeof(why)) < 0)
        FAIL(1, "%s", why);
    if (apps_new(cfg, &k->apps, why, sizeof(why)) < 0) FAIL(2, "%s", why);
    char bad[128];
    if (api_k8s_new(cfg, &k->api_k8s, bad) < 0) FAIL(2, "k8s.allowed_resources: %s", bad);
    if (gate_new(cfg, &k->gate) < 0 || fairness_new(cfg, &k->fairness) < 0 ||
        sar_new(k->kube, &k->sar) < 0 || api_diagnostics_new(&k->diagnostics) < 0 ||
        serving_new(&k->serving) < 0 || api_mlflow_new(&k->mlflow) < 0 ||
        api_workgroup_new(&k->workgroup) < 0)
        FAIL(1, "out of memory");
    char nb_err[API_NOTEBOOKS_ERROR_MAX];
    e = api_notebooks_new(cfg, &k->notebooks, nb_err);
    if (e < 0) FAIL(e == -EINVAL ? 2 : 1, "%s", nb_err); /* a bad spawner_ui_config.yaml: 2 */
    if (tunnels_new(k->engine, &k->tunnels) < 0) FAIL(1, "cannot start the WebSocket relay");
    e = health_register(k->health, "web", web_ready, k->web);
    if (e == 0 && !*cfg->upstream)
        e = health_register(k->health, "applications", apps_where, (void *)cfg);
    if (e == 0 && k->provider)
        e = health_register(k->health, "identity provider", provider_ready, k->provider);
    if (e == 0 && kube_on(k->kube))
        e = health_register(k->health, "kubernetes", kube_ready, k->kube);
    if (e == 0 && k->shared)
        e = health_register(k->health, "shared state", shared_state_ready, k->shared);
    if (e == 0 && k->dex_users)
        e = health_register(k->health, "dex users", dex_users_ready, k->dex_users);
    if (e == 0 && dashboard_following(k->dashboard))
        e = health_register(k->health, "dashboard-config", dashboard_ready, k->dashboard);
    if (e < 0) FAIL(1, "too many readiness checks");
#undef FAIL
    return 0;
}

/*
 * Stops what runs on threads of its own before the engine goes (their calls would outlive it),
 * then the engine (calls still under way end, and their requests answer).
 */
static void stop_threads(struct kfdash *k)
{
    shared_state_free(k->shared);
    k->shared = NULL;
    dex_users_free(k->dex_users);
    k->dex_users = NULL;
    dashboard_stop_following(k->dashboard);
    kube_stop_watching(k->kube);
    oidc_stop(k->provider);
    upstream_free(k->engine);
    upstream_free(k->own_engine);
    k->engine = k->own_engine = NULL;
    if (k->provider) oidc_release_waiters(k->provider);
}

static void stop(struct kfdash *k, struct owned *o)
{
    tunnels_free(k->tunnels);
    stop_threads(k);
    api_workgroup_free(k->workgroup);
    api_mlflow_free(k->mlflow);
    api_notebooks_free(k->notebooks);
    api_k8s_free(k->api_k8s);
    api_diagnostics_free(k->diagnostics);
    serving_free(k->serving);
    sar_free(k->sar);
    gate_free(k->gate);
    fairness_free(k->fairness);
    apps_free(k->apps);
    kube_free(k->kube);
    store_free(k->store);
    seal_keys_free(o->keys);
    oidc_free(k->provider);
    health_free(k->health);
    dashboard_free(k->dashboard);
    web_free(k->web);
    *k = (struct kfdash){0};
    free(o->assembled);
}

static bool on_app_host(const struct http_request *r)
{
    char label[APPS_LABEL_MAX];
    return apps_request_label(r, label);
}

static int serve(struct kfdash *k, struct owned *o, int64_t t0)
{
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    /* Block before any thread starts so every thread inherits the mask and sigwait gets them. */
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();

    struct http_server *server = NULL;
    char err[HTTP_ERROR_MAX];
    const struct config *cfg = k->cfg;
    int r = http_server_new(cfg, o->served, o->n_served, gate_admit, k, &server);
    if (r == 0) http_server_serve_hosts(server, o->n_own, on_app_host);
    if (r == 0) r = http_server_start(server, err);
    if (r < 0) {
        log_msg(LOG_ERROR, "cannot serve", "error", r == -ENOMEM ? "out of memory" : err);
        http_server_free(server);
        return 1;
    }
    struct buf line;
    char apps_detail[256];
    apps_where((void *)cfg, apps_detail, sizeof(apps_detail));
    log_msg(apps_enabled(cfg) ? LOG_INFO : LOG_WARN, "applications", "where", apps_detail);
    log_begin(&line, LOG_INFO, "ready");
    log_str(&line, "version", KFDASH_VERSION);
    log_int(&line, "startup_us", clock_us() - t0);
    log_end(&line);

    int sig = 0;
    sigwait(&stop_signals, &sig);
    log_msg(LOG_INFO, "stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    http_server_quiesce(server);
    tunnels_close_all(k->tunnels); /* WebSocket sessions would hold the drain its whole grace */
    int64_t left = http_server_drain(server, cfg->shutdown_grace_s * 1000);
    /* Calls still under way end now (their requests resume and answer) before the daemons go;
     * nothing may start new ones after: the shared state's watch and sweep stop first. */
    stop_threads(k);
    log_begin(&line, LOG_INFO, "stopped");
    log_int(&line, "requests_cut_short", left);
    log_end(&line);
    http_server_free(server);
    return 0;
}

int main(int argc, char **argv)
{
    int64_t t0 = clock_us();
    static struct owned owned; /* big: not on the stack */
    struct config *cfg_p = &owned.cfg;
    struct kfdash k = {0};
    enum config_action action;
    char err[CONFIG_ERROR_MAX];
    if (config_load(argc, argv, environ, cfg_p, &action, err) < 0) {
        fprintf(stderr, "kfdash: %s\n", err);
        return 2;
    }
    int status = 0;
    switch (action) {
    case CONFIG_HELP:
        status = print_buf(config_usage);
        goto out;
    case CONFIG_VERSION:
        /* "kfdash 0.1.0 (git v0.1.0-3-gabc1234)"; outside git, vcs_tag gives the release */
        if (strcmp(KFDASH_VERSION, KFDASH_RELEASE) == 0)
            printf("kfdash %s\n", KFDASH_RELEASE);
        else
            printf("kfdash %s (git %s)\n", KFDASH_RELEASE, KFDASH_VERSION);
        goto out;
    case CONFIG_REFERENCE:
        status = print_buf(config_reference);
        goto out;
    case CONFIG_CHECK:
    case CONFIG_RUN:
        break;
    }

    const struct config cfg = *cfg_p; /* for reading below; owned.cfg stays the one served */
    char why[DASHBOARD_ERROR_MAX];
    if (dashboard_new(cfg_p, &k.dashboard, why) < 0 || web_new(cfg_p, &k.web, why) < 0) {
        fprintf(stderr, "kfdash: %s\n", why);
        status = 2;
        goto out;
    }
    if (action == CONFIG_CHECK) {
        char *json = config_to_json(cfg_p);
        if (json) puts(json);
        status = json ? 0 : 1;
        free(json);
        goto out;
    }
    log_set_level(level_from_name(cfg.log_level));
    const char *ignored[8], *whys[8];
    for (size_t i = 0, n = config_ignored_env(environ, ignored, whys, 8); i < n; i++) {
        struct buf line;
        log_begin(&line, LOG_INFO, "a Kubeflow dashboard variable kfdash does not use");
        log_str(&line, "variable", ignored[i]);
        log_str(&line, "why", whys[i]);
        log_end(&line);
    }
    /* Sidecar mode serves another table: kfdash's own few paths, the application the rest. */
    if (*cfg.upstream) {
        owned.served = sidecar_routes;
        owned.n_served = owned.n_own = n_sidecar_routes;
    } else if (routes_assemble(*cfg.apps_domain, &owned.assembled, &owned.n_own, &owned.n_served) ==
               0) {
        owned.served = owned.assembled;
    } else {
        fprintf(stderr, "kfdash: out of memory\n");
        status = 1;
        goto out;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    status = start(&k, &owned);
    if (status == 0) status = serve(&k, &owned, t0);
out:
    stop(&k, &owned);
    curl_global_cleanup();
    config_reset(cfg_p);
    return status;
}
