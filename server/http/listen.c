/* listen: listening sockets; see listen.h. */
#include "server/http/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

bool listen_is_tls(const char *spec)
{
    return strncmp(spec, LISTEN_TLS_PREFIX, strlen(LISTEN_TLS_PREFIX)) == 0;
}

int listen_parse(const char *spec, char host[256], unsigned *ret_port)
{
    if (listen_is_tls(spec)) spec += strlen(LISTEN_TLS_PREFIX);
    const char *colon, *h = spec;
    size_t hlen;
    if (spec[0] == '[') {
        const char *end = strchr(spec, ']');
        if (!end || end[1] != ':') return -EINVAL;
        h = spec + 1;
        hlen = (size_t)(end - h);
        colon = end + 1;
    } else {
        colon = strrchr(spec, ':');
        if (!colon || strchr(spec, ':') != colon) return -EINVAL;
        hlen = (size_t)(colon - spec);
    }
    if (hlen == 0 || hlen >= 256) return -EINVAL;
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (errno || *end || colon[1] == '\0' || port == 0 || port > 65535) return -EINVAL;
    for (size_t i = 0; i < hlen; i++)
        if (!(h[i] == '.' || h[i] == ':' || h[i] == '-' || h[i] == '%' ||
              (h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'z') ||
              (h[i] >= 'A' && h[i] <= 'Z')))
            return -EINVAL;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *ret_port = (unsigned)port;
    return 0;
}

static int open_one(const struct addrinfo *ai, int backlog)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -errno;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (ai->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, backlog) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

int listen_open(const char *spec, int backlog, int *fds, size_t *n_fds)
{
    char host[256], port[8];
    unsigned p;
    if (listen_parse(spec, host, &p) < 0) return -EINVAL;
    snprintf(port, sizeof(port), "%u", p);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res;
    if (getaddrinfo(host, port, &hints, &res) != 0) return -EADDRNOTAVAIL;
    size_t first = *n_fds;
    int r = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (*n_fds == LISTEN_MAX_FDS) {
            r = -E2BIG;
            break;
        }
        int fd = open_one(ai, backlog);
        if (fd < 0) {
            r = fd;
            break;
        }
        fds[(*n_fds)++] = fd;
    }
    freeaddrinfo(res);
    if (r < 0) {
        while (*n_fds > first) close(fds[--*n_fds]);
    }
    return r;
}

void listen_describe(int fd, char *out, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
            port = ntohs(a->sin6_port);
            snprintf(out, size, "[%s]:%u", ip, port);
            return;
        }
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
        port = ntohs(a->sin_port);
    }
    snprintf(out, size, "%s:%u", ip, port);
}
