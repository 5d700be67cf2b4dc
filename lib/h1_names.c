/* h1_names: connect_to, IP literals and names resolved off the loop; see h1_names.h. */
#include "lib/h1_names.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/clock.h"

#define HOST_MAX  256   /* a DNS name, an address */
#define MAPS_MAX  64    /* connect_to entries */
#define NAMES_MAX 256   /* names kept */
#define QUEUE_MAX 64    /* names waiting for the resolver */
#define KEEP_MS   60000 /* a resolved name is used this long (as libcurl's DNS cache) */
#define FAILED_MS 2000  /* a name that did not resolve is not asked again this soon */

/* One connect_to entry ("" host or 0 port: any / the same). */
struct map {
    char host[HOST_MAX];
    unsigned port;
    char to_host[HOST_MAX];
    unsigned to_port;
};

enum state { RESOLVING, RESOLVED, FAILED };

struct name {
    char host[HOST_MAX];
    unsigned port;
    enum state state;
    struct h1_addrs addrs;
    char why[H1_NAMES_WHY_MAX];
    int64_t expires_ms; /* RESOLVED, FAILED */
};

struct h1_names {
    struct map maps[MAPS_MAX];
    size_t n_maps;
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t wake;  /* the resolver: a name was queued, or stop */
    struct name names[NAMES_MAX];
    size_t n_names;
    size_t queue[QUEUE_MAX]; /* indexes of names RESOLVING, not yet taken */
    size_t n_queue;
    bool started; /* the resolver thread runs */
    bool stopping;
    pthread_t thread;
    int event_fd; /* written when a resolution finished */
};

/* "host" or "[v6]" and ":port" from the front of *p; false when malformed. Ports: 0 = empty. */
static bool take_part(const char **p, char *out, size_t max, bool is_port, unsigned *port)
{
    const char *s = *p;
    size_t n;
    if (!is_port && *s == '[') {
        const char *close = strchr(s, ']');
        if (!close) return false;
        n = (size_t)(close - s - 1);
        if (n >= max) return false;
        memcpy(out, s + 1, n);
        out[n] = '\0';
        s = close + 1;
    } else {
        n = strcspn(s, ":");
        if (is_port) {
            char digits[8];
            if (n >= sizeof(digits)) return false;
            memcpy(digits, s, n);
            digits[n] = '\0';
            char *end;
            unsigned long v = n ? strtoul(digits, &end, 10) : 0;
            if ((n && *end) || v > 65535) return false;
            *port = (unsigned)v;
        } else {
            if (n >= max) return false;
            memcpy(out, s, n);
            out[n] = '\0';
        }
        s += n;
    }
    if (*s == ':') s++;
    *p = s;
    return true;
}

static int parse_maps(struct h1_names *n, const char *connect_to)
{
    for (const char *p = connect_to ? connect_to : ""; *p;) {
        size_t len = strcspn(p, ",");
        char entry[2 * HOST_MAX + 16];
        if (len >= sizeof(entry) || n->n_maps == MAPS_MAX) return -EINVAL;
        memcpy(entry, p, len);
        entry[len] = '\0';
        p += len + (p[len] == ',');
        if (!len) continue;
        struct map *m = &n->maps[n->n_maps++];
        const char *e = entry;
        if (!take_part(&e, m->host, sizeof(m->host), false, NULL) ||
            !take_part(&e, NULL, 0, true, &m->port) ||
            !take_part(&e, m->to_host, sizeof(m->to_host), false, NULL) ||
            !take_part(&e, NULL, 0, true, &m->to_port) || *e)
            return -EINVAL;
    }
    return 0;
}

int h1_names_new(const char *connect_to, struct h1_names **ret)
{
    struct h1_names *n = calloc(1, sizeof(*n));
    if (!n) return -ENOMEM;
    int e = parse_maps(n, connect_to);
    n->event_fd = e ? -1 : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (e || n->event_fd < 0) {
        free(n);
        return e ? e : -errno;
    }
    pthread_mutex_init(&n->lock, NULL);
    pthread_cond_init(&n->wake, NULL);
    *ret = n;
    return 0;
}

void h1_names_free(struct h1_names *n)
{
    if (!n) return;
    pthread_mutex_lock(&n->lock);
    n->stopping = true;
    bool started = n->started;
    pthread_cond_signal(&n->wake);
    pthread_mutex_unlock(&n->lock);
    if (started) pthread_join(n->thread, NULL);
    pthread_cond_destroy(&n->wake);
    pthread_mutex_destroy(&n->lock);
    close(n->event_fd);
    free(n);
}

int h1_names_fd(const struct h1_names *n)
{
    return n->event_fd;
}

void h1_names_drain(struct h1_names *n)
{
    uint64_t count;
    if (read(n->event_fd, &count, sizeof(count)) < 0) { /* nothing to read: fine */
    }
}

static bool literal(const char *host, unsigned port, struct sockaddr_storage *sa, socklen_t *len)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
    memset(sa, 0, sizeof(*sa));
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof(*v4);
        return true;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*v6);
        return true;
    }
    return false;
}

/* The resolver: one name at a time, the lock not held while getaddrinfo blocks. */
static void *resolve_loop(void *arg)
{
    struct h1_names *n = arg;
    pthread_mutex_lock(&n->lock);
    for (;;) {
        while (!n->n_queue && !n->stopping) pthread_cond_wait(&n->wake, &n->lock);
        if (n->stopping) break;
        size_t i = n->queue[0];
        memmove(n->queue, n->queue + 1, --n->n_queue * sizeof(n->queue[0]));
        char host[HOST_MAX], port[8];
        snprintf(host, sizeof(host), "%s", n->names[i].host);
        snprintf(port, sizeof(port), "%u", n->names[i].port);
        pthread_mutex_unlock(&n->lock);
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
        struct addrinfo *found = NULL;
        int e = getaddrinfo(host, port, &hints, &found);
        pthread_mutex_lock(&n->lock);
        struct name *r = &n->names[i]; /* a RESOLVING slot is never reused */
        r->addrs.n = 0;
        for (struct addrinfo *ai = e ? NULL : found; ai && r->addrs.n < H1_ADDRS_MAX;
             ai = ai->ai_next) {
            if (ai->ai_addrlen > sizeof(r->addrs.sa[0])) continue;
            memcpy(&r->addrs.sa[r->addrs.n], ai->ai_addr, ai->ai_addrlen);
            r->addrs.len[r->addrs.n++] = ai->ai_addrlen;
        }
        if (r->addrs.n) {
            r->state = RESOLVED;
            r->expires_ms = clock_ms() + KEEP_MS;
        } else {
            snprintf(r->why, sizeof(r->why), "cannot resolve %.40s: %s", host,
                     e ? gai_strerror(e) : "no address");
            r->state = FAILED;
            r->expires_ms = clock_ms() + FAILED_MS;
        }
        if (found) freeaddrinfo(found);
        uint64_t one = 1;
        if (write(n->event_fd, &one, sizeof(one)) < 0) { /* the counter is full: readable */
        }
    }
    pthread_mutex_unlock(&n->lock);
    return NULL;
}

/* A slot for a new name: a free one, else one expired, else the one that expires first (never
 * one RESOLVING: the resolver writes to it). NULL when every slot is RESOLVING. */
static struct name *free_slot(struct h1_names *n, int64_t now)
{
    if (n->n_names < NAMES_MAX) return &n->names[n->n_names++];
    struct name *pick = NULL;
    for (size_t i = 0; i < n->n_names; i++) {
        struct name *c = &n->names[i];
        if (c->state == RESOLVING) continue;
        if (c->expires_ms <= now) return c;
        if (!pick || c->expires_ms < pick->expires_ms) pick = c;
    }
    return pick;
}

/* Queues host:port for the resolver (the lock held): 0, or -EHOSTUNREACH with why. */
static int ask(struct h1_names *n, struct name *slot, const char *host, unsigned port,
               char why[H1_NAMES_WHY_MAX])
{
    if (!slot || n->n_queue == QUEUE_MAX) {
        snprintf(why, H1_NAMES_WHY_MAX, "too many names being resolved");
        return -EHOSTUNREACH;
    }
    if (!n->started) {
        if (pthread_create(&n->thread, NULL, resolve_loop, n) != 0) {
            snprintf(why, H1_NAMES_WHY_MAX, "cannot start the resolver");
            return -EHOSTUNREACH;
        }
        n->started = true;
    }
    *slot = (struct name){.port = port, .state = RESOLVING};
    snprintf(slot->host, sizeof(slot->host), "%s", host);
    n->queue[n->n_queue++] = (size_t)(slot - n->names);
    pthread_cond_signal(&n->wake);
    return 0;
}

int h1_names_lookup(struct h1_names *n, const char *host, unsigned port, struct h1_addrs *ret,
                    char why[H1_NAMES_WHY_MAX])
{
    for (size_t i = 0; i < n->n_maps; i++) {
        const struct map *m = &n->maps[i];
        if ((*m->host && strcasecmp(m->host, host) != 0) || (m->port && m->port != port)) continue;
        if (*m->to_host) host = m->to_host;
        if (m->to_port) port = m->to_port;
        break;
    }
    if (literal(host, port, &ret->sa[0], &ret->len[0])) {
        ret->n = 1;
        return 1;
    }
    if (strlen(host) >= HOST_MAX) {
        snprintf(why, H1_NAMES_WHY_MAX, "the host name is too long");
        return -EHOSTUNREACH;
    }
    int64_t now = clock_ms();
    int r = 0;
    pthread_mutex_lock(&n->lock);
    struct name *found = NULL;
    for (size_t i = 0; i < n->n_names && !found; i++)
        if (n->names[i].port == port && strcasecmp(n->names[i].host, host) == 0)
            found = &n->names[i];
    if (found && found->state == RESOLVED && found->expires_ms > now) {
        *ret = found->addrs;
        r = 1;
    } else if (found && found->state == FAILED && found->expires_ms > now) {
        snprintf(why, H1_NAMES_WHY_MAX, "%s", found->why);
        r = -EHOSTUNREACH;
    } else if (!found || found->state != RESOLVING) {
        r = ask(n, found ? found : free_slot(n, now), host, port, why);
    }
    pthread_mutex_unlock(&n->lock);
    return r;
}
