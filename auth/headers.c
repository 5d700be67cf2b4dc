/* auth/headers: identity headers dropped at the door; see headers.h. */
#include "auth/headers.h"

#include <stddef.h>
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

bool auth_header_is_identity(const char *name, const char *userid_header)
{
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
        if (strcasecmp(name, exact[i]) == 0) return true;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (strncasecmp(name, prefixes[i], strlen(prefixes[i])) == 0) return true;
    return userid_header && *userid_header && strcasecmp(name, userid_header) == 0;
}
