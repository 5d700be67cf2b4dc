/* k8s/kfam: see kfam.h. */
#include "k8s/kfam.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OBJECT_NAME_MAX 253
#define LABEL_MAX       63

/* Copies the first n bytes of s, lowercased, with each run of non-alphanumerics as one '-'. */
static size_t squash(const char *s, size_t n, char *out, size_t size)
{
    size_t k = 0;
    bool dash = false;
    for (size_t i = 0; i < n && k + 1 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isascii(c) && isalnum(c)) {
            out[k++] = (char)tolower(c);
            dash = false;
        } else if (!dash) {
            out[k++] = '-';
            dash = true;
        }
    }
    out[k] = '\0';
    return k;
}

int kfam_binding_name(const char *email, const char *role, char *out, size_t size)
{
    char user[OBJECT_NAME_MAX + 2];
    if (strlen(email) > OBJECT_NAME_MAX) return -E2BIG;
    squash(email, strlen(email), user, sizeof(user));
    int n = snprintf(out, size, "user-%s-clusterrole-%s", user, role);
    return n < 0 || (size_t)n >= size || n > OBJECT_NAME_MAX ? -E2BIG : 0;
}

int kfam_profile_name(const char *email, char *out, size_t size)
{
    const char *at = strchr(email, '@');
    size_t n = at ? (size_t)(at - email) : strlen(email);
    char name[LABEL_MAX + 2];
    size_t k = squash(email, n, name, sizeof(name));
    size_t start = 0;
    while (start < k && name[start] == '-') start++;
    while (k > start && name[k - 1] == '-') k--;
    if (k - start > LABEL_MAX) k = start + LABEL_MAX;
    while (k > start && name[k - 1] == '-') k--;
    if (k == start || k - start + 1 > size) return -EINVAL;
    memcpy(out, name + start, k - start);
    out[k - start] = '\0';
    return 0;
}

int kfam_username(const char *email, char *out, size_t size)
{
    size_t n = strcspn(email, "@");
    if (n >= size) return -E2BIG;
    memcpy(out, email, n);
    out[n] = '\0';
    return 0;
}

bool kfam_email_is_valid(const char *s)
{
    static const char local_extra[] = ".!#$%&'*+/=?^_`{|}~-";
    const char *at = strchr(s, '@');
    if (!at || at == s) return false;
    for (const char *c = s; c < at; c++)
        if (!(isascii((unsigned char)*c) && isalnum((unsigned char)*c)) && !strchr(local_extra, *c))
            return false;
    for (const char *label = at + 1;;) {
        size_t n = 0;
        while (isascii((unsigned char)label[n]) &&
               (isalnum((unsigned char)label[n]) || label[n] == '-'))
            n++;
        if (n == 0 || n > LABEL_MAX || label[0] == '-' || label[n - 1] == '-') return false;
        if (label[n] == '\0') return true;
        if (label[n] != '.') return false;
        label += n + 1;
    }
}

char *kfam_profile_json(const char *name, const char *owner_email)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "apiVersion", "kubeflow.org/v1");
    cJSON_AddStringToObject(p, "kind", "Profile");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "metadata"), "name", name);
    cJSON *o = cJSON_AddObjectToObject(cJSON_AddObjectToObject(p, "spec"), "owner");
    cJSON_AddStringToObject(o, "kind", "User");
    cJSON_AddStringToObject(o, "name", owner_email);
    char *json = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    return json;
}
