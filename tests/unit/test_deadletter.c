/*
 * test_deadletter.c - the dead-letter sink (engine/sink/deadletter.c): the line format read back
 * with jansson (text and base64 raw, the 1 KiB cut, escaping of bytes that are not UTF-8) and the
 * counters per reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sink/sink.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static json_t *format_one(const dn__dead *d)
{
    dn__buf b;
    dn__buf_init(&b);
    assert_int_equal(dn__deadletter_format(&b, d), 0);
    assert_true(b.len > 0 && b.data[b.len - 1] == '\n');
    assert_null(memchr(b.data, '\n', b.len - 1)); /* one line */
    json_error_t err;
    json_t *j = json_loadb(b.data, b.len, 0, &err);
    assert_non_null(j);
    dn__buf_free(&b);
    return j;
}

static void text_line(void **state)
{
    const char raw[] = "{\"id\":\"x\",\"q\":\"tab\\there\"}";
    dn__dead d = {.reason = "bad_type:ts",
                  .detail = "ts must be an integer",
                  .source = "in.ndjson",
                  .offset = 1234,
                  .line = 7,
                  .raw = raw,
                  .raw_len = sizeof(raw) - 1,
                  .full_len = sizeof(raw) - 1,
                  .is_text = true};
    json_t *j = format_one(&d);
    assert_string_equal(json_string_value(json_object_get(j, "reason")), "bad_type:ts");
    assert_string_equal(json_string_value(json_object_get(j, "detail")), "ts must be an integer");
    assert_string_equal(json_string_value(json_object_get(j, "source")), "in.ndjson");
    assert_int_equal(json_integer_value(json_object_get(j, "offset")), 1234);
    assert_int_equal(json_integer_value(json_object_get(j, "line")), 7);
    assert_string_equal(json_string_value(json_object_get(j, "raw")), raw); /* as is */
    assert_null(json_object_get(j, "raw_b64"));
    assert_null(json_object_get(j, "raw_truncated"));
    json_decref(j);
}

static void binary_line_and_cut(void **state)
{
    uint8_t raw[3000];
    for (size_t i = 0; i < sizeof(raw); i++)
        raw[i] = (uint8_t)(i * 7);
    dn__dead d = {.reason = "frame_too_large",
                  .source = "in.mp",
                  .offset = 9,
                  .raw = raw,
                  .raw_len = sizeof(raw),
                  .full_len = 1u << 20};
    json_t *j = format_one(&d);
    assert_null(json_object_get(j, "line"));
    assert_null(json_object_get(j, "raw"));
    const char *b64 = json_string_value(json_object_get(j, "raw_b64"));
    assert_non_null(b64);
    assert_int_equal(strlen(b64), (1024 + 2) / 3 * 4);
    assert_true(json_is_true(json_object_get(j, "raw_truncated")));
    assert_string_equal(json_string_value(json_object_get(j, "detail")), "");
    json_decref(j);
    /* Small binary: whole, and exact base64. */
    d.raw = "\x81\xa1i";
    d.raw_len = 3;
    d.full_len = 3;
    j = format_one(&d);
    assert_string_equal(json_string_value(json_object_get(j, "raw_b64")), "gaFp");
    assert_null(json_object_get(j, "raw_truncated"));
    json_decref(j);
}

/* Bytes that are not UTF-8 in a text frame still give a valid JSON line. */
static void non_utf8_text(void **state)
{
    const char raw[] = "{\"id\":\"\xff\xfe\"}\x01";
    dn__dead d = {.reason = "invalid_json",
                  .source = "s",
                  .raw = raw,
                  .raw_len = sizeof(raw) - 1,
                  .full_len = sizeof(raw) - 1,
                  .is_text = true,
                  .line = 1};
    json_t *j = format_one(&d);
    const char *back = json_string_value(json_object_get(j, "raw"));
    assert_non_null(back);
    assert_non_null(strstr(back, "\xef\xbf\xbd")); /* U+FFFD */
    json_decref(j);
}

static void counts_and_file(void **state)
{
    char path[] = "/tmp/dn_test_dl_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    dn__deadletter *dl;
    assert_int_equal(dn__deadletter_open(path, false, &dl), 0);
    assert_true(dn__deadletter_is_kept(dl));
    char reason[32];
    const char *reasons[] = {"a", "b", "a", "c", "a"};
    for (int i = 0; i < 5; i++) {
        /* The reason lives in a buffer the caller reuses, as a decoder's does. */
        snprintf(reason, sizeof(reason), "%s", reasons[i]);
        dn__dead d = {.reason = reason,
                      .source = "f",
                      .raw = "{}",
                      .raw_len = 2,
                      .full_len = 2,
                      .is_text = true};
        assert_int_equal(dn__deadletter_write(dl, &d), 0);
    }
    assert_int_equal(dn__deadletter_total(dl), 5);
    assert_int_equal(dn__deadletter_reason_count(dl), 3);
    const char *r;
    uint64_t n;
    dn__deadletter_reason(dl, 0, &r, &n);
    assert_string_equal(r, "a");
    assert_int_equal(n, 3);
    dn__deadletter_reason(dl, 2, &r, &n);
    assert_string_equal(r, "c");
    assert_int_equal(n, 1);
    assert_int_equal(dn__deadletter_close(dl), 0);
    FILE *f = fopen(path, "rb");
    char line[512];
    int lines = 0;
    while (fgets(line, sizeof(line), f)) {
        json_error_t err;
        json_t *j = json_loads(line, 0, &err);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "reason")), reasons[lines]);
        json_decref(j);
        lines++;
    }
    fclose(f);
    assert_int_equal(lines, 5);
    unlink(path);
    /* Count only. */
    assert_int_equal(dn__deadletter_open(NULL, false, &dl), 0);
    assert_false(dn__deadletter_is_kept(dl));
    dn__dead d = {.reason = "x", .source = "f", .raw = "", .is_text = true};
    assert_int_equal(dn__deadletter_write(dl, &d), 0);
    assert_int_equal(dn__deadletter_total(dl), 1);
    assert_int_equal(dn__deadletter_close(dl), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_line),
        cmocka_unit_test(binary_line_and_cut),
        cmocka_unit_test(non_utf8_text),
        cmocka_unit_test(counts_and_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
