/*
 * kfdash: the parts of one running server, made once by main.c in dependency order and reached
 * by every handler through its request (kfdash_of). Nothing here is a module global: a unit
 * test builds the parts it needs and leaves the rest NULL.
 *
 * Threads: the struct is read-only once serving starts; each part says how it may be used.
 */
#pragma once

#include "server/http/http.h"

struct config;
struct oidc;
struct store;
struct seal_keys;
struct upstream;
struct kube;
struct sar;
struct shared_state;
struct dex_users;
struct gate;
struct fairness;
struct apps;
struct tunnels;
struct serving;
struct dashboard;
struct health;
struct web;
struct api_diagnostics;
struct api_k8s;
struct api_notebooks;
struct api_mlflow;
struct api_workgroup;

struct kfdash {
    const struct config *cfg;     /* the settings */
    struct upstream *engine;      /* users' traffic: proxied requests, calls made as a user */
    struct upstream *own_engine;  /* kfdash's own work (watches, sign-in, token and access
                                     reviews): users' traffic cannot fill it */
    struct oidc *provider;        /* Dex; NULL when oidc.issuer is empty */
    struct store *store;          /* sessions and personal access tokens */
    const struct seal_keys *keys; /* seal cookies and refresh tokens */
    struct kube *kube;            /* the API server (kube_on: whether one is configured) */
    struct sar *sar;              /* SubjectAccessReviews, remembered briefly */
    struct shared_state *shared;  /* sessions and tokens every replica sees; NULL when off */
    struct dex_users *dex_users;  /* Dex's users followed; NULL without Dex's storage */
    struct gate *gate;            /* who is asking: gateways, token reviews, renewals */
    struct fairness *fairness;    /* each client's share: in flight, rate (NULL: unlimited) */
    struct apps *apps;            /* applications on hosts of their own */
    struct tunnels *tunnels;      /* WebSocket relays */
    struct serving *serving;      /* model addresses */
    struct dashboard *dashboard;  /* Kubeflow's links and settings */
    struct health *health;        /* what /readyz checks */
    struct web *web;              /* the single-page app's files */
    struct api_diagnostics *diagnostics; /* the cluster-wide lists diagnoses share */
    struct api_k8s *api_k8s;             /* /api/k8s: the resources it allows */
    struct api_notebooks *notebooks;     /* the spawner's catalog */
    struct api_mlflow *mlflow;           /* MLflow workspaces known to exist */
    struct api_workgroup *workgroup;     /* profiles being created */
};

/* The server a request came to. */
static inline const struct kfdash *kfdash_of(const struct http_request *r)
{
    return (const struct kfdash *)http_request_app(r);
}
