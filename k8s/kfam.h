/*
 * k8s/kfam: the names Kubeflow's access management (KFAM) gives things, so what kfdash writes is
 * what KFAM would have written and Kubeflow's own tools find it. Pure, thread-safe.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* "user-<email, each run of [^a-zA-Z0-9] as '-', lowercased>-clusterrole-<role>", the name of a
 * contributor's RoleBinding and AuthorizationPolicy. role: "edit" or "view". -E2BIG when it
 * would not be a valid object name (over 253) or not fit out. */
int kfam_binding_name(const char *email, const char *role, char *out, size_t size);

/* The profile name the registration page proposes: the email's local part, lowercased, runs of
 * other characters as '-', no '-' at either end, at most 63. -EINVAL when nothing is left. */
int kfam_profile_name(const char *email, char *out, size_t size);

/* Kubeflow's user name of an email (the dashboard's attach_user_middleware.ts): the part before
 * the first '@', or all of it without one. It is what /api/workgroup/exists calls the user, the
 * default name of a profile registered there, and the profile nuke-self deletes. -E2BIG when it
 * does not fit out. */
int kfam_username(const char *email, char *out, size_t size);

/* Whether s passes the dashboard's check of a contributor (api_workgroup.ts EMAIL_RGX, the
 * WHATWG "valid e-mail address"): a local part of letters, digits and .!#$%&'*+/=?^_`{|}~-,
 * '@', then dot-separated labels of letters, digits and '-' (1-63, no '-' at either end). */
bool kfam_email_is_valid(const char *s);

/* The Profile a user owns, as profile-controller expects it (kubeflow.org/v1, spec.owner a
 * User): JSON to POST, heap; NULL without memory. */
char *kfam_profile_json(const char *name, const char *owner_email);
