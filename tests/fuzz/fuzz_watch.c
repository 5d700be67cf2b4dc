/*
 * Fuzzes k8s/watch's reading of a watch response from the API server: the stream cut into lines
 * (k8s_watch_lines) and each line parsed as an event (k8s_watch_line_parse). The input is the
 * response body; it is also fed in two parts, the first part's unfinished line carried over as
 * the watch does.
 */
#include <cjson/cJSON.h>
#include <errno.h>

#include "fuzz.h"
#include "k8s/watch.h"

struct seen {
    const char *start, *end; /* the buffer being split */
    size_t lines;            /* lines handed over */
};

static void on_line(void *ctx, const char *text, size_t len)
{
    struct seen *s = ctx;
    FUZZ_CHECK(len > 0 && text >= s->start && text + len <= s->end);
    FUZZ_CHECK(!memchr(text, '\n', len) && text + len < s->end && text[len] == '\n');
    s->lines++;
    struct k8s_watch_line l;
    int r = k8s_watch_line_parse(text, len, &l);
    FUZZ_CHECK(r == 0 || r == -EBADMSG);
    if (r < 0) return;
    FUZZ_CHECK(l.root && cJSON_IsObject(l.object));
    FUZZ_CHECK(l.kind >= K8S_WATCH_OBJECT && l.kind <= K8S_WATCH_ERROR);
    if (l.kind == K8S_WATCH_OBJECT)
        FUZZ_CHECK(l.event == K8S_ADDED || l.event == K8S_MODIFIED || l.event == K8S_DELETED);
    if (l.kind == K8S_WATCH_GONE || l.kind == K8S_WATCH_ERROR) FUZZ_CHECK(!l.resource_version);
    k8s_watch_line_reset(&l);
    k8s_watch_line_reset(&l); /* idempotent */
}

static size_t split(const char *p, size_t n, struct seen *s)
{
    s->start = p;
    s->end = p + n;
    size_t used = k8s_watch_lines(p, n, on_line, s);
    FUZZ_CHECK(used <= n && !memchr(p + used, '\n', n - used));
    FUZZ_CHECK(used == 0 || p[used - 1] == '\n');
    return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = fuzz_strndup(data, size);
    struct seen whole = {0}, parts = {0};
    split(body, size, &whole);

    /* Two chunks: what the first leaves unfinished is carried over in front of the second. */
    size_t cut = size ? data[0] % (size + 1) : 0;
    size_t used = split(body, cut, &parts);
    size_t rest = cut - used;
    char *second = malloc(rest + (size - cut) + 1);
    FUZZ_CHECK(second);
    memcpy(second, body + used, rest);
    memcpy(second + rest, body + cut, size - cut);
    split(second, rest + size - cut, &parts);
    FUZZ_CHECK(parts.lines == whole.lines);
    free(second);
    free(body);
    return 0;
}
