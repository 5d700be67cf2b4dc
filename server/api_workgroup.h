/*
 * api_workgroup: Kubeflow's dashboard API about profiles (CONTRACTS §1), answered from the
 * in-memory access model, with the checks Kubeflow's own dashboard lacks: a user sees only the
 * namespaces they hold a role in.
 */
#pragma once

struct config;
struct http_request;

void api_workgroup_init(const struct config *cfg);
void api_workgroup_exists(struct http_request *r);
void api_workgroup_env_info(struct http_request *r);
void api_namespaces(struct http_request *r);
