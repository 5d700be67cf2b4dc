/* park: see park.h. */
#include "server/http/park.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* What the engine thread needs to hand the answer back. */
struct parked {
    struct http_request *r;         /* suspended until the answer is in */
    struct upstream_result *answer; /* the caller's slot */
    http_next_fn next;              /* runs after resuming */
};

static void landed(void *ctx, struct upstream_result *res)
{
    struct parked *p = ctx;
    *p->answer = *res;
    res->body = NULL; /* the slot owns it now */
    struct http_request *r = p->r;
    http_next_fn next = p->next;
    free(p);
    http_request_resume(r, next);
}

void park_call(struct upstream *u, struct http_request *r, const struct upstream_call *call,
               struct upstream_result *answer, http_next_fn next)
{
    *answer = (struct upstream_result){0};
    http_request_suspend(r);
    struct parked *p = malloc(sizeof(*p));
    int e = p ? 0 : -ENOMEM;
    if (p) {
        *p = (struct parked){r, answer, next};
        e = upstream_fetch(u, call, landed, p);
    }
    if (e < 0) {
        free(p);
        answer->error = e;
        snprintf(answer->detail, sizeof(answer->detail), "%s",
                 e == -EBUSY ? "too many calls under way" : "cannot start the call");
        http_request_resume(r, next);
    }
}
