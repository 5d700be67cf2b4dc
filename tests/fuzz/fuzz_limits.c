/*
 * Fuzzes server/limits: limits_check on what a client's request head measured, against limits
 * set within the ranges config_load allows. The input is 8 little-endian 32-bit numbers (target
 * bytes, header bytes, header count, open connections, then max URL, header and body bytes and
 * max connections, each folded into its setting's range), then the Content-Length header as
 * sent (absent when the input ends there).
 */
#include <errno.h>

#include "fuzz.h"
#include "server/config.h"
#include "server/http/limits.h"

static uint32_t number(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* v folded into [min, max]. */
static long within(uint32_t v, long min, long max)
{
    return min + (long)(v % (uint32_t)(max - min + 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 32) return 0;
    struct config c = {
        .max_url_bytes = within(number(data + 16), 256, 65536),
        .max_header_bytes = within(number(data + 20), 1024, 1 << 20),
        .max_body_bytes = within(number(data + 24), 0, 1 << 30),
        .max_connections = within(number(data + 28), 1, 1000000),
    };
    char *length = size > 32 ? fuzz_strndup(data + 32, size - 32) : NULL;
    struct limits_request req = {
        .target_bytes = number(data),
        .header_bytes = number(data + 4),
        .header_count = number(data + 8) % 512,
        .open_connections = number(data + 12),
        .content_length = length,
    };
    struct limits_refusal why = {0};
    int r = limits_check(&c, &req, &why);
    FUZZ_CHECK(r == 0 || r == -E2BIG || r == -EBUSY || r == -EINVAL);
    if (r < 0) FUZZ_CHECK(why.status >= 400 && why.status <= 503 && why.message && *why.message);
    if (r == -EBUSY) FUZZ_CHECK(why.status == 503 && req.open_connections > c.max_connections);
    if (r == 0) {
        FUZZ_CHECK(req.target_bytes <= (size_t)c.max_url_bytes);
        FUZZ_CHECK(req.header_bytes <= (size_t)c.max_header_bytes);
        FUZZ_CHECK(req.header_count <= LIMITS_MAX_HEADERS);
        /* An accepted length is digits only, and at most the maximum. */
        if (length) {
            FUZZ_CHECK(*length && strspn(length, "0123456789") == strlen(length));
            FUZZ_CHECK(strtoull(length, NULL, 10) <= (unsigned long long)c.max_body_bytes);
        }
    }
    free(length);
    return 0;
}
