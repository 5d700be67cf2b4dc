/*
 * Fuzzes lib/h1_answer: the answer of an application (user code: hostile) as the proxy's own
 * client reads it. The first input byte chooses the request (bit 0: HEAD) and how often the
 * caller pauses (bits 1-3: every nth offer, 0 never; the offer after a pause is taken); the second
 * how the rest is cut into reads (1 to 256 bytes each, the fuzzer's own choice per read from the
 * input's bytes); the rest is what the application sends. A paused piece is fed again, as the
 * client does after unpause.
 *
 * Promises checked (h1_answer.h): the head comes once, before any body byte, with at most
 * UPSTREAM_HEAD_MAX lines, each "Name: value" with a token for a name, without CR, LF or NUL, a
 * status from 200 to 599, and never a Content-Length beside a Transfer-Encoding; no more body bytes
 * than were fed; a failure says why; nothing is taken after the answer completed or failed.
 */
#include <strings.h>

#include "fuzz.h"
#include "lib/h1_answer.h"

struct seen {
    int heads;
    long status;
    size_t body;
    int offers;
    int pause_every;
    bool paused; /* the last offer was refused: the next is taken (the caller drained) */
};

static void on_head(void *ctx, long status, const char *const *lines, size_t n)
{
    struct seen *s = ctx;
    s->heads++;
    s->status = status;
    FUZZ_CHECK(s->heads == 1 && s->body == 0);
    FUZZ_CHECK(status >= 200 && status <= 599);
    FUZZ_CHECK(n <= UPSTREAM_HEAD_MAX);
    bool te = false, cl = false;
    for (size_t i = 0; i < n; i++) {
        size_t name = strspn(lines[i], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789!#$%&'*+-.^_`|~");
        FUZZ_CHECK(name > 0 && lines[i][name] == ':');
        FUZZ_CHECK(!strpbrk(lines[i], "\r\n"));
        FUZZ_CHECK(lines[i][0] != ' ' && lines[i][0] != '\t');
        te = te || strncasecmp(lines[i], "Transfer-Encoding:", 18) == 0;
        cl = cl || strncasecmp(lines[i], "Content-Length:", 15) == 0;
    }
    FUZZ_CHECK(!(te && cl));
}

static size_t on_data(void *ctx, const char *p, size_t len)
{
    struct seen *s = ctx;
    FUZZ_CHECK(s->heads == 1 && len > 0);
    if (s->pause_every && ++s->offers % s->pause_every == 0 && !s->paused) {
        s->paused = true;
        return UPSTREAM_PAUSE;
    }
    s->paused = false;
    s->body += len;
    return len;
}

static const struct upstream_stream_ops ops = {.head = on_head, .data = on_data};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    struct seen s = {.pause_every = (data[0] >> 1) & 7};
    unsigned cut = data[1];
    const char *p = (const char *)data + 2;
    size_t len = size - 2;
    struct h1_answer a;
    h1_answer_init(&a, data[0] & 1);
    enum h1_fed f = H1_MORE;
    size_t at = 0;
    while (at < len && f != H1_COMPLETE && f != H1_FAILED) {
        size_t piece = 1 + (cut + (unsigned char)p[at]) % 256;
        if (piece > len - at) piece = len - at;
        size_t used = 0;
        f = h1_answer_feed(&a, p + at, piece, &used, &ops, &s);
        if (f == H1_FAILED) break;
        FUZZ_CHECK(used <= piece);
        at += used;
        if (f == H1_PAUSED) { /* the client holds the rest and offers it again */
            FUZZ_CHECK(s.pause_every);
            f = H1_MORE;
        }
    }
    if (f == H1_FAILED) FUZZ_CHECK(a.error < 0 && a.why && *a.why);
    FUZZ_CHECK(s.body <= len);
    FUZZ_CHECK(s.heads <= 1);
    if (f == H1_COMPLETE) FUZZ_CHECK(s.heads == 1);
    h1_answer_reset(&a);
    return 0;
}
