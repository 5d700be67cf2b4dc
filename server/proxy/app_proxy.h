/*
 * app_proxy: the applications users open in a profile namespace, carried through kfdash's own
 * origin with the user's identity: notebooks (/notebook/<ns>/<name>/..., HTTP and WebSocket, to
 * notebooks.url_template with the path kept, as Kubeflow's notebook servers expect) and Spark
 * driver UIs (/spark/<ns>/<app>/..., to spark.ui_url_template with the prefix stripped and sent
 * as X-Forwarded-Context, and the UI's redirects put back under the prefix).
 *
 * Only a user with a role in <ns> (or a cluster admin) gets through; request bodies stream up to
 * notebooks.max_upload_bytes.
 */
#pragma once

struct config;
struct http_request;

void app_proxy_notebook(struct http_request *r);
void app_proxy_spark(struct http_request *r);
