/* limits: refusal rules for oversized or untimely requests; see limits.h. */
#include "server/http/limits.h"

#include <errno.h>
#include <stdlib.h>

static int refuse(struct limits_refusal *ret, unsigned status, const char *message, int err)
{
    *ret = (struct limits_refusal){status, message};
    return err;
}

int limits_check(const struct config *c, const struct limits_request *req,
                 struct limits_refusal *ret)
{
    if (req->target_bytes > (size_t)c->max_url_bytes)
        return refuse(ret, 414, "request target too long", -E2BIG);
    if (req->header_bytes > (size_t)c->max_header_bytes || req->header_count > LIMITS_MAX_HEADERS)
        return refuse(ret, 431, "request headers too large", -E2BIG);
    if (req->open_connections > c->max_connections)
        return refuse(ret, 503, "too many open connections, try again", -EBUSY);
    if (req->content_length) {
        const char *s = req->content_length;
        char *end;
        errno = 0;
        unsigned long long declared = strtoull(s, &end, 10);
        if (*s < '0' || *s > '9' || *end)
            return refuse(ret, 400, "malformed Content-Length", -EINVAL);
        if (errno || declared > (unsigned long long)c->max_body_bytes)
            return refuse(ret, 413, "request body too large", -E2BIG);
    }
    return 0;
}
