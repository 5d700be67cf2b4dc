/*
 * Fuzzes server/path: path_normalize on a request target as the client sent it, and
 * path_decode_component on a query component. A normalised path must be canonical (normalising
 * its raw form again gives the same two strings) and free of what the header promises to remove.
 */
#include <errno.h>

#include "fuzz.h"
#include "server/http/path.h"

static void check_canonical(const char *path)
{
    FUZZ_CHECK(path[0] == '/');
    FUZZ_CHECK(!strstr(path, "//"));
    FUZZ_CHECK(!strstr(path, "/./") && !strstr(path, "/../"));
    size_t n = strlen(path);
    FUZZ_CHECK(!(n >= 2 && strcmp(path + n - 2, "/.") == 0));
    FUZZ_CHECK(!(n >= 3 && strcmp(path + n - 3, "/..") == 0));
    for (const char *c = path; *c; c++) FUZZ_CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *target = (const char *)data;
    char *path = NULL, *raw = NULL;
    int r = path_normalize(target, size, &path, &raw);
    FUZZ_CHECK(r == 0 || r == -EINVAL || r == -E2BIG || r == -ENOMEM);
    if (r == 0) {
        check_canonical(path);
        FUZZ_CHECK(raw[0] == '/' && !strstr(raw, "//"));
        FUZZ_CHECK(strlen(path) <= PATH_MAX_BYTES && strlen(raw) <= PATH_MAX_BYTES);
        char *path2 = NULL, *raw2 = NULL;
        FUZZ_CHECK(path_normalize(raw, strlen(raw), &path2, &raw2) == 0);
        FUZZ_CHECK(strcmp(path, path2) == 0 && strcmp(raw, raw2) == 0);
        free(path2);
        free(raw2);
        free(path);
        free(raw);
    }

    for (int plus = 0; plus <= 1; plus++) {
        char *out = NULL;
        r = path_decode_component(target, size, plus, &out);
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
        if (r == 0) {
            FUZZ_CHECK(strlen(out) <= size);
            FUZZ_CHECK(!plus || !memchr(out, '+', strlen(out)) || memchr(data, '%', size));
            free(out);
        }
    }
    return 0;
}
