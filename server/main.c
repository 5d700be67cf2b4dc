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
#include <sys/resource.h>
#include <time.h>

#include "auth/oidc.h"
#include "server/authz.h"
#include "server/buf.h"
#include "server/config.h"
#include "server/dashboard.h"
#include "server/health.h"
#include "server/http.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/routes.h"
#include "server/static.h"
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

static struct oidc *provider; /* the OpenID provider, NULL when none is configured */

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

static int serve(const struct config *cfg, int64_t t0)
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
    int r = http_server_new(cfg, routes, n_routes, &server);
    if (r == 0) r = http_server_start(server, err);
    if (r < 0) {
        log_msg(LOG_ERROR, "cannot serve", "error", r == -ENOMEM ? "out of memory" : err);
        http_server_free(server);
        return 1;
    }
    struct buf line;
    log_begin(&line, LOG_INFO, "ready");
    log_str(&line, "version", KFDASH_VERSION);
    log_int(&line, "startup_us", monotonic_us() - t0);
    log_end(&line);

    int sig = 0;
    sigwait(&stop_signals, &sig);
    log_msg(LOG_INFO, "stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    http_server_quiesce(server);
    int64_t left = http_server_drain(server, cfg->shutdown_grace_s * 1000);
    log_begin(&line, LOG_INFO, "stopped");
    log_int(&line, "requests_cut_short", left);
    log_end(&line);
    http_server_free(server);
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
        printf("kfdash %s\n", KFDASH_VERSION);
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
    if (metrics_init(routes, n_routes) < 0 || health_register("web", web_ready) < 0) {
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
    if (authz_init(&cfg, provider) < 0) {
        fprintf(stderr, "kfdash: out of memory\n");
        status = 1;
        goto out;
    }
    status = serve(&cfg, t0);
out:
    authz_reset();
    oidc_free(provider);
    curl_global_cleanup();
    dashboard_reset();
    config_reset(&cfg);
    return status;
}
