/* auth/headers: identity headers dropped at the door; see headers.h. */
#include "auth/headers.h"

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

static const char *const exact[] = {
    "kubeflow-userid",
    "kubeflow-groups",
    "x-mlflow-workspace",
    "x-forwarded-user",
    "x-forwarded-email",
    "x-forwarded-groups",
    "x-forwarded-preferred-username",
    "x-forwarded-access-token",
};

static const char *const prefixes[] = {"impersonate-", "x-auth-request-"};

/* One character of a header name as servers compare them: case folded, and '_' as '-' (WSGI
 * and CGI servers turn both into the same variable, so kubeflow_userid reaches them as
 * kubeflow-userid). */
static int fold(char c)
{
    return c == '_' ? '-' : tolower((unsigned char)c);
}

/* The first n characters of name and want match (n = SIZE_MAX: all of both). */
static bool same(const char *name, const char *want, size_t n)
{
    size_t i = 0;
    for (; i < n && want[i]; i++)
        if (fold(name[i]) != fold(want[i])) return false;
    return i == n || name[i] == '\0';
}

bool auth_header_is_identity(const char *name, const char *userid_header)
{
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
        if (same(name, exact[i], SIZE_MAX)) return true;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (same(name, prefixes[i], strlen(prefixes[i]))) return true;
    return userid_header && *userid_header && same(name, userid_header, SIZE_MAX);
}

bool auth_cookie_is_kfdash(const char *name, size_t len)
{
    static const char *const cookie_prefixes[] = {"__Host-", "__Secure-"};
    while (len && (*name == ' ' || *name == '\t')) name++, len--;
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(cookie_prefixes[i]);
        if (len >= n && strncasecmp(name, cookie_prefixes[i], n) == 0) name += n, len -= n;
    }
    return len >= 6 && strncasecmp(name, "kfdash", 6) == 0;
}

bool auth_sets_kfdash_cookie(const char *name, const char *value)
{
    return strcasecmp(name, "Set-Cookie") == 0 &&
           auth_cookie_is_kfdash(value, strcspn(value, "=;"));
}
