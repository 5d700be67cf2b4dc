/* router: pattern matching over normalised paths; see router.h. */
#include "server/http/router.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Next segment of s (which points at '/' or the end): *seg, *len; returns the rest. */
static const char *next_segment(const char *s, const char **seg, size_t *len)
{
    if (*s == '/') s++;
    *seg = s;
    while (*s && *s != '/') s++;
    *len = (size_t)(s - *seg);
    return s;
}

static int pattern_match(const char *pattern, const char *path, struct route_match *m)
{
    m->n_params = 0;
    const char *p = pattern, *q = path;
    for (;;) {
        if (*p == '\0') return *q == '\0';
        const char *pseg, *qseg;
        size_t plen, qlen;
        p = next_segment(p, &pseg, &plen);
        if (plen == 1 && pseg[0] == '*') {
            if (m->n_params == ROUTER_MAX_PARAMS) return 0;
            const char *rest = *q == '/' ? q + 1 : q;
            m->params[m->n_params++] = (struct route_param){pseg, 1, rest, strlen(rest)};
            return 1;
        }
        if (*q == '\0') return 0;
        q = next_segment(q, &qseg, &qlen);
        if (plen > 0 && pseg[0] == ':') {
            if (qlen == 0 || m->n_params == ROUTER_MAX_PARAMS) return 0;
            m->params[m->n_params++] = (struct route_param){pseg + 1, plen - 1, qseg, qlen};
        } else if (plen != qlen || memcmp(pseg, qseg, plen) != 0) {
            return 0;
        }
    }
}

int router_match(const struct route *routes, size_t n_routes, const char *method, const char *path,
                 struct route_match *ret, char *ret_allow, size_t allow_size)
{
    int path_seen = 0;
    size_t used = 0;
    if (ret_allow && allow_size) ret_allow[0] = '\0';
    for (size_t i = 0; i < n_routes; i++) {
        struct route_match m;
        if (!pattern_match(routes[i].pattern, path, &m)) continue;
        if (!routes[i].method || strcmp(routes[i].method, method) == 0) {
            m.route = &routes[i];
            *ret = m;
            return 0;
        }
        path_seen = 1;
        if (ret_allow && used < allow_size && !strstr(ret_allow, routes[i].method)) {
            int w = snprintf(ret_allow + used, allow_size - used, "%s%s", used ? ", " : "",
                             routes[i].method);
            if (w > 0) used += (size_t)w;
        }
    }
    return path_seen ? -EPERM : -ENOENT;
}
