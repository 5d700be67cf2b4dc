/*
 * fairness: no client starves the others. Each identity (by name) may have at most
 * limits.user_requests_in_flight requests admitted and not yet ended (watches, log follows,
 * WebSockets and proxied requests included), and may start limits.user_requests_per_s requests
 * a second (bursts of twice that); a client that proves no identity may make
 * limits.anonymous_requests_per_s requests a second from its address (an IPv6 address counts by
 * its /64), bursts of three times that. Refusals are counted by reason for /metrics.
 *
 * The counts live in a bounded table (one lock per bucket); when a bucket has no room the
 * request goes on uncounted rather than be refused for others' sake. Thread-safe.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct config;
struct fairness;
struct sockaddr;

/* Where an admitted request is counted: what fairness_leave needs (no second hash). */
#define FAIRNESS_KEY_LEN 16
struct fairness_seat {
    unsigned char key[FAIRNESS_KEY_LEN];
};

enum fairness_verdict {
    FAIR_UNCOUNTED = 1,       /* admitted, but no room to count it: no fairness_leave */
    FAIR_ADMITTED = 0,        /* admitted and counted: fairness_leave when it ends */
    FAIR_IN_FLIGHT = -1,      /* refused: too many of this user's requests under way */
    FAIR_RATE = -2,           /* refused: this user starts requests too fast */
    FAIR_ANONYMOUS_RATE = -3, /* refused: this address makes unproven requests too fast */
};

int fairness_new(const struct config *cfg, struct fairness **ret);
void fairness_free(struct fairness *f);

/* A request of user starts: its *seat when admitted, *retry_after_s (at least 1) when
 * refused. */
enum fairness_verdict fairness_enter(struct fairness *f, const char *user,
                                     struct fairness_seat *seat, long *retry_after_s);
/* A request fairness_enter admitted (FAIR_ADMITTED) in seat has ended. */
void fairness_leave(struct fairness *f, const struct fairness_seat *seat);
/* A request from peer that proved no identity, or is about to cost kfdash work before it has
 * (a token never seen, a sign-in): charged to its address when charge, else only checked
 * (peer NULL: admitted). */
enum fairness_verdict fairness_anonymous(struct fairness *f, const struct sockaddr *peer,
                                         bool charge, long *retry_after_s);
/* A refusal for /metrics, by verdict; and a phrase for the 429's message. */
const char *fairness_reason(enum fairness_verdict v);
/* kfdash_refused_total{reason=...} lines in Prometheus text. */
int fairness_render(const struct fairness *f, struct buf *out);
