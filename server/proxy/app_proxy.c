/* app_proxy: notebooks and Spark UIs through kfdash; see app_proxy.h. */
#include "server/proxy/app_proxy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/name.h"
#include "lib/buf.h"
#include "server/api/calls.h"
#include "server/cluster/kube.h"
#include "server/config.h"
#include "server/http/http.h"
#include "server/kfdash.h"
#include "server/proxy/proxy.h"

#define CONNECT_TIMEOUT_MS 5000
#define IDLE_TIMEOUT_S     600 /* kernels and terminals stay quiet this long, then close */
#define URL_MAX            2048
#define TARGET_MAX         (2 * 8192 + 2)

/* What follows /<kind>/<ns>/<name> in the encoded path: "" or "/...". */
static const char *after_prefix(const struct http_request *r)
{
    const char *p = http_request_raw_path(r);
    for (int slashes = 0; *p; p++)
        if (*p == '/' && ++slashes == 4) break;
    return p;
}

/* template with {namespace} and {name} filled in; -E2BIG when it does not fit. */
static int fill_template(const char *template, const char *ns, const char *name, char *out,
                         size_t size)
{
    struct buf b;
    buf_init(&b, size - 1);
    for (const char *t = template; *t;) {
        if (strncmp(t, "{namespace}", 11) == 0) {
            buf_adds(&b, ns);
            t += 11;
        } else if (strncmp(t, "{name}", 6) == 0) {
            buf_adds(&b, name);
            t += 6;
        } else {
            buf_add(&b, t++, 1);
        }
    }
    int e = buf_error(&b) ? -E2BIG : 0;
    if (!e) snprintf(out, size, "%s", buf_str(&b));
    buf_reset(&b);
    return e;
}

/* The route's namespace and name when the caller may open it; NULL after replying otherwise.
 * A bare /<kind>/<ns>/<name> is redirected to its directory first, as Kubeflow does. */
static const char *admitted_name(struct http_request *r, const char *kind, const char **ret_ns)
{
    const char *ns = api_namespace(r, NULL);
    if (!ns) return NULL;
    const char *name = http_request_param(r, "name");
    if (!k8s_name_is_dns_label(name)) {
        http_reply_error(r, 400, "not a valid name");
        return NULL;
    }
    if (!*after_prefix(r)) {
        const char *query = http_request_raw_query(r);
        char location[TARGET_MAX];
        snprintf(location, sizeof(location), "/%s/%s/%s/%s%s", kind, ns, name, *query ? "?" : "",
                 query);
        http_reply_redirect(r, location, NULL);
        return NULL;
    }
    *ret_ns = ns;
    return name;
}

void app_proxy_notebook(struct http_request *r)
{
    const struct config *cfg = kfdash_of(r)->cfg;
    const char *ns;
    const char *name = admitted_name(r, "notebook", &ns);
    if (!name) return;
    char base[URL_MAX];
    if (fill_template(cfg->notebook_url_template, ns, name, base, sizeof(base)) < 0) {
        http_reply_error(r, 414, "notebook address too long");
        return;
    }
    /* Notebook servers serve under NB_PREFIX = /notebook/<ns>/<name>: the path goes as it is. */
    char path[TARGET_MAX];
    const char *query = http_request_raw_query(r);
    snprintf(path, sizeof(path), "%s%s%s", http_request_raw_path(r), *query ? "?" : "", query);
    struct proxy_target target = {.base_url = base,
                                  .keep_host = true, /* Jupyter checks Origin against Host */
                                  .connect_timeout_ms = CONNECT_TIMEOUT_MS,
                                  .idle_timeout_s = IDLE_TIMEOUT_S,
                                  .max_body_bytes = cfg->notebook_max_upload_bytes};
    proxy_forward(r, &target, path);
}

void app_proxy_spark(struct http_request *r)
{
    const struct config *cfg = kfdash_of(r)->cfg;
    const char *ns;
    const char *name = admitted_name(r, "spark", &ns);
    if (!name) return;
    char base[URL_MAX];
    if (fill_template(cfg->spark_ui_url_template, ns, name, base, sizeof(base)) < 0) {
        http_reply_error(r, 414, "Spark UI address too long");
        return;
    }
    /* The driver UI serves at /: strip the prefix, tell it where it is shown. */
    char prefix[512], context[600], path[TARGET_MAX];
    snprintf(prefix, sizeof(prefix), "/spark/%s/%s", ns, name);
    snprintf(context, sizeof(context), "X-Forwarded-Context: %s", prefix);
    const char *query = http_request_raw_query(r);
    snprintf(path, sizeof(path), "%s%s%s", after_prefix(r), *query ? "?" : "", query);
    struct proxy_target target = {.base_url = base,
                                  .connect_timeout_ms = CONNECT_TIMEOUT_MS,
                                  .idle_timeout_s = IDLE_TIMEOUT_S,
                                  .max_body_bytes = cfg->max_body_bytes,
                                  .location_prefix = prefix,
                                  .extra_header = context};
    proxy_forward(r, &target, path);
}
