/*
 * api_spark: the Spark applications of a profile namespace (sparkoperator.k8s.io/v1beta2).
 *
 *   GET    /api/spark/templates                                  {"templates":[...]}
 *   GET    /api/namespaces/:namespace/sparkapplications          {"applications":[summary...],
 *          "truncated": bool} (newest first, at most 1000)
 *   POST   /api/namespaces/:namespace/sparkapplications          201 {"application":summary}
 *   GET    /api/namespaces/:namespace/sparkapplications/:app     {"application","object"}
 *   DELETE /api/namespaces/:namespace/sparkapplications/:app     {}
 *   GET    /api/namespaces/:namespace/sparkapplications/:app/logs  the driver's log, streamed
 *          (?tailLines=N, default 1000, at most 10000; ?follow=true)
 *
 * The summary and the submit form are k8s/sparkapp.h's. Every namespaced call needs a role in
 * the namespace (or a cluster admin), then goes to the API server as the user, which decides
 * the verb; its refusals pass on. Handlers run on HTTP threads and park while the API server
 * answers.
 */
#pragma once

struct http_request;

void api_spark_templates(struct http_request *r);
void api_spark_list(struct http_request *r);
void api_spark_create(struct http_request *r);
void api_spark_get(struct http_request *r);
void api_spark_delete(struct http_request *r);
void api_spark_logs(struct http_request *r);
