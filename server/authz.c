/* authz: the external-authorizer answer; see authz.h. */
#include "server/authz.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/oidc.h"
#include "server/buf.h"
#include "server/http.h"

#define IDENTITY_HEADER_MAX 4096

static const struct config *cfg; /* borrowed for the process life */
static struct oidc *provider;    /* borrowed; NULL when none is configured */

void authz_init(const struct config *c, struct oidc *o)
{
    cfg = c;
    provider = o;
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

static void allow(struct http_request *r, const struct token_claims *who)
{
    struct buf user, groups;
    buf_init(&user, IDENTITY_HEADER_MAX);
    buf_init(&groups, IDENTITY_HEADER_MAX);
    buf_addf(&user, "%s%s", cfg->userid_prefix, who->email);
    for (size_t i = 0; i < who->n_groups; i++)
        if (header_safe(who->groups[i]))
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

void authz_check(struct http_request *r)
{
    const char *auth = http_request_header(r, "Authorization");
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0) {
        refuse(r, NULL, "no credentials: send Authorization: Bearer <ID token>");
        return;
    }
    if (!provider) {
        refuse(r, "invalid_token", "no identity provider is configured (oidc.issuer)");
        return;
    }
    struct token_claims who = {0};
    int e = oidc_verify(provider, auth + 7, &who);
    if (e == -EAGAIN) {
        refuse(r, "invalid_token", "the identity provider's keys are not available yet");
        return;
    }
    if (e < 0) {
        refuse(r, "invalid_token",
               e == -ETIME ? "token expired or not yet valid" : "invalid token");
        return;
    }
    if (!who.email || !header_safe(who.email))
        refuse(r, "invalid_token", "the token carries no usable email");
    else if (!who.email_verified)
        refuse(r, "invalid_token", "the token's email is not verified");
    else
        allow(r, &who);
    token_claims_reset(&who);
}
