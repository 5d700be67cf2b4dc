/*
 * kfdash: the central dashboard for Kubeflow and MLflow.
 *
 * main owns start-up and shutdown: config, module set-up in dependency order, signals, and the
 * graceful stop on SIGTERM. Exit status: 0 after a clean stop, 1 when serving failed, 2 for a
 * bad configuration.
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>
#include <time.h>

#include "auth/oidc.h"
#include "auth/seal.h"
#include "auth/store.h"
#include "server/api/tokens.h"
#include "server/gate/authz.h"
#include "lib/buf.h"
#include "server/config.h"
#include "server/api/dashboard.h"
#include "server/cluster/dex_users.h"
#include "server/gate/gate.h"
#include "server/cluster/kube.h"
#include "server/api/workgroup.h"
#include "server/api/notebooks.h"
#include "server/proxy/app_proxy.h"
#include "server/gate/apps.h"
#include "server/api/kserve.h"
#include "server/proxy/serving.h"
#include "server/api/admin.h"
#include "server/api/diagnostics.h"
#include "server/api/k8s.h"
#include "server/api/mlflow.h"
#include "server/cluster/sar.h"
#include "server/http/health.h"
#include "server/http/http.h"
#include "lib/log.h"
#include "server/gate/login.h"
#include "server/http/metrics.h"
#include "server/routes.h"
#include "server/proxy/proxy.h"
#include "server/proxy/sidecar.h"
#include "server/cluster/shared_state.h"
#include "server/http/static.h"
#include "server/proxy/tunnel.h"
#include "lib/upstream.h"
#include "version.h"

extern char **environ;

static int64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int print_buf(int (*fill)(struct buf *))
{
    struct buf b;
    buf_init(&b, 1 << 20);
    int r = fill(&b);
    if (r == 0) fputs(buf_str(&b), stdout);
    buf_reset(&b);
    return r == 0 ? 0 : 1;
}

static struct oidc *provider;      /* the OpenID provider, NULL when none is configured */
static struct upstream *engine;    /* calls to other servers */
static struct store *store;        /* sessions and personal access tokens */
static struct seal_keys *keys;     /* session keys */
static struct signin signin;       /* what the gate and the sign-in routes share */
static const struct route *served; /* the route table in use */
static size_t n_served;            /* its entries */
static size_t n_own;               /* those of kfdash's own origin; the rest: application hosts */
static struct route *assembled;    /* served, when routes_assemble made it */

/* Writes a new random session key to path, readable by kfdash only; -EEXIST if there is one. */
static int make_key_file(const char *path)
{
    unsigned char key[32];
    if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) return -EIO;
    char line[80];
    for (size_t i = 0; i < sizeof(key); i++) snprintf(line + 2 * i, 3, "%02x", key[i]);
    strcat(line, "\n");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return -errno;
    ssize_t n = write(fd, line, strlen(line));
    int e = n == (ssize_t)strlen(line) && fsync(fd) == 0 ? 0 : -EIO;
    close(fd);
    if (e < 0) unlink(path);
    return e;
}

/* Session keys: the configured file, else <state_dir>/session.keys (made on first start), else
 * a key for this process only. A bad file is a configuration error. */
static int load_keys(const struct config *cfg, char *why, size_t size)
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
        for (size_t i = 0; i < sizeof(key); i++) snprintf(text + 2 * i, 3, "%02x", key[i]);
        log_msg(LOG_WARN, "no state_dir: sessions and tokens last only as long as this process",
                NULL, NULL);
        return seal_keys_parse(text, &keys, err);
    }
    struct buf b;
    buf_init(&b, 64 << 10);
    int e = buf_read_file(&b, path);
    if (e == 0)
        e = seal_keys_parse(buf_str(&b), &keys, err);
    else
        snprintf(err, sizeof(err), "%s", strerror(-e));
    buf_reset(&b);
    if (e < 0) snprintf(why, size, "session keys %.300s: %s", path, err);
    return e;
}

/* Everything sign-in needs; exit status 1 or 2 on failure, 0 when set up. */
static int start_signin(struct config *cfg)
{
    char why[512], err[256];
    if (load_keys(cfg, why, sizeof(why)) < 0) {
        fprintf(stderr, "kfdash: %s\n", why);
        return 2;
    }
    char db[4200] = "";
    if (*cfg->state_dir) snprintf(db, sizeof(db), "%s/kfdash.db", cfg->state_dir);
    if (store_open(db, &store, err) < 0) {
        fprintf(stderr, "kfdash: %s\n", err);
        return 2;
    }
    if (upstream_new(cfg->connect_to, &engine) < 0) {
        fprintf(stderr, "kfdash: cannot start the upstream engine\n");
        return 1;
    }
    signin = (struct signin){cfg, provider, store, keys, engine};
    if (gate_init(&signin) < 0) {
        fprintf(stderr, "kfdash: out of memory\n");
        return 1;
    }
    if (apps_init(&signin, why, sizeof(why)) < 0) {
        fprintf(stderr, "kfdash: %s\n", why);
        return 2;
    }
    login_init(&signin);
    proxy_init(cfg, engine);
    app_proxy_init(cfg);
    api_kserve_init(cfg, engine);
    serving_init(cfg);
    if (tunnel_init(engine) < 0) {
        fprintf(stderr, "kfdash: cannot start the WebSocket relay\n");
        return 1;
    }
    sidecar_init(cfg);
    api_tokens_init(&signin);
    api_workgroup_init(cfg);
    if (api_notebooks_init(cfg) < 0) {
        fprintf(stderr, "kfdash: out of memory\n");
        return 1;
    }
    api_admin_init(cfg);
    api_diagnostics_init(cfg, provider, engine);
    api_mlflow_init(cfg, engine);
    sar_init(engine);
    char bad[128];
    if (api_k8s_init(cfg, bad) < 0) {
        fprintf(stderr, "kfdash: k8s.allowed_resources: %s\n", bad);
        return 2;
    }
    int e = kube_start(cfg, engine, why, sizeof(why));
    if (e < 0) {
        fprintf(stderr, "kfdash: %s\n", why);
        return e == -ENOMEM || e == -EAGAIN ? 1 : 2; /* else the kubeconfig is at fault */
    }
    e = shared_state_start(cfg, store, engine, why, sizeof(why));
    if (e < 0) {
        fprintf(stderr, "kfdash: %s\n", why);
        return e == -EINVAL ? 2 : 1;
    }
    if (dex_users_start(cfg, store, why, sizeof(why)) < 0) {
        fprintf(stderr, "kfdash: %s\n", why);
        return 1;
    }
    authz_init(cfg);
    return 0;
}

static bool provider_ready(char *detail, size_t size)
{
    return oidc_ready(provider, detail, size);
}

static bool web_ready(char *detail, size_t size)
{
    size_t n = static_embedded_files();
    if (n)
        snprintf(detail, size, "%zu files built in", n);
    else
        snprintf(detail, size, "serving from a directory");
    return true;
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

static bool on_app_host(const struct http_request *r)
{
    char label[APPS_LABEL_MAX];
    return apps_request_label(r, label);
}

/* Where the applications kfdash carries are served, for /readyz and the start-up log. */
static bool apps_where(char *detail, size_t size)
{
    if (apps_enabled())
        snprintf(detail, size, "each on a host of its own under *.%s", signin.cfg->apps_domain);
    else
        snprintf(detail, size,
                 "they share kfdash's origin (apps.domain is not set): only a namespace's owner "
                 "and contributors may open them");
    return true;
}

static int serve(struct config *cfg, int64_t t0)
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
    int r = http_server_new(cfg, served, n_served, gate_admit, &server);
    if (r == 0) http_server_serve_hosts(server, n_own, on_app_host);
    if (r == 0) r = http_server_start(server, err);
    if (r < 0) {
        log_msg(LOG_ERROR, "cannot serve", "error", r == -ENOMEM ? "out of memory" : err);
        http_server_free(server);
        return 1;
    }
    struct buf line;
    char apps_detail[256];
    apps_where(apps_detail, sizeof(apps_detail));
    log_msg(apps_enabled() ? LOG_INFO : LOG_WARN, "applications", "where", apps_detail);
    log_begin(&line, LOG_INFO, "ready");
    log_str(&line, "version", KFDASH_VERSION);
    log_int(&line, "startup_us", monotonic_us() - t0);
    log_end(&line);

    int sig = 0;
    sigwait(&stop_signals, &sig);
    log_msg(LOG_INFO, "stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    http_server_quiesce(server);
    tunnel_close_all(); /* WebSocket sessions would hold the drain for its whole grace */
    int64_t left = http_server_drain(server, cfg->shutdown_grace_s * 1000);
    /* Calls still under way end now (their requests resume and answer) before the daemons go;
     * nothing may start new ones after: the shared state's watch and sweep stop first. */
    shared_state_stop();
    dex_users_stop();
    upstream_free(engine);
    engine = NULL;
    if (provider) oidc_release_waiters(provider);
    log_begin(&line, LOG_INFO, "stopped");
    log_int(&line, "requests_cut_short", left);
    log_end(&line);
    http_server_free(server);
    tunnel_stop();
    return 0;
}

int main(int argc, char **argv)
{
    int64_t t0 = monotonic_us();
    struct config cfg;
    enum config_action action;
    char err[CONFIG_ERROR_MAX];
    if (config_load(argc, argv, environ, &cfg, &action, err) < 0) {
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

    char why[DASHBOARD_ERROR_MAX];
    if (dashboard_init(&cfg, why) < 0 || static_init(&cfg, why) < 0) {
        fprintf(stderr, "kfdash: %s\n", why);
        status = 2;
        goto out;
    }
    if (action == CONFIG_CHECK) {
        char *json = config_to_json(&cfg);
        if (json) puts(json);
        status = json ? 0 : 1;
        free(json);
        goto out;
    }
    log_set_level(level_from_name(cfg.log_level));
    /* Sidecar mode serves another table: kfdash's own few paths, the application the rest. */
    if (*cfg.upstream) {
        served = sidecar_routes;
        n_served = n_own = n_sidecar_routes;
    } else if (routes_assemble(*cfg.apps_domain, &assembled, &n_own, &n_served) == 0) {
        served = assembled;
    } else {
        fprintf(stderr, "kfdash: out of memory\n");
        status = 1;
        goto out;
    }
    if (metrics_init(served, n_served) < 0 || health_register("web", web_ready) < 0 ||
        (!*cfg.upstream && health_register("applications", apps_where) < 0)) {
        fprintf(stderr, "kfdash: too many routes or checks for the metrics tables\n");
        status = 1;
        goto out;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (*cfg.oidc_issuer) {
        int e = oidc_new(cfg.oidc_issuer, cfg.oidc_client_id, &provider);
        if (e < 0 || health_register("identity provider", provider_ready) < 0) {
            fprintf(stderr, "kfdash: cannot start the identity provider client: %s\n",
                    strerror(e < 0 ? -e : E2BIG));
            status = 1;
            goto out;
        }
    }
    status = start_signin(&cfg);
    if (status == 0) status = serve(&cfg, t0);
out:
    api_k8s_reset();
    sar_reset();
    shared_state_stop();
    dex_users_stop();
    kube_stop();
    tunnel_stop();
    upstream_free(engine);
    gate_reset();
    store_free(store);
    seal_keys_free(keys);
    oidc_free(provider);
    curl_global_cleanup();
    dashboard_reset();
    config_reset(&cfg);
    free(assembled);
    return status;
}
