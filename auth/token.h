/*
 * auth/token: verification of the ID tokens (JWTs) an OpenID provider such as Dex signs.
 *
 * Only RS256 is accepted, decided from the token header before libjwt sees the token: libjwt
 * 1.10 trusts the header's `alg`, so an HS256 token "signed" with the public key as the HMAC
 * secret, or an unsigned `none` token, would otherwise pass. Then the signature (libjwt, with the
 * key named by `kid`), issuer, audience, times and nonce. Pure apart from libjwt; thread-safe.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "auth/jwks.h"

/* Largest token accepted. */
#define TOKEN_MAX_BYTES 16384
/* Most groups kept from the groups claim. */
#define TOKEN_MAX_GROUPS 256
/* The most clock skew tolerated between us and the provider. */
#define TOKEN_MAX_LEEWAY_S 60

/* What a valid token must say. */
struct token_expect {
    const char *issuer;   /* exact `iss` */
    const char *audience; /* our client id: in `aud`; `azp` when `aud` has several */
    const char *nonce;    /* exact `nonce`, or NULL when not checked (bearer use) */
    time_t now;           /* the time to check exp, nbf and iat against */
    int leeway_s;         /* clock skew allowed, at most TOKEN_MAX_LEEWAY_S */
};

/* Who the token says the user is. */
struct token_claims {
    char *subject;       /* `sub` */
    char *email;         /* `email`, NULL if absent */
    bool email_verified; /* `email_verified` */
    char *name;          /* `name` or `preferred_username`, NULL if absent */
    char **groups;       /* `groups` */
    size_t n_groups;     /* entries in groups */
    time_t expires;      /* `exp` */
    time_t issued;       /* `iat` */
};

/*
 * Verifies token against keys and expect. 0 with *ret filled (free with token_claims_reset);
 * -ENOKEY when the header names a kid the set lacks (refetch the keys, then retry once);
 * -EPROTO for a malformed token or a refused algorithm; -EBADMSG for a bad signature;
 * -EACCES when a claim does not match; -ETIME when expired or not yet valid; -E2BIG when too
 * large. On failure *ret is untouched.
 */
int token_verify(const struct jwks *keys, const char *token, const struct token_expect *expect,
                 struct token_claims *ret);
void token_claims_reset(struct token_claims *c);
/* The `iss` a JWT claims, unverified: only to pick who should verify it. -EPROTO when token is
 * not a JWT. */
int token_peek_issuer(const char *token, char *out, size_t size);
/* A deep copy; 0 or -ENOMEM with *to untouched. */
int token_claims_copy(const struct token_claims *from, struct token_claims *to);
