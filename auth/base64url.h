/*
 * auth/base64url: RFC 4648 §5 encoding without padding, as JWTs, PKCE and cookies use it.
 * Pure functions, thread-safe.
 */
#pragma once

#include <stddef.h>

/* Bytes needed to encode len bytes, terminator included. */
#define BASE64URL_SIZE(len) (((len) + 2) / 3 * 4 + 1)

/* Encodes into out (at least BASE64URL_SIZE(len) bytes). Returns the length or -E2BIG. */
int base64url_encode(const void *in, size_t len, char *out, size_t out_size);
/* Decodes (padding optional, standard alphabet refused). Returns the length, -EINVAL or -E2BIG. */
int base64url_decode(const char *in, size_t len, unsigned char *out, size_t out_size);
