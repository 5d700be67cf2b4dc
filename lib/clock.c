#include "lib/clock.h"

#include <stdio.h>
#include <string.h>

static int64_t monotonic(int64_t per_s)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * per_s + ts.tv_nsec / (1000000000 / per_s);
}

int64_t clock_ms(void)
{
    return monotonic(1000);
}

int64_t clock_us(void)
{
    return monotonic(1000000);
}

static int digits(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

time_t rfc3339_parse(const char *s)
{
    /* YYYY-MM-DDTHH:MM:SS then Z, or a fraction then Z */
    if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
        s[13] != ':' || s[16] != ':')
        return -1;
    struct tm tm = {
        .tm_year = digits(s, 4) - 1900,
        .tm_mon = digits(s + 5, 2) - 1,
        .tm_mday = digits(s + 8, 2),
        .tm_hour = digits(s + 11, 2),
        .tm_min = digits(s + 14, 2),
        .tm_sec = digits(s + 17, 2),
    };
    const char *rest = s + 19;
    if (*rest == '.') {
        rest++;
        size_t n = strspn(rest, "0123456789");
        if (n == 0) return -1;
        rest += n;
    }
    if ((*rest != 'Z' && *rest != 'z') || rest[1]) return -1;
    if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 ||
        tm.tm_sec > 60)
        return -1;
    return timegm(&tm);
}

void rfc3339_format(time_t t, char out[RFC3339_SIZE])
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, RFC3339_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, RFC3339_SIZE, "1970-01-01T00:00:00Z");
}
