/*
 * auth/identity: who a request is, whichever way it proved it. Owned by the request once the
 * gate has found it; nothing downstream reads a client's identity header instead.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* How the client proved who it is. */
enum identity_source {
    IDENTITY_SESSION,         /* the session cookie of a browser login */
    IDENTITY_ID_TOKEN,        /* Authorization: Bearer <Dex ID token> */
    IDENTITY_SERVICE_ACCOUNT, /* Authorization: Bearer <Kubernetes service-account token> */
    IDENTITY_PERSONAL_TOKEN,  /* Authorization: Bearer kfp_... */
    IDENTITY_GATEWAY,         /* a trusted gateway's USERID_HEADER */
};

#define IDENTITY_MAX_GROUPS 256

struct identity {
    enum identity_source source; /* how it was proved */
    char *email;                 /* the user name: an email, or system:serviceaccount:ns:name */
    char **groups;               /* group names */
    size_t n_groups;             /* entries in groups */
    char *session_id;            /* IDENTITY_SESSION: the session, for logout; else NULL */
    char *csrf;                  /* IDENTITY_SESSION: the token state changes must echo */
    /* When the user last proved who they are at the provider: the session's sign-in at Dex,
     * an ID token's issue time, a personal token's making; 0 when unknown (gateway, reviews). */
    time_t auth_time;
};

/* True for names Kubernetes keeps for itself ("system:..."): kfdash impersonates the identities
 * it proves, so a provider's or gateway's claim to such a user or group would be the cluster's
 * own. Only a service account reviewed by the API server (IDENTITY_SERVICE_ACCOUNT) has them.
 * Names with surrounding whitespace count too: HTTP trims it, so " system:masters" would reach
 * the API server as "system:masters". */
bool identity_name_is_reserved(const char *name);
/* A user name that can travel in a header line (Impersonate-User, USERID_HEADER): not empty,
 * no control character. identity_new refuses any other email. */
bool identity_name_is_safe(const char *name);

/* A new identity with copies of email and groups (those that could not travel in a
 * comma-separated header, and reserved groups unless source is IDENTITY_SERVICE_ACCOUNT, are
 * left out); NULL when out of memory or when email is not identity_name_is_safe. */
struct identity *identity_new(enum identity_source source, const char *email,
                              const char *const *groups, size_t n_groups);
void identity_free(struct identity *who);
/* "session", "id-token", "service-account", "personal-token", "gateway". */
const char *identity_source_name(enum identity_source source);
/* Groups joined with ',' (heap); NULL when out of memory. */
char *identity_groups_joined(const struct identity *who);
