/*
 * h1_answer: an HTTP/1.1 answer read as its bytes come, for h1_client (apart from it so that a
 * fuzzer can feed it what a hostile application would send). It finds the head, skips interim
 * (1xx) answers, hands the head over, then the body however it is framed (a length, chunks,
 * the end of the connection, nothing), piece by piece, holding nothing but a line at a time.
 *
 * It refuses what a proxy must not pass on or guess at: a head over 64 KiB, over
 * UPSTREAM_HEAD_MAX lines or with a line over 8 KiB (-EMSGSIZE); a NUL or a bare CR in the head, a
 * folded line, a line without a name or with one that is not a token, a status line that is not
 * HTTP/1.x's, 101, more than 8 interim answers, a Content-Length that is not a number or disagrees
 * with another, a chunk size that is not hexadecimal or over 2^60, a chunk longer than its size,
 * over 16 KiB of trailers
 * (-EIO). A Content-Length that comes with Transfer-Encoding is dropped from the head handed over,
 * and the connection is not kept (RFC 9112 6.3).
 *
 * No I/O and no threads: the owner feeds bytes and is called back (ops->head, ops->data) from
 * inside h1_answer_feed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "lib/upstream.h"

/* How an answer's body ends. */
enum h1_framing { H1_BODY_NONE, H1_BODY_LENGTH, H1_BODY_CHUNKED, H1_BODY_CLOSE };

/* Where the chunked decoder is. */
enum h1_chunk { H1_CHUNK_SIZE, H1_CHUNK_DATA, H1_CHUNK_DATA_END, H1_CHUNK_TRAILERS };

/* What feeding bytes came to. */
enum h1_fed {
    H1_MORE,     /* all taken; the answer goes on */
    H1_PAUSED,   /* ops->data said UPSTREAM_PAUSE: feed the rest again later */
    H1_COMPLETE, /* the answer ended (bytes past it are not its) */
    H1_FAILED,   /* error and why say what is wrong */
};

struct h1_answer {
    bool head_only;          /* the request was HEAD: the answer has no body */
    bool head_done;          /* ops->head was called */
    bool keep_alive;         /* the connection may serve another call after this answer */
    int interim;             /* 1xx answers skipped */
    struct buf head;         /* the head while it comes */
    enum h1_framing framing; /* once head_done */
    unsigned long long left; /* H1_BODY_LENGTH: bytes to come; H1_CHUNK_DATA: of this chunk */
    enum h1_chunk chunk;     /* H1_BODY_CHUNKED */
    struct buf line;         /* a chunk's size line or a trailer line while it comes */
    size_t trailer_bytes;    /* trailers so far */
    int error;               /* H1_FAILED: -EIO or -EMSGSIZE */
    const char *why;         /* ... and what was wrong, for logs */
    const struct upstream_stream_ops *ops; /* of the feed under way */
    void *ctx;
};

void h1_answer_init(struct h1_answer *a, bool head_only);
void h1_answer_reset(struct h1_answer *a);

/* Feeds len bytes at p; *used: how many were taken (on H1_PAUSED the rest waits for the next
 * feed; on H1_COMPLETE the rest is surplus). ops->head and ops->data are called from here (the
 * other ops are not used). */
enum h1_fed h1_answer_feed(struct h1_answer *a, const char *p, size_t len, size_t *used,
                           const struct upstream_stream_ops *ops, void *ctx);

/* Whether a "Name: value" line has that name (case aside). */
bool h1_line_names(const char *line, const char *name);

/* Whether the connection's end ends the answer (no length was given). */
bool h1_answer_ends_at_close(const struct h1_answer *a);
