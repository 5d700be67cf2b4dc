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
/* Changes, each checked first: create (registration), contributors (owner or admin only),
 * all profiles (admins only), nuke-self (the caller's own profiles). */
void api_workgroup_create(struct http_request *r);
void api_workgroup_get_contributors(struct http_request *r);
void api_workgroup_add_contributor(struct http_request *r);
void api_workgroup_add_viewer(struct http_request *r);
void api_workgroup_remove_contributor(struct http_request *r);
void api_workgroup_remove_viewer(struct http_request *r);
void api_workgroup_get_all_namespaces(struct http_request *r);
void api_workgroup_nuke_self(struct http_request *r);
/* What the caller may do in a namespace (a SelfSubjectRulesReview as them), for the web app to
 * hide what it may not. */
void api_rules(struct http_request *r);
/* Events of a namespace the caller holds a role in, newest first. */
void api_activities(struct http_request *r);
