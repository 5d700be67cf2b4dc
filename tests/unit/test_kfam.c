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

RUN_SUITE("kfam", binding_names_match_kfam, binding_names_too_long_are_refused,
          profile_names_come_from_the_local_part, profiles_are_owned_by_a_user)
