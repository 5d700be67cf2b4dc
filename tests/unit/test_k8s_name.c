/* k8s/name: only names Kubernetes itself would accept pass. */
#include "k8s/name.h"
#include "unit.h"

START_TEST(accepts_dns_labels)
{
    ck_assert(k8s_name_is_dns_label("kubeflow"));
    ck_assert(k8s_name_is_dns_label("kubeflow-user-example-com"));
    ck_assert(k8s_name_is_dns_label("a"));
    ck_assert(k8s_name_is_dns_label("0abc9"));
}
END_TEST

START_TEST(rejects_what_would_escape_a_path_or_a_label)
{
    const char *bad[] = {
        "",     "Alice",
        "a_b",  "-a",
        "a-",   "a.b",
        "../x", "a/b",
        "a b",  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!k8s_name_is_dns_label(bad[i]), "%s", bad[i]);
}
END_TEST

RUN_SUITE("k8s_name", accepts_dns_labels, rejects_what_would_escape_a_path_or_a_label)
