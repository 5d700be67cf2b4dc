/*
 * Fuzzes server/config: config_load with a JSON config file (--config) and environment values.
 * The input is the file, then a NUL byte, then environment lines ("NAME=value", one per line);
 * without a NUL it is all file, and an empty file part means no --config at all. The file is a
 * scratch file of this process, rewritten for every input.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <unistd.h>

#include "fuzz.h"
#include "server/config.h"

#define MAX_ENV 64

static char path[] = "/tmp/kfdash-fuzz-config-XXXXXX";
static int fd = -1;

static void remove_file(void)
{
    unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fd = mkstemp(path);
    FUZZ_CHECK(fd >= 0);
    atexit(remove_file);
    return 0;
}

static void check_loaded(const struct config *c)
{
    FUZZ_CHECK(c->n_listen >= 1 && c->n_listen <= CONFIG_MAX_LISTEN);
    for (size_t i = 0; i < c->n_listen; i++) FUZZ_CHECK(c->listen[i] && *c->listen[i]);
    FUZZ_CHECK(c->log_level && c->userid_header && *c->userid_header && c->pod_namespace);
    FUZZ_CHECK(c->max_header_bytes >= 1024 && c->max_url_bytes >= 256);
    char *json = config_to_json(c);
    FUZZ_CHECK(json);
    cJSON *parsed = cJSON_Parse(json);
    FUZZ_CHECK(cJSON_IsObject(parsed));
    cJSON_Delete(parsed);
    free(json);
    char *admins = strdup(c->cluster_admins);
    const char *items[16];
    size_t n = config_split_list(admins, items, 16);
    for (size_t i = 0; i < n; i++) FUZZ_CHECK(*items[i] && items[i][0] != ' ');
    free(admins);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t file_len = nul ? (size_t)(nul - data) : size;
    FUZZ_CHECK(ftruncate(fd, 0) == 0);
    FUZZ_CHECK(pwrite(fd, data, file_len, 0) == (ssize_t)file_len);

    char *env[MAX_ENV + 1] = {NULL};
    size_t n_env = 0;
    if (nul) {
        const uint8_t *p = nul + 1, *end = data + size;
        while (p < end && n_env < MAX_ENV) {
            const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            env[n_env++] = fuzz_strndup(p, n);
            p += n + 1;
        }
    }

    char *argv[] = {"kfdash", "--config", path, NULL};
    int argc = file_len ? 3 : 1;
    struct config c;
    enum config_action action;
    char err[CONFIG_ERROR_MAX];
    int r = config_load(argc, argv, env, &c, &action, err);
    FUZZ_CHECK(r == 0 || r == -EINVAL);
    if (r == 0) {
        FUZZ_CHECK(action == CONFIG_RUN);
        check_loaded(&c);
        config_reset(&c);
    } else {
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)) && err[0]);
    }
    for (size_t i = 0; i < n_env; i++) free(env[i]);
    return 0;
}
