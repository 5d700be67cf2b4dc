/* path: request-path normalisation; see path.h. */
#include "server/http/path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/hex.h"

/* Decodes one segment into out (at least len+1 bytes). Returns its length or -EINVAL. */
static int decode_segment(const char *s, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (len - i < 3) return -EINVAL;
            int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0) return -EINVAL;
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
            /* An encoded separator would make one segment look like two further on. */
            if (c == '/' || c == '\\') return -EINVAL;
        }
        if (c < 0x20 || c == 0x7f) return -EINVAL;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return (int)o;
}

struct segment {
    const char *raw; /* points into the target */
    size_t raw_len;
};

int path_normalize(const char *target, size_t len, char **ret_path, char **ret_raw)
{
    if (len == 0 || target[0] != '/') return -EINVAL;
    if (len > PATH_MAX_BYTES) return -E2BIG;

    /* At most one segment per two bytes ("/a"), so this bound holds. */
    size_t max_segs = len / 2 + 1;
    struct segment *segs = calloc(max_segs, sizeof(*segs));
    char *scratch = malloc(len + 1);
    if (!segs || !scratch) {
        free(segs);
        free(scratch);
        return -ENOMEM;
    }

    int r = 0;
    size_t n = 0;
    int trailing_slash = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && target[i] == '/') i++;
        size_t start = i;
        while (i < len && target[i] != '/') i++;
        size_t seg_len = i - start;
        trailing_slash = seg_len == 0 || i < len;
        if (seg_len == 0) continue;
        int d = decode_segment(target + start, seg_len, scratch);
        if (d < 0) {
            r = d;
            goto out;
        }
        if (strcmp(scratch, ".") == 0) {
            trailing_slash = 1;
            continue;
        }
        if (strcmp(scratch, "..") == 0) {
            if (n == 0) {
                r = -EINVAL;
                goto out;
            }
            n--;
            trailing_slash = 1;
            continue;
        }
        segs[n++] = (struct segment){target + start, seg_len};
    }

    struct buf path, raw;
    buf_init(&path, PATH_MAX_BYTES);
    buf_init(&raw, PATH_MAX_BYTES);
    for (size_t k = 0; k < n; k++) {
        int d = decode_segment(segs[k].raw, segs[k].raw_len, scratch);
        buf_add(&path, "/", 1);
        buf_add(&path, scratch, (size_t)d);
        buf_add(&raw, "/", 1);
        buf_add(&raw, segs[k].raw, segs[k].raw_len);
    }
    if (n == 0 || trailing_slash) {
        buf_add(&path, "/", 1);
        buf_add(&raw, "/", 1);
    }
    r = buf_error(&path) ? buf_error(&path) : buf_error(&raw);
    if (r == 0) {
        *ret_path = buf_take(&path, NULL);
        *ret_raw = buf_take(&raw, NULL);
    }
    buf_reset(&path);
    buf_reset(&raw);
out:
    free(segs);
    free(scratch);
    return r;
}

int path_decode_component(const char *s, size_t len, int plus_is_space, char **ret)
{
    char *out = malloc(len + 1);
    if (!out) return -ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            if (len - i < 3) goto bad;
            int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0) goto bad;
            c = (char)(hi << 4 | lo);
            i += 2;
            if (c == '\0') goto bad;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        out[o++] = c;
    }
    out[o] = '\0';
    *ret = out;
    return 0;
bad:
    free(out);
    return -EINVAL;
}
