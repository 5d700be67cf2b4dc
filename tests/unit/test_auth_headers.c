/* auth/headers: every header that claims an identity is recognised, whatever its case. */
#include "auth/headers.h"
#include "unit.h"

START_TEST(recognises_kubeflow_impersonation_and_proxy_identity_headers)
{
    const char *spoofs[] = {
        "kubeflow-userid",      "Kubeflow-Groups",          "Impersonate-User",
        "impersonate-group",    "Impersonate-Extra-scopes", "X-MLFLOW-WORKSPACE",
        "X-Auth-Request-Email", "x-auth-request-user",      "X-Forwarded-User",
        "X-Forwarded-Email",    "X-Forwarded-Groups",       "X-Forwarded-Access-Token"};
    for (size_t i = 0; i < sizeof(spoofs) / sizeof(spoofs[0]); i++)
        ck_assert_msg(auth_header_is_identity(spoofs[i], "kubeflow-userid"), "%s", spoofs[i]);
}
END_TEST

START_TEST(recognises_a_configured_userid_header)
{
    ck_assert(auth_header_is_identity("X-Goog-Authenticated-User-Email",
                                      "x-goog-authenticated-user-email"));
    ck_assert(!auth_header_is_identity("X-Goog-Authenticated-User-Email", "kubeflow-userid"));
}
END_TEST

START_TEST(leaves_ordinary_headers_alone)
{
    const char *fine[] = {"Accept",          "Cookie",       "Authorization", "X-Forwarded-Proto",
                          "X-Forwarded-For", "X-Request-Id", "Kubeflow"};
    for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
        ck_assert_msg(!auth_header_is_identity(fine[i], "kubeflow-userid"), "%s", fine[i]);
}
END_TEST

START_TEST(recognises_identity_headers_spelled_with_underscores)
{
    /* WSGI and CGI servers fold '_' into '-': kubeflow_userid reaches them as kubeflow-userid. */
    const char *spoofs[] = {"kubeflow_userid",  "KUBEFLOW_GROUPS",      "X_MLFLOW_WORKSPACE",
                            "Impersonate_User", "x_auth_request_email", "X-Forwarded_User"};
    for (size_t i = 0; i < sizeof(spoofs) / sizeof(spoofs[0]); i++)
        ck_assert_msg(auth_header_is_identity(spoofs[i], "kubeflow-userid"), "%s", spoofs[i]);
    ck_assert(auth_header_is_identity("x_goog_authenticated_user_email",
                                      "X-Goog-Authenticated-User-Email"));
    ck_assert(!auth_header_is_identity("kubeflow_userid_x", "kubeflow-userid"));
    ck_assert(!auth_header_is_identity("kubeflow_user", "kubeflow-userid"));
}
END_TEST

RUN_SUITE("auth_headers", recognises_kubeflow_impersonation_and_proxy_identity_headers,
          recognises_a_configured_userid_header, leaves_ordinary_headers_alone,
          recognises_identity_headers_spelled_with_underscores)
