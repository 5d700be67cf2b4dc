/* auth/identity: no claim of a provider or a gateway can name a group or user the API server
 * keeps for itself, however it is padded. */
#include "auth/identity.h"
#include "unit.h"

START_TEST(system_names_are_reserved_with_or_without_padding)
{
    const char *reserved[] = {"system:masters",  " system:masters", "system:masters ",
                              "\tsystem:nodes",  "team ",           " team",
                              "system:anonymous"};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        ck_assert_msg(identity_name_is_reserved(reserved[i]), "'%s'", reserved[i]);
    ck_assert(!identity_name_is_reserved("team a"));
    ck_assert(!identity_name_is_reserved("alice@example.com"));
}
END_TEST

START_TEST(a_provider_cannot_put_anyone_in_a_padded_system_group)
{
    /* " system:masters" would reach the API server trimmed, as system:masters. */
    const char *groups[] = {"data-science", " system:masters", "system:masters\t", "system:nodes",
                            "ok"};
    struct identity *who = identity_new(IDENTITY_ID_TOKEN, "alice@example.com", groups, 5);
    ck_assert_ptr_nonnull(who);
    ck_assert_uint_eq(who->n_groups, 2);
    ck_assert_str_eq(who->groups[0], "data-science");
    ck_assert_str_eq(who->groups[1], "ok");
    identity_free(who);
}
END_TEST

START_TEST(the_api_servers_own_reviews_keep_their_system_groups)
{
    const char *groups[] = {"system:serviceaccounts", "system:serviceaccounts:alice"};
    struct identity *who =
        identity_new(IDENTITY_SERVICE_ACCOUNT, "system:serviceaccount:alice:x", groups, 2);
    ck_assert_uint_eq(who->n_groups, 2);
    identity_free(who);
}
END_TEST

START_TEST(an_email_that_would_break_a_header_line_is_no_identity)
{
    const char *bad[] = {"mallory@example.com\r\nimpersonate-group: system:masters",
                         "mallory@example.com\nkubeflow-userid: alice@example.com",
                         "tab\t@example.com", "", "del\x7f@example.com"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert(!identity_name_is_safe(bad[i]));
        ck_assert_ptr_null(identity_new(IDENTITY_SESSION, bad[i], NULL, 0));
    }
    ck_assert(identity_name_is_safe("alice@example.com"));
    struct identity *who = identity_new(IDENTITY_SESSION, "alice@example.com", NULL, 0);
    ck_assert_ptr_nonnull(who);
    identity_free(who);
}
END_TEST

RUN_SUITE("identity", an_email_that_would_break_a_header_line_is_no_identity,
          system_names_are_reserved_with_or_without_padding,
          a_provider_cannot_put_anyone_in_a_padded_system_group,
          the_api_servers_own_reviews_keep_their_system_groups)
