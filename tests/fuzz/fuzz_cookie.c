/*
 * Fuzzes what comes back in the browser's cookies: auth/seal's unseal, auth/session's
 * session_open and login_attempt_open, and auth/base64url underneath, with two fixed keys.
 *
 * The first byte picks what the rest is:
 *   0  a cookie value as a browser sends it (forged, truncated, any bytes);
 *   1  the JSON inside a session cookie: sealed here with the real key, so the decoder past the
 *      cipher is reached;
 *   2  the same for a login-attempt cookie;
 *   3  a session keys file (seal_keys_parse).
 * The purposes are kfdash's wire format; LLVMFuzzerInitialize proves they still are.
 */
#include <errno.h>
#include <time.h>

#include "auth/base64url.h"
#include "auth/seal.h"
#include "auth/session.h"
#include "fuzz.h"

#define KEYS                                                                                       \
    "# current\n"                                                                                  \
    "1111111111111111111111111111111111111111111111111111111111111111\n"                           \
    "2222222222222222222222222222222222222222222222222222222222222222\n"
#define PURPOSE_SESSION "kfdash session v1"
#define PURPOSE_LOGIN   "kfdash login attempt v1"
#define NOW             1800000000

static struct seal_keys *keys;

/* Sealing a session and a login attempt must give values these purposes open. */
static void prove_purposes(void)
{
    char *groups[] = {"team-a"};
    struct session s = {.email = "alice@example.com",
                        .groups = groups,
                        .n_groups = 1,
                        .expires = NOW + 60,
                        .recheck_at = NOW + 30};
    struct login_attempt a;
    char *v1 = NULL, *v2 = NULL, *plain = NULL;
    size_t len;
    FUZZ_CHECK(session_random(s.id) == 0 && session_random(s.csrf) == 0);
    FUZZ_CHECK(session_seal(keys, &s, &v1) == 0);
    FUZZ_CHECK(unseal(keys, PURPOSE_SESSION, v1, &plain, &len) == 0);
    free(plain);
    FUZZ_CHECK(login_attempt_new("/", NOW, &a) == 0);
    FUZZ_CHECK(login_attempt_seal(keys, &a, &v2) == 0);
    FUZZ_CHECK(unseal(keys, PURPOSE_LOGIN, v2, &plain, &len) == 0);
    free(plain);
    free(v1);
    free(v2);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[128];
    FUZZ_CHECK(seal_keys_parse(KEYS, &keys, err) == 0);
    prove_purposes();
    return 0;
}

static void open_cookie(const char *value)
{
    struct session s;
    int r = session_open(keys, value, NOW, &s);
    FUZZ_CHECK(r == 0 || r == -ETIME || r == -ENOKEY || r == -EBADMSG || r == -ENOMEM);
    if (r == 0) {
        FUZZ_CHECK(s.email && s.expires > NOW);
        FUZZ_CHECK(strlen(s.id) < sizeof(s.id) && strlen(s.csrf) < sizeof(s.csrf));
        for (size_t i = 0; i < s.n_groups; i++) FUZZ_CHECK(s.groups[i]);
        session_reset(&s);
    }
    struct login_attempt a;
    r = login_attempt_open(keys, value, NOW, &a);
    FUZZ_CHECK(r == 0 || r == -ETIME || r == -ENOKEY || r == -EBADMSG || r == -ENOMEM);
    if (r == 0) {
        FUZZ_CHECK(a.expires > NOW && memchr(a.rd, '\0', sizeof(a.rd)));
        char challenge[SESSION_RANDOM_SIZE];
        login_attempt_challenge(&a, challenge);
        session_rd_is_local(a.rd);
    }
}

/* The bytes as a browser would send them, through every decoder of cookie values. */
static void raw_value(const uint8_t *data, size_t size)
{
    char *value = fuzz_strndup(data, size);
    open_cookie(value);
    char *plain = NULL;
    size_t len;
    int r = unseal(keys, PURPOSE_SESSION, value, &plain, &len);
    FUZZ_CHECK(r == 0 || r == -ENOKEY || r == -EBADMSG || r == -ENOMEM);
    if (r == 0) free(plain);
    session_rd_is_local(value);

    /* base64url: what decodes re-encodes to a text that decodes to the same bytes. */
    unsigned char bytes[SEAL_MAX_TEXT];
    int n = base64url_decode(value, strlen(value), bytes, sizeof(bytes));
    FUZZ_CHECK(n >= 0 || n == -EINVAL || n == -E2BIG);
    if (n >= 0) {
        FUZZ_CHECK((size_t)n <= strlen(value));
        char text[BASE64URL_SIZE(sizeof(bytes))];
        unsigned char again[sizeof(bytes)];
        int t = base64url_encode(bytes, (size_t)n, text, sizeof(text));
        FUZZ_CHECK(t >= 0 && (size_t)t == strlen(text));
        FUZZ_CHECK(base64url_decode(text, (size_t)t, again, sizeof(again)) == n);
        FUZZ_CHECK(memcmp(bytes, again, (size_t)n) == 0);
    }
    free(value);
}

/* plain sealed under purpose with the first key: the decoder past the cipher. */
static void sealed_json(const char *purpose, const uint8_t *data, size_t size)
{
    if (size > SEAL_MAX_PLAIN) return;
    char *value = NULL, *plain = NULL;
    size_t len;
    FUZZ_CHECK(seal(keys, purpose, data, size, &value) == 0);
    FUZZ_CHECK(strlen(value) <= SEAL_MAX_TEXT);
    FUZZ_CHECK(unseal(keys, purpose, value, &plain, &len) == 0);
    FUZZ_CHECK(len == size && memcmp(plain, data, size) == 0);
    free(plain);
    open_cookie(value);
    free(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    switch (data[0] % 4) {
    case 0:
        raw_value(data + 1, size - 1);
        break;
    case 1:
        sealed_json(PURPOSE_SESSION, data + 1, size - 1);
        break;
    case 2:
        sealed_json(PURPOSE_LOGIN, data + 1, size - 1);
        break;
    case 3: {
        char *text = fuzz_strndup(data + 1, size - 1), err[128];
        struct seal_keys *k = NULL;
        int r = seal_keys_parse(text, &k, err);
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
        if (r == -EINVAL) FUZZ_CHECK(memchr(err, '\0', sizeof(err)));
        seal_keys_free(k);
        free(text);
        break;
    }
    }
    return 0;
}
