#include "lib/ring.h"

#include <string.h>

const char *ring_peek(const struct ring *r, size_t *n)
{
    size_t to_end = r->cap - r->start;
    *n = r->len < to_end ? r->len : to_end;
    return r->data + r->start;
}

void ring_consume(struct ring *r, size_t n)
{
    if (n > r->len) n = r->len;
    r->len -= n;
    r->start = r->len ? (r->start + n) % r->cap : 0;
}

char *ring_space(struct ring *r, size_t *n)
{
    size_t end = (r->start + r->len) % r->cap;
    size_t to_end = r->cap - end;
    size_t room = r->cap - r->len;
    *n = room < to_end ? room : to_end;
    return r->data + end;
}

void ring_commit(struct ring *r, size_t n)
{
    size_t room = r->cap - r->len;
    r->len += n < room ? n : room;
}

size_t ring_put(struct ring *r, const void *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        size_t room;
        char *at = ring_space(r, &room);
        if (!room) break;
        size_t take = n - done < room ? n - done : room;
        memcpy(at, (const char *)p + done, take);
        ring_commit(r, take);
        done += take;
    }
    return done;
}

size_t ring_get(struct ring *r, void *out, size_t max)
{
    size_t done = 0;
    while (done < max) {
        size_t have;
        const char *at = ring_peek(r, &have);
        if (!have) break;
        size_t take = max - done < have ? max - done : have;
        memcpy((char *)out + done, at, take);
        ring_consume(r, take);
        done += take;
    }
    return done;
}
