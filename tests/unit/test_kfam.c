/* k8s/kfam: names as Kubeflow's KFAM writes them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/kfam.h"
#include "unit.h"

START_TEST(binding_names_match_kfam)
{
    char out[300];
    ck_assert_int_eq(kfam_binding_name("bob@example.com", "edit", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "user-bob-example-com-clusterrole-edit");
    ck_assert_int_eq(kfam_binding_name("Carol.Smith+ml@Example.COM", "view", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "user-carol-smith-ml-example-com-clusterrole-view");
}
END_TEST

START_TEST(binding_names_too_long_are_refused)
{
    char email[300], out[400];
    memset(email, 'a', 250);
    strcpy(email + 250, "@x.io");
    ck_assert_int_eq(kfam_binding_name(email, "edit", out, sizeof(out)), -E2BIG);
}
END_TEST

START_TEST(profile_names_come_from_the_local_part)
{
    char out[64];
    ck_assert_int_eq(kfam_profile_name("Jane.Doe_42@example.com", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "jane-doe-42");
    ck_assert_int_eq(kfam_profile_name("--x--@example.com", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "x");
    ck_assert_int_eq(kfam_profile_name("@example.com", out, sizeof(out)), -EINVAL);
    char email[200];
    memset(email, 'b', 100);
    strcpy(email + 100, "@example.com");
    ck_assert_int_eq(kfam_profile_name(email, out, sizeof(out)), 0);
    ck_assert_int_eq(strlen(out), 63);
}
END_TEST

START_TEST(profiles_are_owned_by_a_user)
{
    char *json = kfam_profile_json("jane", "jane@example.com");
    ck_assert_str_eq(json, "{\"apiVersion\":\"kubeflow.org/v1\",\"kind\":\"Profile\",\"metadata\":"
                           "{\"name\":\"jane\"},\"spec\":{\"owner\":{\"kind\":\"User\",\"name\":"
                           "\"jane@example.com\"}}}");
    free(json);
}
END_TEST

START_TEST(the_username_is_the_part_before_the_at)
{
    char out[64];
    ck_assert_int_eq(kfam_username("erin.x@example.com", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "erin.x");
    ck_assert_int_eq(kfam_username("a@b@example.com", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "a");
    ck_assert_int_eq(kfam_username("system:serviceaccount:alice:x", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "system:serviceaccount:alice:x");
    ck_assert_int_eq(kfam_username("@example.com", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(kfam_username("toolong@example.com", out, 7), -E2BIG);
}
END_TEST

START_TEST(contributors_are_checked_as_kubeflows_dashboard_checks_them)
{
    const char *good[] = {"dave@example.com", "Dave.Jones+ml@Example.COM", "a!#$%&'*+/=?^_`{|}~-@b",
                          "x@localhost", "x@a-b.c1"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ck_assert_msg(kfam_email_is_valid(good[i]), "%s", good[i]);
    char long_label[100] = "x@";
    memset(long_label + 2, 'a', 64);
    const char *bad[] = {"",
                         "dave",
                         "@example.com",
                         "dave@",
                         "a b@example.com",
                         "a@b@example.com",
                         "a\"b@example.com",
                         "a,b@example.com",
                         "a@-example.com",
                         "a@example-.com",
                         "a@example..com",
                         "a@example.com.",
                         "a@exa_mple.com",
                         "system:serviceaccount:alice:x",
                         "d\xc3\xa9@example.com",
                         long_label};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!kfam_email_is_valid(bad[i]), "%s", bad[i]);
    long_label[2 + 63] = '\0';
    ck_assert(kfam_email_is_valid(long_label)); /* 63 is the most a label may have */
}
END_TEST

RUN_SUITE("kfam", binding_names_match_kfam, binding_names_too_long_are_refused,
          profile_names_come_from_the_local_part, profiles_are_owned_by_a_user,
          the_username_is_the_part_before_the_at,
          contributors_are_checked_as_kubeflows_dashboard_checks_them)
