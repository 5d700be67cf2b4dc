/*
 * Fuzzes server/router over the real route tables (server/routes.c): those routes_assemble
 * makes for path mode and for apps mode (kfdash's own origin, then the application hosts), and
 * the sidecar table. The input is "METHOD path" as a request line; the path is normalised first
 * as the server does, and also handed over as it came. Every table ends in a catch-all, so
 * every path matches some pattern; parameters point into the path.
 */
#include <errno.h>

#include "fuzz.h"
#include "server/http/path.h"
#include "server/routes.h"

static void match(const struct route *table, size_t n, const char *method, const char *path)
{
    struct route_match m;
    char allow[64];
    int r = router_match(table, n, method, path, &m, allow, sizeof(allow));
    FUZZ_CHECK(r == 0 || r == -EPERM); /* the catch-all matches any path */
    FUZZ_CHECK(memchr(allow, '\0', sizeof(allow)));
    if (r == -EPERM) FUZZ_CHECK(allow[0] != '\0');
    if (r < 0) return;
    FUZZ_CHECK(m.route >= table && m.route < table + n);
    FUZZ_CHECK(!m.route->method || strcmp(m.route->method, method) == 0);
    FUZZ_CHECK(m.n_params <= ROUTER_MAX_PARAMS);
    size_t len = strlen(path);
    for (size_t i = 0; i < m.n_params; i++) {
        const struct route_param *p = &m.params[i];
        FUZZ_CHECK(p->value >= path && p->value + p->value_len <= path + len);
        FUZZ_CHECK(!memchr(p->value, '/', p->value_len) || (p->name_len == 1 && p->name[0] == '*'));
        FUZZ_CHECK(p->name > m.route->pattern &&
                   p->name + p->name_len <= m.route->pattern + strlen(m.route->pattern));
    }
}

/* The tables: path mode; apps mode's own origin and its application hosts; sidecar mode. */
static struct {
    const struct route *routes;
    size_t n;
} tables[4];
static struct route *path_mode, *apps_mode;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    size_t n_own, n;
    FUZZ_CHECK(routes_assemble(false, &path_mode, &n_own, &n) == 0 && n_own == n);
    tables[0].routes = path_mode;
    tables[0].n = n;
    FUZZ_CHECK(routes_assemble(true, &apps_mode, &n_own, &n) == 0 && n_own < n);
    tables[1].routes = apps_mode;
    tables[1].n = n_own;
    tables[2].routes = apps_mode + n_own;
    tables[2].n = n - n_own;
    tables[3].routes = sidecar_routes;
    tables[3].n = n_sidecar_routes;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *f[2];
    fuzz_fields(data, size, ' ', f, 2);
    const char *method = f[0], *target = f[1];
    char *path = NULL, *raw = NULL;
    bool normal = path_normalize(target, strlen(target), &path, &raw) == 0;
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        if (normal) match(tables[i].routes, tables[i].n, method, path);
        match(tables[i].routes, tables[i].n, method, target);
    }
    free(path);
    free(raw);
    fuzz_fields_free(f, 2);
    return 0;
}
