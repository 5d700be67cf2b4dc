/* least_role: the route table's least role against the caller's; see least_role.h. */
#include "server/gate/least_role.h"

static bool refuse(struct least_role_refusal *ret, const char *message)
{
    *ret = (struct least_role_refusal){403, message};
    return false;
}

bool least_role_met(enum route_role need, enum k8s_role have, bool cluster_admin,
                    bool app_on_shared_origin, struct least_role_refusal *ret)
{
    switch (need) {
    case ROUTE_ANYONE:
        return true;
    case ROUTE_CLUSTER_ADMIN:
        return cluster_admin || refuse(ret, "for cluster admins only");
    case ROUTE_VIEWER:
    case ROUTE_CONTRIBUTOR:
    case ROUTE_OWNER:
        break;
    }
    if (cluster_admin && !app_on_shared_origin) return true;
    /* A page that shares kfdash's origin acts as its visitor: members who may change the
     * namespace anyway, nobody else. */
    if (app_on_shared_origin && need < ROUTE_CONTRIBUTOR) need = ROUTE_CONTRIBUTOR;
    if (have == K8S_ROLE_NONE)
        return refuse(ret, app_on_shared_origin && cluster_admin
                               ? "applications share kfdash's origin here (no apps.domain): only "
                                 "the namespace's owner and contributors may open them"
                               : "you have no role in this namespace");
    if (need == ROUTE_OWNER && have != K8S_ROLE_OWNER)
        return refuse(ret, "only the profile's owner or a cluster admin may do this");
    if (need == ROUTE_CONTRIBUTOR && have < K8S_ROLE_EDIT)
        return refuse(ret, app_on_shared_origin
                               ? "applications share kfdash's origin here (no apps.domain): only "
                                 "the namespace's owner and contributors may open them"
                               : "viewers may only look here: ask the profile's owner to make you "
                                 "a contributor");
    return true;
}
