/* login: /auth/login, /auth/callback and /auth/logout for browsers; see login.c. */
#pragma once

struct http_request;

void login_start(struct http_request *r);
void login_callback(struct http_request *r);
void login_logout(struct http_request *r);
