/* health: liveness, readiness and metrics routes; see health.h. */
#include "server/http/health.h"

#include <errno.h>
#include <stdio.h>

#include "lib/buf.h"
#include "server/http/http.h"
#include "server/http/metrics.h"
#include "version.h"

#define HEALTH_MAX_CHECKS 16
#define HEALTH_BODY_MAX   (64 << 10)
#define METRICS_BODY_MAX  (4 << 20)

static struct {
    const char *name;      /* shown in /readyz */
    health_check_fn check; /* answers from memory */
} checks[HEALTH_MAX_CHECKS];
static size_t n_checks;

int health_register(const char *name, health_check_fn check)
{
    if (n_checks == HEALTH_MAX_CHECKS) return -E2BIG;
    checks[n_checks].name = name;
    checks[n_checks].check = check;
    n_checks++;
    return 0;
}

void health_healthz(struct http_request *r)
{
    static const char ok[] = "{\"status\":\"ok\"}";
    const char *headers[] = {"Cache-Control", "no-store", NULL};
    http_reply_static(r, 200, "application/json", ok, sizeof(ok) - 1, headers);
}

static void add_check(struct buf *b, bool first, const char *name, bool ready, const char *detail)
{
    buf_adds(b, first ? "{\"name\":" : ",{\"name\":");
    buf_add_json_string(b, name);
    buf_addf(b, ",\"ready\":%s,\"detail\":", ready ? "true" : "false");
    buf_add_json_string(b, detail);
    buf_adds(b, "}");
}

void health_readyz(struct http_request *r)
{
    struct buf b;
    buf_init(&b, HEALTH_BODY_MAX);
    buf_adds(&b, "{\"checks\":[");
    bool draining = http_server_draining(http_request_server(r));
    bool all = !draining;
    add_check(&b, true, "server", !draining, draining ? "shutting down" : "accepting requests");
    for (size_t i = 0; i < n_checks; i++) {
        char detail[256] = "";
        bool ready = checks[i].check(detail, sizeof(detail));
        all = all && ready;
        add_check(&b, false, checks[i].name, ready, detail);
    }
    buf_addf(&b, "],\"ready\":%s}", all ? "true" : "false");
    size_t len;
    char *body = buf_take(&b, &len);
    if (!body) {
        http_reply_error(r, 500, "readiness report too large");
        return;
    }
    const char *headers[] = {"Cache-Control", "no-store", NULL};
    http_reply_take(r, all ? 200 : 503, "application/json", body, len, headers);
}

void health_metrics(struct http_request *r)
{
    struct buf b;
    buf_init(&b, METRICS_BODY_MAX);
    metrics_render(&b, KFDASH_VERSION);
    size_t len;
    char *body = buf_take(&b, &len);
    if (!body) {
        http_reply_error(r, 500, "metrics too large");
        return;
    }
    const char *headers[] = {"Cache-Control", "no-store", NULL};
    http_reply_take(r, 200, "text/plain; version=0.0.4; charset=utf-8", body, len, headers);
}
