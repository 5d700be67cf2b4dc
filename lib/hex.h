/*
 * hex: bytes as lowercase hexadecimal digits and back. Pure, thread-safe.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The value of one hex digit (either case); -1 when c is none. */
int hex_digit(char c);
/* n bytes as 2n digits and a NUL: out holds 2n + 1. */
void hex_encode(const void *in, size_t n, char *out);
/* Exactly 2n digits (either case) into n bytes: 0, or -EINVAL (out then undefined). */
int hex_decode(const char *s, size_t len, void *out, size_t n);
/* s is 2*min..2*max lowercase digits, nothing else. */
bool hex_is_lower(const char *s, size_t min_digits, size_t max_digits);
/* n random bytes (the kernel's) as 2n digits: out holds 2n + 1. 0, or -EIO. */
int hex_random(char *out, size_t n);
