/*
 * auth/seal: values sealed for a round trip through the browser (session and login cookies):
 * AES-256-GCM, so the client can neither read nor alter them.
 *
 * Keys come from a file or Secret, one per line; the first seals, every one opens, so keys
 * rotate without logging anybody out: add a new key first, later drop the old one. A sealed
 * value names its key by fingerprint. A purpose string is bound into each seal, so a value
 * sealed for one use (a login attempt) is refused for another (a session). Expiry is the
 * caller's: put it inside the value. A key set is immutable: share it between threads.
 */
#pragma once

#include <stddef.h>

struct seal_keys;

#define SEAL_MAX_KEYS 8
/* Largest value sealed: a sealed value must fit a cookie under 1 KB. */
#define SEAL_MAX_PLAIN 700
/* Longest sealed text: base64url of fingerprint, nonce, ciphertext and tag. */
#define SEAL_MAX_TEXT BASE64URL_SIZE(4 + 12 + SEAL_MAX_PLAIN + 16)

#include "auth/base64url.h"

/*
 * Parses keys: lines of 64 hex digits (`openssl rand -hex 32`), '#' comments and blank lines
 * ignored. -EINVAL naming the line in err when one is not a key, or there is none.
 */
int seal_keys_parse(const char *text, struct seal_keys **ret, char err[128]);
void seal_keys_free(struct seal_keys *k);

/* Seals plain with the first key. *ret is a NUL-terminated base64url heap string. */
int seal(const struct seal_keys *k, const char *purpose, const void *plain, size_t len, char **ret);
/*
 * Opens text. 0 with *ret (heap, NUL-terminated for convenience) and *ret_len; -ENOKEY when
 * sealed with a key the set no longer has; -EBADMSG when altered, malformed or sealed for
 * another purpose.
 */
int unseal(const struct seal_keys *k, const char *purpose, const char *text, char **ret,
           size_t *ret_len);
