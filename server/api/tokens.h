/* tokens: /api/whoami and the personal access tokens API; see tokens.c. */
#pragma once

struct http_request;

void api_whoami(struct http_request *r);
void api_tokens_list(struct http_request *r);
void api_tokens_create(struct http_request *r);
void api_tokens_delete(struct http_request *r);
