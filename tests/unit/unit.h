/* Shared scaffolding of the Check unit tests: one suite per file, run by RUN_SUITE. */
#pragma once

#include <check.h>
#include <stdlib.h>

#define RUN_SUITE(name, ...)                                                                       \
    int main(void)                                                                                 \
    {                                                                                              \
        Suite *s = suite_create(name);                                                             \
        TCase *tc = tcase_create("all");                                                           \
        const TTest *tests[] = {__VA_ARGS__};                                                      \
        for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)                              \
            tcase_add_test(tc, tests[i]);                                                          \
        suite_add_tcase(s, tc);                                                                    \
        SRunner *sr = srunner_create(s);                                                           \
        srunner_run_all(sr, CK_NORMAL);                                                            \
        int failed = srunner_ntests_failed(sr);                                                    \
        srunner_free(sr);                                                                          \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;                                               \
    }
