/* reply: the replies every handler shares, built on http.h's primitives (so a unit test's fake
 * request gets the same bytes as libmicrohttpd would send). */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "server/http/http.h"

#define REDIRECT_HEADERS_MAX 32

void http_reply_error_with(struct http_request *r, unsigned status, const char *message,
                           const char *const *headers)
{
    struct buf b;
    buf_init(&b, 1024);
    buf_adds(&b, "{\"error\":");
    buf_add_json_string(&b, message);
    buf_adds(&b, "}");
    size_t len;
    char *body = buf_take(&b, &len);
    if (!body) {
        static const char fallback[] = "{\"error\":\"internal error\"}";
        http_reply_static(r, status, "application/json", fallback, sizeof(fallback) - 1, headers);
        return;
    }
    http_reply_take(r, status, "application/json", body, len, headers);
}

void http_reply_json(struct http_request *r, unsigned status, cJSON *j)
{
    char *body = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!body) {
        http_reply_error(r, 500, "out of memory");
        return;
    }
    const char *headers[] = {"Cache-Control", "no-store", NULL};
    http_reply_take(r, status, "application/json", body, strlen(body), headers);
}

void http_reply_error(struct http_request *r, unsigned status, const char *message)
{
    http_reply_error_with(r, status, message, NULL);
}

void http_reply_redirect(struct http_request *r, const char *location, const char *const *headers)
{
    const char *extra[2 * REDIRECT_HEADERS_MAX + 4] = {"Location", location, "Cache-Control",
                                                       "no-store"};
    size_t n = 4;
    for (size_t i = 0; headers && headers[i] && n + 2 < sizeof(extra) / sizeof(extra[0]); i += 2) {
        extra[n++] = headers[i];
        extra[n++] = headers[i + 1];
    }
    extra[n] = NULL;
    http_reply_static(r, 302, NULL, "", 0, extra);
}
