/* sidecar: see sidecar.h. */
#include "server/proxy/sidecar.h"

#include <stdio.h>
#include <string.h>

#include "server/config.h"
#include "server/http/http.h"
#include "server/kfdash.h"
#include "server/proxy/proxy.h"

#define CONNECT_TIMEOUT_MS 5000
#define IDLE_TIMEOUT_S     300 /* long polls and streams of the application go on this long */
#define TARGET_MAX         (2 * 8192 + 2)

void sidecar_forward(struct http_request *r)
{
    const struct config *cfg = kfdash_of(r)->cfg;
    /* The application may check the Origin of its own pages against Host: keep the client's. */
    const struct proxy_target target = {.base_url = cfg->upstream,
                                        .keep_host = true,
                                        .connect_timeout_ms = CONNECT_TIMEOUT_MS,
                                        .idle_timeout_s = IDLE_TIMEOUT_S,
                                        .max_body_bytes = cfg->max_body_bytes};
    char path[TARGET_MAX];
    const char *query = http_request_raw_query(r);
    snprintf(path, sizeof(path), "%s%s%s", http_request_raw_path(r), *query ? "?" : "", query);
    proxy_forward(r, &target, path);
}
