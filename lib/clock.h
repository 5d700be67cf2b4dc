/*
 * clock: the two clocks kfdash reads, and RFC 3339 times (what Kubernetes and logs write).
 *
 * Monotonic time measures durations and ages of cached entries (never jumps with the wall
 * clock); wall time (time(NULL)) is for what is compared with other machines' times. Pure,
 * thread-safe.
 */
#pragma once

#include <stdint.h>
#include <time.h>

/* Monotonic time since an arbitrary start. */
int64_t clock_ms(void);
int64_t clock_us(void);

/* "2024-05-01T10:00:00Z" and the NUL, at most. */
#define RFC3339_SIZE 21

/* Seconds since the epoch of an RFC 3339 UTC time ("2024-05-01T10:00:00Z", a fraction of a
 * second allowed); -1 when it is not one. */
time_t rfc3339_parse(const char *s);
/* t as "2024-05-01T10:00:00Z". */
void rfc3339_format(time_t t, char out[RFC3339_SIZE]);
