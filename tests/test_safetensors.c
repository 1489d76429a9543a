/* test_safetensors.c - the safetensors reader rejects every malformed file cleanly. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safetensors.h"

static char path[256];

static void write_raw(const char *header, const void *data, size_t data_len, long len_override) {
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    unsigned long long n = len_override >= 0 ? (unsigned long long)len_override : strlen(header);
    unsigned char len[8];
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)(n >> (8 * i));
    fwrite(len, 1, 8, f);
    fwrite(header, 1, strlen(header), f);
    if (data_len) fwrite(data, 1, data_len, f);
    fclose(f);
}

static void setup(void) {
    snprintf(path, sizeof path, "/tmp/mo_test_st_%d.safetensors", (int)getpid());
}

static void teardown(void) {
    remove(path);
}

/* Opening fails with `status` and a message that names the file and contains `needle`. */
static void expect_error(mo_status status, const char *needle) {
    st_file f;
    mo_error err = {0};
    mo_status s = st_open(&f, path, &err);
    ck_assert_msg(s == status, "status %s, expected %s (%s)", mo_status_name(s),
                  mo_status_name(status), err.message);
    ck_assert_msg(strstr(err.message, path) != NULL, "message does not name the file: %s",
                  err.message);
    ck_assert_msg(strstr(err.message, needle) != NULL, "message '%s' lacks '%s'", err.message,
                  needle);
}

START_TEST(reads_f32_f16_bf16_and_metadata) {
    const char *h = "{\"__metadata__\":{\"mobileone.config\":\"{\\\"task\\\":\\\"classify\\\"}\"},"
                    "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                    "\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]},"
                    "\"c\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[12,14]}}";
    unsigned char data[14];
    float a[2] = {1.5f, -2.0f};
    memcpy(data, a, 8);
    data[8] = 0x00, data[9] = 0x3c;   /* f16 1.0 */
    data[10] = 0x01, data[11] = 0x00; /* f16 smallest subnormal 2^-24 */
    data[12] = 0x40, data[13] = 0x40; /* bf16 3.0 */
    write_raw(h, data, sizeof data, -1);
    st_file f;
    mo_error err;
    ck_assert_int_eq(st_open(&f, path, &err), MO_OK);
    ck_assert_int_eq(f.num_tensors, 3);
    ck_assert_str_eq(f.config_json, "{\"task\":\"classify\"}");
    float out[2];
    ck_assert_int_eq(st_read_f32(&f, st_find(&f, "a"), out, &err), MO_OK);
    ck_assert(out[0] == 1.5f && out[1] == -2.0f);
    ck_assert_int_eq(st_read_f32(&f, st_find(&f, "b"), out, &err), MO_OK);
    ck_assert(out[0] == 1.0f && out[1] == 0x1p-24f);
    ck_assert_int_eq(st_read_f32(&f, st_find(&f, "c"), out, &err), MO_OK);
    ck_assert(out[0] == 3.0f);
    ck_assert_ptr_null(st_find(&f, "missing"));
    st_close(&f);
}
END_TEST

START_TEST(a_missing_file_is_an_io_error) {
    expect_error(MO_ERR_IO, "cannot open");
}
END_TEST

START_TEST(a_truncated_file_is_rejected) {
    FILE *f = fopen(path, "wb");
    fwrite("\x10\x00\x00", 1, 3, f);
    fclose(f);
    expect_error(MO_ERR_FORMAT, "too short");
}
END_TEST

START_TEST(a_header_length_past_the_end_is_rejected) {
    write_raw("{}", NULL, 0, 4096);
    expect_error(MO_ERR_FORMAT, "past the end");
}
END_TEST

START_TEST(a_header_that_is_not_json_is_rejected) {
    write_raw("{\"a\":", NULL, 0, -1);
    expect_error(MO_ERR_FORMAT, "not a JSON object");
}
END_TEST

START_TEST(data_past_the_end_is_rejected) {
    write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", "12345678", 8,
              -1);
    expect_error(MO_ERR_FORMAT, "truncated");
}
END_TEST

START_TEST(overlapping_tensors_are_rejected) {
    write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
              "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
              "123456789012", 12, -1);
    expect_error(MO_ERR_FORMAT, "overlap");
}
END_TEST

START_TEST(a_size_that_does_not_match_the_shape_is_rejected) {
    write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "12345678", 8, -1);
    expect_error(MO_ERR_FORMAT, "8 bytes for 3 elements");
}
END_TEST

START_TEST(an_unsupported_dtype_is_rejected) {
    write_raw("{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", "12345678", 8, -1);
    expect_error(MO_ERR_FORMAT, "dtype 'F64' is not supported");
}
END_TEST

START_TEST(negative_or_fractional_offsets_are_rejected) {
    write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", "1234", 4, -1);
    expect_error(MO_ERR_FORMAT, "data_offsets");
    write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", "1234", 4, -1);
    expect_error(MO_ERR_FORMAT, "shape[0]");
}
END_TEST

START_TEST(a_duplicate_name_is_rejected) {
    write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
              "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
              "12345678", 8, -1);
    expect_error(MO_ERR_FORMAT, "appears twice");
}
END_TEST

START_TEST(an_i64_tensor_opens_but_does_not_read_as_float) {
    write_raw("{\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}}", "12345678", 8, -1);
    st_file f;
    mo_error err;
    ck_assert_int_eq(st_open(&f, path, &err), MO_OK);
    float out[1];
    ck_assert_int_eq(st_read_f32(&f, st_find(&f, "n"), out, &err), MO_ERR_FORMAT);
    st_close(&f);
}
END_TEST

START_TEST(write_then_read_round_trips_and_leaves_no_temporary) {
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[1] = {-7};
    st_write_tensor t[2] = {{.name = "w", .ndim = 2, .shape = {2, 3}, .data = a},
                            {.name = "b", .ndim = 1, .shape = {1}, .data = b}};
    mo_error err;
    ck_assert_int_eq(st_write(path, t, 2, "{\"task\":\"classify\"}", &err), MO_OK);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ck_assert_int_ne(access(tmp, F_OK), 0);
    st_file f;
    ck_assert_int_eq(st_open(&f, path, &err), MO_OK);
    const st_tensor *w = st_find(&f, "w");
    ck_assert(w && w->ndim == 2 && w->shape[0] == 2 && w->shape[1] == 3);
    float out[6];
    ck_assert_int_eq(st_read_f32(&f, w, out, &err), MO_OK);
    ck_assert(memcmp(out, a, sizeof a) == 0);
    ck_assert_str_eq(f.config_json, "{\"task\":\"classify\"}");
    st_close(&f);
}
END_TEST

START_TEST(writing_into_a_missing_folder_fails_cleanly) {
    const float a[1] = {1};
    st_write_tensor t[1] = {{.name = "w", .ndim = 1, .shape = {1}, .data = a}};
    mo_error err;
    ck_assert_int_eq(st_write("/nonexistent-dir/x.safetensors", t, 1, NULL, &err), MO_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent-dir/x.safetensors.tmp"));
}
END_TEST

int main(void) {
    Suite *s = suite_create("safetensors");
    TCase *tc = tcase_create("reader");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, reads_f32_f16_bf16_and_metadata);
    tcase_add_test(tc, a_missing_file_is_an_io_error);
    tcase_add_test(tc, a_truncated_file_is_rejected);
    tcase_add_test(tc, a_header_length_past_the_end_is_rejected);
    tcase_add_test(tc, a_header_that_is_not_json_is_rejected);
    tcase_add_test(tc, data_past_the_end_is_rejected);
    tcase_add_test(tc, overlapping_tensors_are_rejected);
    tcase_add_test(tc, a_size_that_does_not_match_the_shape_is_rejected);
    tcase_add_test(tc, an_unsupported_dtype_is_rejected);
    tcase_add_test(tc, negative_or_fractional_offsets_are_rejected);
    tcase_add_test(tc, a_duplicate_name_is_rejected);
    tcase_add_test(tc, an_i64_tensor_opens_but_does_not_read_as_float);
    tcase_add_test(tc, write_then_read_round_trips_and_leaves_no_temporary);
    tcase_add_test(tc, writing_into_a_missing_folder_fails_cleanly);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
