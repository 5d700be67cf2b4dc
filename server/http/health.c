/* health: liveness, readiness and metrics routes; see health.h. */
#include "server/http/health.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/buf.h"
#include "server/gate/fairness.h"
#include "server/http/http.h"
#include "server/http/metrics.h"
#include "server/kfdash.h"
#include "version.h"

#define HEALTH_MAX_CHECKS 16
#define HEALTH_BODY_MAX   (64 << 10)
#define METRICS_BODY_MAX  (4 << 20)

struct health {
    struct {
        const char *name;      /* shown in /readyz */
        health_check_fn check; /* answers from memory */
        void *ctx;             /* for check */
    } checks[HEALTH_MAX_CHECKS];
    size_t n_checks;
};

int health_new(struct health **ret)
{
    *ret = calloc(1, sizeof(**ret));
    return *ret ? 0 : -ENOMEM;
}

void health_free(struct health *h)
{
    free(h);
}

int health_register(struct health *h, const char *name, health_check_fn check, void *ctx)
{
    if (h->n_checks == HEALTH_MAX_CHECKS) return -E2BIG;
    h->checks[h->n_checks].name = name;
    h->checks[h->n_checks].check = check;
    h->checks[h->n_checks].ctx = ctx;
    h->n_checks++;
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
    const struct health *h = kfdash_of(r)->health;
    for (size_t i = 0; h && i < h->n_checks; i++) {
        char detail[256] = "";
        bool ready = h->checks[i].check(h->checks[i].ctx, detail, sizeof(detail));
        all = all && ready;
        add_check(&b, false, h->checks[i].name, ready, detail);
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
    metrics_render(http_server_metrics(http_request_server(r)), &b, KFDASH_VERSION);
    const struct kfdash *k = kfdash_of(r);
    if (k && k->fairness) fairness_render(k->fairness, &b);
    size_t len;
    char *body = buf_take(&b, &len);
    if (!body) {
        http_reply_error(r, 500, "metrics too large");
        return;
    }
    const char *headers[] = {"Cache-Control", "no-store", NULL};
    http_reply_take(r, 200, "text/plain; version=0.0.4; charset=utf-8", body, len, headers);
}
