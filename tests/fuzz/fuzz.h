/*
 * What the fuzz targets share: the fuzzer's bytes cut into C strings, and a check that fails the
 * run (abort: libFuzzer saves the input) when a parser breaks a promise its header makes.
 *
 * Each string is a heap copy of exactly its bytes and a NUL, so AddressSanitizer sees a read one
 * byte past what a parser was given.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libFuzzer's entry points: each target defines the first, and the second when it prepares
 * something once (keys, a scratch file). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Fails the run with the broken promise named. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__, __LINE__, #cond);             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* n bytes as a heap C string (a NUL among them ends it early, as for any C caller). */
static inline char *fuzz_strndup(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s) abort();
    if (n) memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Up to max fields of data, cut at sep; the last one takes the rest. Fields not in data are "".
 * Free each with free(). */
static inline void fuzz_fields(const uint8_t *data, size_t size, char sep, char **out, size_t max)
{
    size_t at = 0;
    for (size_t i = 0; i < max; i++) {
        const uint8_t *end = i + 1 < max ? memchr(data + at, sep, size - at) : NULL;
        size_t n = end ? (size_t)(end - (data + at)) : size - at;
        out[i] = fuzz_strndup(data + at, n);
        at += n + (end ? 1 : 0);
    }
}

static inline void fuzz_fields_free(char **fields, size_t n)
{
    for (size_t i = 0; i < n; i++) free(fields[i]);
}
