/* authz: the external-authorizer answer; see authz.h. */
#include "server/gate/authz.h"

#include <stdio.h>
#include <string.h>

#include "auth/identity.h"
#include "auth/session.h"
#include "lib/buf.h"
#include "server/config.h"
#include "server/gate/gate.h"
#include "server/http/http.h"
#include "server/kfdash.h"

#define IDENTITY_HEADER_MAX 4096

static void allow(struct http_request *r, const struct identity *who)
{
    const struct config *cfg = kfdash_of(r)->cfg;
    struct buf user, groups;
    buf_init(&user, IDENTITY_HEADER_MAX);
    buf_init(&groups, IDENTITY_HEADER_MAX);
    buf_addf(&user, "%s%s", cfg->userid_prefix, who->email);
    for (size_t i = 0; i < who->n_groups; i++)
        buf_addf(&groups, "%s%s", groups.n ? "," : "", who->groups[i]);
    /* The groups header is always sent, so the gateway replaces whatever the client sent in it.
     * It cannot be empty (libmicrohttpd drops an empty header): a user in no group is in the
     * group every authenticated Kubernetes user is in. */
    if (!groups.n) buf_adds(&groups, "system:authenticated");
    if (buf_error(&user) || buf_error(&groups)) {
        gate_refuse(r, "/", false, "invalid_token", "identity too large for a header");
    } else {
        const char *headers[] = {cfg->userid_header,
                                 buf_str(&user),
                                 "X-Auth-Request-User",
                                 who->email,
                                 "X-Auth-Request-Email",
                                 who->email,
                                 "Cache-Control",
                                 "no-store",
                                 "kubeflow-groups",
                                 buf_str(&groups),
                                 "X-Auth-Request-Groups",
                                 buf_str(&groups),
                                 NULL};
        http_reply_static(r, 200, NULL, "", 0, headers);
    }
    buf_reset(&user);
    buf_reset(&groups);
}

/* The path the gateway is asking about: Envoy appends it to the check path (path_prefix),
 * nginx sends it in X-Original-URI. */
static void original_path(struct http_request *r, char *out, size_t size)
{
    const char *rest = http_request_param(r, "*");
    const char *nginx = http_request_header(r, "X-Original-URI");
    const char *query = http_request_raw_query(r);
    if (rest && *rest)
        snprintf(out, size, "/%s%s%s", rest, *query ? "?" : "", query);
    else if (nginx && session_rd_is_local(nginx))
        snprintf(out, size, "%s", nginx);
    else
        snprintf(out, size, "/");
}

static void checked(struct http_request *r, struct identity *who, const char *error,
                    const char *message)
{
    if (who) {
        allow(r, who);
        identity_free(who);
        return;
    }
    char path[SESSION_RD_MAX];
    original_path(r, path, sizeof(path));
    /* nginx's auth_request takes only 401 and 403 as a refusal (anything else is its error):
     * it turns 401 into the redirect itself, with error_page. */
    bool nginx = http_request_header(r, "X-Original-URI") != NULL;
    gate_refuse(r, path, !nginx, error, message);
}

void authz_check(struct http_request *r)
{
    gate_resolve(r, checked);
}
