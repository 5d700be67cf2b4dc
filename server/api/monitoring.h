/*
 * api_monitoring: charts from Prometheus (prometheus.url), scoped by profile.
 *
 *   GET /api/charts                                   which charts there are (cluster charts for
 *       cluster admins only): {"configured", "scrapeInterval", "dashboardUrl", "charts": [{"name",
 *       "title", "unit", "scope": "namespace"|"cluster", "workload"}]}
 *   GET /api/namespaces/:namespace/charts/:chart      one chart of a namespace where the caller
 *       holds a role (routes.c); ?name= one workload of it, ?range= or ?start= [&end=], ?step=
 *       (seconds; charts.h bounds them): {"chart", "title", "unit", "scope", "namespace", "name",
 *       "start", "end", "step", "window", "query", "series": [{"label", "labels", "points":
 *       [[t, v|null], ...]}], "truncated"}
 *   GET /api/cluster/charts/:chart                    the same across namespaces (cluster admins)
 *   GET /api/metrics                                  Kubeflow's: {resourceChartsLink,
 *       resourceChartsLinkText}, 405 {"error": "Operation not supported"} without Prometheus
 *   GET /api/metrics/(node|podcpu|podmem)?interval=Last5m|...|Last180m   Kubeflow's queries and
 *       shape, [{timestamp, label, value}], step 10 s; node is for cluster admins (routes.c); for
 *       anyone else podcpu and podmem are summed over their own namespaces only
 *
 * kfdash writes every query itself (charts.h): no PromQL is taken from the client, any other
 * query parameter is refused. Prometheus is called through the engine, bounded in time and
 * answer size; failures are told without Prometheus's address (the log has it).
 *
 * Threads: handlers run on HTTP threads; each call's context goes with its parked request.
 */
#pragma once

struct http_request;

void api_monitoring_charts(struct http_request *r);
void api_monitoring_chart(struct http_request *r);
void api_monitoring_cluster_chart(struct http_request *r);
void api_monitoring_metrics(struct http_request *r);
void api_monitoring_kubeflow(struct http_request *r);      /* /api/metrics/:type */
void api_monitoring_kubeflow_node(struct http_request *r); /* /api/metrics/node */
