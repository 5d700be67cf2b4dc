/*
 * api_workgroup: Kubeflow's dashboard API about profiles (CONTRACTS §1), answered from the
 * in-memory access model, with the checks Kubeflow's own dashboard lacks: a user sees only the
 * namespaces they hold a role in.
 */
#pragma once

struct config;
struct http_request;

struct api_workgroup;

/* Self-registrations under way (server/kfdash.h). */
int api_workgroup_new(struct api_workgroup **ret);
void api_workgroup_free(struct api_workgroup *w);
void api_workgroup_exists(struct http_request *r);
void api_workgroup_env_info(struct http_request *r);
void api_namespaces(struct http_request *r);
/*
 * Kubeflow's own routes, answered exactly as Kubeflow's dashboard answers them (CONTRACTS §1,
 * docs/kubeflow.md): a user's username is the part of the email before '@'; create registers
 * a profile (its default name the username) and answers {message}; contributors are the emails
 * of those who edit; nuke-self deletes the profile named after the username, when the caller
 * owns it. Each is checked first: registration allowed, contributors changed by the owner or a
 * cluster admin only, all profiles for admins only.
 */
void api_workgroup_create(struct http_request *r);
void api_workgroup_get_contributors(struct http_request *r);
void api_workgroup_add_contributor(struct http_request *r);
void api_workgroup_remove_contributor(struct http_request *r);
void api_workgroup_get_all_namespaces(struct http_request *r);
void api_workgroup_nuke_self(struct http_request *r);
/*
 * kfdash's own profile routes, with what Kubeflow's shapes cannot carry: POST /api/profiles
 * (201 {namespace, owner}; the default name made valid from the email), DELETE
 * /api/profiles/:namespace (204), and the people of a profile with their roles,
 * [{user, role: contributor|viewer}], listed, added and removed ({user, role}).
 */
void api_profiles_create(struct http_request *r);
void api_profiles_delete(struct http_request *r);
void api_profiles_contributors(struct http_request *r);
void api_profiles_add_contributor(struct http_request *r);
void api_profiles_remove_contributor(struct http_request *r);
/* What the caller may do in a namespace (a SelfSubjectRulesReview as them), for the web app to
 * hide what it may not. */
void api_rules(struct http_request *r);
/* Events of a namespace the caller holds a role in, newest first. */
void api_activities(struct http_request *r);
