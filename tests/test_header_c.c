/* The public header compiles as plain C11 and its basics link. */
#include "mobileone.h"

#include <check.h>
#include <string.h>

START_TEST(status_names_are_their_enum_names) {
    ck_assert_str_eq(mo_status_name(MO_OK), "MO_OK");
    ck_assert_str_eq(mo_status_name(MO_ERR_SHAPE), "MO_ERR_SHAPE");
    ck_assert_str_eq(mo_status_name((mo_status)999), "MO_ERR_UNKNOWN");
}
END_TEST

int main(void) {
    Suite *s = suite_create("header");
    TCase *tc = tcase_create("basics");
    tcase_add_test(tc, status_names_are_their_enum_names);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
