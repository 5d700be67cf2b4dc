/*
 * limits: what a client may send before its request is refused, and with which status.
 *
 * Pure decisions on numbers the HTTP layer measured, so each rule is testable on its own.
 * Thread-safe.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "server/config.h"

#define LIMITS_MAX_HEADERS 200

/* What the HTTP layer measured of a request whose headers have arrived. */
struct limits_request {
    size_t target_bytes;        /* request target (path and query) */
    size_t header_bytes;        /* header names and values with separators */
    size_t header_count;        /* header lines */
    int64_t open_connections;   /* across every listener, this one included */
    const char *content_length; /* the Content-Length header as sent, NULL if absent */
};

/* A refusal: the status and the message shown to the client. */
struct limits_refusal {
    unsigned status;
    const char *message;
};

/* 0 when the request may go on; -E2BIG (or -EBUSY for 503) with *ret filled otherwise. */
int limits_check(const struct config *c, const struct limits_request *req,
                 struct limits_refusal *ret);
