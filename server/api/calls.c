/* calls: see calls.h. */
#include "server/api/calls.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "k8s/guard.h"
#include "lib/log.h"
#include "lib/upstream.h"
#include "server/cluster/kube.h"
#include "server/http/park.h"
#include "server/kfdash.h"

void api_kube_call_as(struct http_request *r, const struct identity *as, const char *method,
                      const char *path, const char *body, struct upstream_result *answer,
                      http_next_fn next)
{
    struct kube *k = kfdash_of(r)->kube;
    struct kube_call *c = calloc(1, sizeof(*c));
    int e = c ? kube_user_call(k, c, as, method, path, body) : -ENOMEM;
    if (e == 0) {
        park_call(kfdash_of(r)->engine, r, &c->call, answer, next); /* it copies the call */
    } else if (e == -EPERM) {
        char message[K8S_GUARD_WHY_MAX + 64];
        snprintf(message, sizeof(message), "kfdash will not do that: %s", c->refusal);
        http_reply_error(r, 403, message);
    } else {
        http_reply_error(r, e == -ENOMEM ? 500 : 503,
                         e == -ENOMEM ? "out of memory" : "the Kubernetes API is not available");
    }
    if (c) kube_call_reset(c);
    free(c);
}

void api_kube_call(struct http_request *r, const char *method, const char *path, const char *body,
                   struct upstream_result *answer, http_next_fn next)
{
    api_kube_call_as(r, NULL, method, path, body, answer, next);
}

void api_kube_failure(struct http_request *r, const struct upstream_result *a, const char *doing)
{
    char message[512];
    /* The detail of a failed call names the API server's address: the log gets it, not the
     * user. */
    if (a->error) log_msg(LOG_WARN, "the Kubernetes API call failed", "detail", a->detail);
    cJSON *j = a->error ? NULL : cJSON_ParseWithLength(a->body, a->len);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
    snprintf(message, sizeof(message), "%s: %s", doing,
             cJSON_IsString(m) ? m->valuestring
             : a->error        ? upstream_error_text(a->error)
                               : "the API server refused");
    cJSON_Delete(j);
    bool client_side = !a->error && a->status >= 400 && a->status < 500;
    /* No answer in time is a gateway timeout, as a proxy says it; no answer at all, or a
     * failure of the API server's own, a bad gateway. */
    unsigned status = client_side                     ? (unsigned)a->status
                      : a->error == -ETIMEDOUT        ? 504
                      : !a->error && a->status == 504 ? 504
                                                      : 502;
    http_reply_error(r, status, message);
}

const char *api_namespace(struct http_request *r, const struct k8s_snapshot **ret_s)
{
    const struct k8s_snapshot *s = kube_snapshot(kfdash_of(r)->kube);
    if (!s) {
        http_reply_error(r, 503, "no Kubernetes API server is configured (kube.api)");
        return NULL;
    }
    if (ret_s) *ret_s = s;
    return http_request_param(r, "namespace"); /* the gate checked it and the caller's role */
}
