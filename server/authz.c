/* authz: the external-authorizer answer; see authz.h. */
#include "server/authz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/oidc.h"
#include "auth/peers.h"
#include "server/buf.h"
#include "server/http.h"

#define IDENTITY_HEADER_MAX 4096
#define GROUPS_MAX          256

static const struct config *cfg;    /* borrowed for the process life */
static struct oidc *provider;       /* borrowed; NULL when none is configured */
static struct auth_peers *gateways; /* trusted to name the user in USERID_HEADER */

/* Who a request is, whichever way it proved it. Strings borrowed for the request. */
struct identity {
    const char *email;
    const char *const *groups;
    size_t n_groups;
};

int authz_init(const struct config *c, struct oidc *o)
{
    cfg = c;
    provider = o;
    return auth_peers_parse(c->trusted_header_peers, &gateways);
}

void authz_reset(void)
{
    auth_peers_free(gateways);
    gateways = NULL;
}

static void refuse(struct http_request *r, const char *error, const char *message)
{
    char challenge[160];
    if (error)
        snprintf(challenge, sizeof(challenge), "Bearer realm=\"kfdash\", error=\"%s\"", error);
    else
        snprintf(challenge, sizeof(challenge), "Bearer realm=\"kfdash\"");
    const char *headers[] = {"WWW-Authenticate", challenge, "Cache-Control", "no-store", NULL};
    http_reply_error_with(r, 401, message, headers);
}

/* A value that may go into a header as it is: printable, no separators that split it. */
static bool header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == ',') return false;
    return true;
}

static void allow(struct http_request *r, const struct identity *who)
{
    struct buf user, groups;
    buf_init(&user, IDENTITY_HEADER_MAX);
    buf_init(&groups, IDENTITY_HEADER_MAX);
    buf_addf(&user, "%s%s", cfg->userid_prefix, who->email);
    for (size_t i = 0; i < who->n_groups; i++)
        if (header_safe(who->groups[i]) && *who->groups[i])
            buf_addf(&groups, "%s%s", groups.n ? "," : "", who->groups[i]);
    if (buf_error(&user) || buf_error(&groups)) {
        buf_reset(&user);
        buf_reset(&groups);
        refuse(r, "invalid_token", "identity too large for a header");
        return;
    }
    /* Groups headers only when there are groups: an empty header is not sent at all. */
    bool has_groups = groups.n > 0;
    const char *headers[] = {cfg->userid_header,
                             buf_str(&user),
                             "X-Auth-Request-User",
                             who->email,
                             "X-Auth-Request-Email",
                             who->email,
                             "Cache-Control",
                             "no-store",
                             has_groups ? "kubeflow-groups" : NULL,
                             buf_str(&groups),
                             "X-Auth-Request-Groups",
                             buf_str(&groups),
                             NULL};
    http_reply_static(r, 200, NULL, "", 0, headers);
    buf_reset(&user);
    buf_reset(&groups);
}

static void check_bearer(struct http_request *r, const char *token)
{
    if (!provider) {
        refuse(r, "invalid_token", "no identity provider is configured (oidc.issuer)");
        return;
    }
    struct token_claims claims = {0};
    int e = oidc_verify(provider, token, &claims);
    if (e == -EAGAIN)
        refuse(r, "invalid_token", "the identity provider's keys are not available yet");
    else if (e < 0)
        refuse(r, "invalid_token",
               e == -ETIME ? "token expired or not yet valid" : "invalid token");
    else if (!claims.email || !header_safe(claims.email))
        refuse(r, "invalid_token", "the token carries no usable email");
    else if (!claims.email_verified)
        refuse(r, "invalid_token", "the token's email is not verified");
    else
        allow(r, &(struct identity){claims.email, (const char *const *)claims.groups,
                                    claims.n_groups});
    token_claims_reset(&claims);
}

/* Behind Kubeflow's oauth2-proxy and Istio: the gateway names the user; we believe only it. */
static void check_trusted_header(struct http_request *r)
{
    const char *user = http_request_trusted_header(r, cfg->userid_header);
    size_t prefix = strlen(cfg->userid_prefix);
    if (!user || strncmp(user, cfg->userid_prefix, prefix) != 0 || !user[prefix] ||
        !header_safe(user + prefix)) {
        refuse(r, NULL, "the gateway named no user");
        return;
    }
    const char *sent = http_request_trusted_header(r, "kubeflow-groups");
    char *copy = strdup(sent ? sent : "");
    const char *groups[GROUPS_MAX];
    size_t n = 0;
    char *save = NULL;
    for (char *g = copy ? strtok_r(copy, ",", &save) : NULL; g && n < GROUPS_MAX;
         g = strtok_r(NULL, ",", &save)) {
        while (*g == ' ') g++;
        groups[n++] = g;
    }
    allow(r, &(struct identity){user + prefix, groups, n});
    free(copy);
}

void authz_check(struct http_request *r)
{
    const char *auth = http_request_header(r, "Authorization");
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
        check_bearer(r, auth + 7);
    else if (!auth_peers_empty(gateways) && auth_peers_contains(gateways, http_request_peer(r)))
        check_trusted_header(r);
    else
        refuse(r, NULL, "no credentials: send Authorization: Bearer <ID token>");
}
