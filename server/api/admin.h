/*
 * api_admin: cluster admins manage Dex's local users (Password objects in Dex's Kubernetes
 * storage, bcrypt-hashed, named exactly as Dex names them; see k8s/dexpass.h), optionally
 * creating the new user's profile in the same step. Every route is for cluster admins only.
 */
#pragma once

struct http_request;

void api_admin_users_list(struct http_request *r);
void api_admin_users_create(struct http_request *r);
void api_admin_users_password(struct http_request *r);
void api_admin_users_disable(struct http_request *r);
void api_admin_users_enable(struct http_request *r);
void api_admin_users_delete(struct http_request *r);
