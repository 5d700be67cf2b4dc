/* auth/identity: see identity.h. */
#include "auth/identity.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A group name that can travel in a comma-separated header: printable, no comma, not empty. */
static bool group_is_safe(const char *g)
{
    if (!*g) return false;
    for (; *g; g++)
        if ((unsigned char)*g < 0x20 || *g == 0x7f || *g == ',') return false;
    return true;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

bool identity_name_is_reserved(const char *name)
{
    size_t n = strlen(name);
    return strncmp(name, "system:", 7) == 0 || (n && (is_space(name[0]) || is_space(name[n - 1])));
}

bool identity_name_is_safe(const char *name)
{
    if (!*name) return false;
    for (; *name; name++)
        if ((unsigned char)*name < 0x20 || *name == 0x7f) return false;
    return true;
}

struct identity *identity_new(enum identity_source source, const char *email,
                              const char *const *groups, size_t n_groups)
{
    if (!identity_name_is_safe(email)) return NULL; /* it would break the headers it goes in */
    if (n_groups > IDENTITY_MAX_GROUPS) n_groups = IDENTITY_MAX_GROUPS;
    struct identity *who = calloc(1, sizeof(*who));
    if (!who) return NULL;
    who->source = source;
    who->email = strdup(email);
    who->groups = calloc(n_groups + 1, sizeof(char *));
    if (!who->email || !who->groups) goto fail;
    for (size_t i = 0; i < n_groups; i++) {
        if (!group_is_safe(groups[i])) continue;
        /* Only the API server may put someone in system:masters or system:nodes. */
        if (source != IDENTITY_SERVICE_ACCOUNT && identity_name_is_reserved(groups[i])) continue;
        if (!(who->groups[who->n_groups] = strdup(groups[i]))) goto fail;
        who->n_groups++;
    }
    return who;
fail:
    identity_free(who);
    return NULL;
}

void identity_free(struct identity *who)
{
    if (!who) return;
    for (size_t i = 0; i < who->n_groups; i++) free(who->groups[i]);
    free(who->groups);
    free(who->email);
    free(who->session_id);
    free(who->csrf);
    free(who);
}

const char *identity_source_name(enum identity_source source)
{
    switch (source) {
    case IDENTITY_SESSION:
        return "session";
    case IDENTITY_ID_TOKEN:
        return "id-token";
    case IDENTITY_SERVICE_ACCOUNT:
        return "service-account";
    case IDENTITY_PERSONAL_TOKEN:
        return "personal-token";
    case IDENTITY_GATEWAY:
        return "gateway";
    }
    return "unknown";
}

char *identity_groups_joined(const struct identity *who)
{
    size_t len = 1;
    for (size_t i = 0; i < who->n_groups; i++) len += strlen(who->groups[i]) + 1;
    char *out = malloc(len), *p = out;
    if (!out) return NULL;
    for (size_t i = 0; i < who->n_groups; i++) {
        if (i) *p++ = ',';
        size_t n = strlen(who->groups[i]);
        memcpy(p, who->groups[i], n);
        p += n;
    }
    *p = '\0';
    return out;
}
