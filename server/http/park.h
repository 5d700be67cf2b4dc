/*
 * park: a request waits on another server. The request is suspended, the call goes to the
 * upstream engine, and when the answer is in it lands in the caller's slot and `next` runs on an
 * HTTP thread. The one place where http.h and upstream.h meet.
 */
#pragma once

#include "lib/upstream.h"
#include "server/http/http.h"

/*
 * Parks r on call. answer must live as long as the request (keep it in the request's context);
 * it is filled before next runs, also when the call could not even start (answer->error set).
 */
void park_call(struct upstream *u, struct http_request *r, const struct upstream_call *call,
               struct upstream_result *answer, http_next_fn next);
