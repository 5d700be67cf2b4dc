/*
 * upstream: the reader (a thread of its own pulls a streamed answer as it would read a file)
 * and the driven engine (run inside its owner's event loop, as each HTTP worker runs one). The
 * peer here is a few lines of socket code in this test, because the faults it plays (an answer
 * larger than the reader holds, arriving in pieces; a server that never answers) are about
 * timing that a real peer does not produce on demand. Real peers go through the same code in
 * the stack suite (every watch and the identity provider's keys).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/upstream.h"
#include "unit.h"

#define BODY_BYTES (1 << 20)

struct peer {
    int listen_fd;
    int port;
    bool answer; /* false: accept, read, never answer */
    pthread_t thread;
};

static void *serve(void *arg)
{
    struct peer *p = arg;
    int fd = accept(p->listen_fd, NULL, NULL);
    if (fd < 0) return NULL;
    char req[4096];
    if (read(fd, req, sizeof(req)) <= 0) {
        close(fd);
        return NULL;
    }
    if (p->answer) {
        char head[256];
        int n = snprintf(head, sizeof(head),
                         "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nCache-Control: max-age=42\r\n"
                         "Connection: close\r\n\r\n",
                         BODY_BYTES);
        if (write(fd, head, (size_t)n) != n) goto out;
        static char piece[8192];
        for (size_t sent = 0; sent < BODY_BYTES; sent += sizeof(piece)) {
            for (size_t i = 0; i < sizeof(piece); i++) piece[i] = (char)('a' + (sent + i) % 26);
            if (write(fd, piece, sizeof(piece)) != (ssize_t)sizeof(piece)) goto out;
        }
    } else {
        char more[64];
        while (read(fd, more, sizeof(more)) > 0) {
        }
    }
out:
    close(fd);
    return NULL;
}

static void peer_start(struct peer *p, bool answer)
{
    p->answer = answer;
    p->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(p->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(p->listen_fd, 4), 0);
    socklen_t len = sizeof(a);
    getsockname(p->listen_fd, (struct sockaddr *)&a, &len);
    p->port = ntohs(a.sin_port);
    pthread_create(&p->thread, NULL, serve, p);
}

static void peer_stop(struct peer *p)
{
    shutdown(p->listen_fd, SHUT_RDWR);
    close(p->listen_fd);
    pthread_join(p->thread, NULL);
}

START_TEST(a_large_answer_arrives_whole_through_the_bounded_reader)
{
    struct peer p;
    peer_start(&p, true);
    struct upstream *u;
    ck_assert_int_eq(upstream_new(NULL, 0, &u), 0);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/big", p.port);
    struct upstream_call call = {.method = "GET", .url = url, .timeout_ms = 10000};
    struct upstream_reader *r;
    ck_assert_int_eq(upstream_reader_open(u, &call, NULL, NULL, &r), 0);
    ck_assert_int_eq(upstream_reader_status(r), 200);
    /* read slowly at first: the engine must hold the answer, not drop or fail it */
    char piece[1000];
    size_t total = 0;
    long n;
    bool in_order = true;
    while ((n = upstream_reader_read(r, piece, sizeof(piece))) > 0) {
        for (long i = 0; i < n; i++)
            in_order = in_order && piece[i] == (char)('a' + (total + (size_t)i) % 26);
        total += (size_t)n;
        if (total < 200000) usleep(200);
    }
    ck_assert_int_eq(n, 0);
    ck_assert_uint_eq(total, BODY_BYTES);
    ck_assert(in_order);
    upstream_reader_close(r);
    upstream_free(u);
    peer_stop(&p);
}
END_TEST

START_TEST(a_whole_answer_is_bounded_and_keeps_its_cache_lifetime)
{
    struct peer p;
    peer_start(&p, true);
    struct upstream *u;
    ck_assert_int_eq(upstream_new(NULL, 0, &u), 0);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/big", p.port);
    struct upstream_call call = {
        .method = "GET", .url = url, .timeout_ms = 10000, .max_response_bytes = BODY_BYTES};
    struct upstream_reader *r;
    struct upstream_result a;
    ck_assert_int_eq(upstream_reader_open(u, &call, NULL, NULL, &r), 0);
    ck_assert_int_eq(upstream_reader_whole(r, &a), 0);
    ck_assert_int_eq(a.status, 200);
    ck_assert_uint_eq(a.len, BODY_BYTES);
    ck_assert_int_eq(a.max_age_s, 42);
    free(a.body);
    upstream_reader_close(r);
    peer_stop(&p);

    /* one byte less allowed: the answer is too large, and nothing of it is handed over */
    peer_start(&p, true);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/big", p.port);
    call.max_response_bytes = BODY_BYTES - 1;
    ck_assert_int_eq(upstream_reader_open(u, &call, NULL, NULL, &r), 0);
    ck_assert_int_eq(upstream_reader_whole(r, &a), -EMSGSIZE);
    ck_assert_ptr_null(a.body);
    ck_assert_str_eq(upstream_error_text(a.error), "answer too large");
    upstream_reader_close(r);
    upstream_free(u);
    peer_stop(&p);
}
END_TEST

struct canceller {
    struct upstream_reader *r;
};

static void *cancel_soon(void *arg)
{
    struct canceller *c = arg;
    usleep(200000);
    upstream_reader_cancel(c->r);
    return NULL;
}

static int ticks;
static void tick(void *ctx)
{
    ticks++;
}

START_TEST(a_stop_ends_a_wait_on_a_server_that_never_answers)
{
    struct peer p;
    peer_start(&p, false);
    struct upstream *u;
    ck_assert_int_eq(upstream_new(NULL, 0, &u), 0);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hang", p.port);
    struct upstream_call call = {.method = "GET", .url = url, .timeout_ms = 60000};
    struct upstream_reader *r;
    ticks = 0;
    ck_assert_int_eq(upstream_reader_open(u, &call, tick, NULL, &r), 0);
    struct canceller c = {r};
    pthread_t t;
    pthread_create(&t, NULL, cancel_soon, &c);
    int64_t t0 = clock_ms();
    ck_assert_int_eq(upstream_reader_status(r), -ECANCELED);
    ck_assert_int_lt(clock_ms() - t0, 30000); /* the 60 s timeout did not have to pass */
    ck_assert_int_ge(ticks, 1);               /* the owner's tick ran while it waited */
    pthread_join(t, NULL);
    upstream_reader_close(r);
    upstream_free(u);
    peer_stop(&p);
}
END_TEST

/* ---- the driven engine ---- */

struct outcome {
    bool done;
    int error;
    long status;
    size_t len;
    pthread_t thread; /* where done ran */
};

static void record(void *ctx, struct upstream_result *res)
{
    struct outcome *o = ctx;
    *o = (struct outcome){true, res->error, res->status, res->len, pthread_self()};
}

/* The owner's loop: waits on the engine's descriptor (or its due time) and drives it, until
 * the call is done or seconds pass. */
static void drive_until_done(struct upstream *u, struct outcome *o, int seconds)
{
    int64_t end = clock_ms() + seconds * 1000;
    while (!o->done && clock_ms() < end) {
        long due = upstream_due_ms(u);
        struct pollfd p = {.fd = upstream_fd(u), .events = POLLIN};
        poll(&p, 1, due < 0 || due > 1000 ? 1000 : (int)due);
        upstream_drive(u);
    }
}

/* A peer (answering or not), a driven engine made on this thread, and a call to the peer. */
struct driven {
    struct peer p;
    struct upstream *u;
    char url[64];
    struct upstream_call call;
    struct outcome o;
};

static void driven_start(struct driven *d, bool answer)
{
    peer_start(&d->p, answer);
    ck_assert_int_eq(upstream_new_driven(NULL, 0, &d->u), 0);
    snprintf(d->url, sizeof(d->url), "http://127.0.0.1:%d/big", d->p.port);
    d->call = (struct upstream_call){
        .method = "GET", .url = d->url, .timeout_ms = 60000, .max_response_bytes = BODY_BYTES};
    d->o = (struct outcome){0};
}

static void driven_stop(struct driven *d)
{
    upstream_free(d->u);
    peer_stop(&d->p);
}

START_TEST(a_driven_engine_answers_on_the_thread_that_drives_it)
{
    struct driven d;
    driven_start(&d, true);
    ck_assert_int_eq(upstream_fetch(d.u, &d.call, record, &d.o), 0);
    ck_assert(!d.o.done); /* nothing runs until the owner drives it */
    drive_until_done(d.u, &d.o, 10);
    ck_assert(d.o.done);
    ck_assert_int_eq(d.o.error, 0);
    ck_assert_int_eq(d.o.status, 200);
    ck_assert_uint_eq(d.o.len, BODY_BYTES);
    ck_assert(pthread_equal(d.o.thread, pthread_self()));
    driven_stop(&d);
}
END_TEST

static int submitted;
static void *submit_from_elsewhere(void *arg)
{
    struct driven *d = arg;
    submitted = upstream_fetch(d->u, &d->call, record, &d->o);
    return NULL;
}

START_TEST(a_call_from_another_thread_wakes_the_driving_loop)
{
    struct driven d;
    driven_start(&d, true);
    submitted = -1;
    pthread_t t;
    pthread_create(&t, NULL, submit_from_elsewhere, &d);
    pthread_join(t, NULL);
    ck_assert_int_eq(submitted, 0);
    /* The loop sleeps on the descriptor: the submission must wake it, not a timeout. */
    struct pollfd pfd = {.fd = upstream_fd(d.u), .events = POLLIN};
    ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
    drive_until_done(d.u, &d.o, 10);
    ck_assert(d.o.done);
    ck_assert_int_eq(d.o.status, 200);
    ck_assert(pthread_equal(d.o.thread, pthread_self()));
    driven_stop(&d);
}
END_TEST

START_TEST(freeing_a_driven_engine_ends_its_calls)
{
    struct driven d;
    driven_start(&d, false);
    ck_assert_int_eq(upstream_fetch(d.u, &d.call, record, &d.o), 0);
    drive_until_done(d.u, &d.o, 1); /* connected and asked; the peer never answers */
    ck_assert(!d.o.done);
    upstream_free(d.u);
    ck_assert(d.o.done);
    ck_assert_int_eq(d.o.error, -ECANCELED);
    peer_stop(&d.p);
}
END_TEST

RUN_SUITE("upstream", a_large_answer_arrives_whole_through_the_bounded_reader,
          a_whole_answer_is_bounded_and_keeps_its_cache_lifetime,
          a_stop_ends_a_wait_on_a_server_that_never_answers,
          a_driven_engine_answers_on_the_thread_that_drives_it,
          a_call_from_another_thread_wakes_the_driving_loop, freeing_a_driven_engine_ends_its_calls)
