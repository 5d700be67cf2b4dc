#include "lib/hex.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void hex_encode(const void *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = in;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

int hex_decode(const char *s, size_t len, void *out, size_t n)
{
    if (len != 2 * n) return -EINVAL;
    unsigned char *o = out;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0) return -EINVAL;
        o[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

bool hex_is_lower(const char *s, size_t min_digits, size_t max_digits)
{
    size_t n = strspn(s, "0123456789abcdef");
    return !s[n] && n >= min_digits && n <= max_digits;
}

int hex_random(char *out, size_t n)
{
    unsigned char raw[64];
    if (n > sizeof(raw)) return -EINVAL;
    if (getrandom(raw, n, 0) != (ssize_t)n) return -EIO;
    hex_encode(raw, n, out);
    return 0;
}
