/*
 * test_reader.c - the readers (engine/ingest/reader.c): frame cutting for NDJSON, bare and
 * length-prefixed msgpack, sniffing, limits, garbage and truncation. Most tests read from memory
 * with a small buffer so that frames cross refills; one reads a real file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dragnet/error.h"
#include "ingest/ingest.h"
#include "mp_helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct rec {
    const char *reject; /* "" for a good frame */
    uint64_t offset, line, full_len;
    size_t len;
    bool is_json, unterminated;
    char head[8];
} rec;

/* Reads every frame of data; returns how many (at most max). */
static size_t read_all(const void *data, size_t len, dn__format fmt, size_t frame_max,
                       size_t buf_size, rec *out, size_t max)
{
    dn__reader *r;
    dn__reader_opts o = {.format = fmt, .frame_max = frame_max, .buf_size = buf_size};
    assert_int_equal(dn__reader_open_mem(data, len, &o, &r), 0);
    size_t n = 0;
    dn__frame f;
    int rc;
    while ((rc = dn__reader_next(r, &f)) == 0) {
        assert_true(n < max);
        rec *x = &out[n++];
        memset(x, 0, sizeof(*x));
        x->reject = f.reject ? f.reject : "";
        x->offset = f.offset;
        x->line = f.line;
        x->full_len = f.full_len;
        x->len = f.len;
        x->is_json = f.is_json;
        x->unterminated = f.is_unterminated;
        memcpy(x->head, f.data, f.len < 7 ? f.len : 7);
        assert_true(f.len <= f.full_len || f.reject == NULL);
    }
    assert_int_equal(rc, DN_EEOF);
    dn__reader_free(r);
    return n;
}

static void ndjson_lines(void **state)
{
    const char in[] = "{\"a\":1}\n\n   \n{\"b\":2}\r\n{\"c\":3}";
    rec f[8];
    for (size_t buf = 0; buf <= 1; buf++) {
        size_t n = read_all(in, sizeof(in) - 1, DN__FMT_AUTO, 64, buf ? 1 : 0, f, 8);
        assert_int_equal(n, 3);
        assert_string_equal(f[0].reject, "");
        assert_true(f[0].is_json);
        assert_int_equal(f[0].offset, 0);
        assert_int_equal(f[0].line, 1);
        assert_int_equal(f[0].len, 7);
        assert_int_equal(f[1].line, 4);
        assert_int_equal(f[1].offset, 13);
        assert_int_equal(f[1].len, 7); /* \r dropped */
        assert_int_equal(f[2].line, 5);
        assert_true(f[2].unterminated);
        assert_memory_equal(f[2].head, "{\"c\":3}", 7);
    }
}

static void ndjson_line_over_limit(void **state)
{
    char in[1000];
    size_t n = 0;
    n += (size_t)sprintf(in + n, "{\"a\":1}\n{\"long\":\"");
    memset(in + n, 'x', 300);
    n += 300;
    n += (size_t)sprintf(in + n, "\"}\n{\"b\":2}\n");
    rec f[8];
    size_t c = read_all(in, n, DN__FMT_NDJSON, 100, 1, f, 8);
    assert_int_equal(c, 3);
    assert_string_equal(f[1].reject, "frame_too_large");
    assert_int_equal(f[1].offset, 8);
    assert_int_equal(f[1].line, 2);
    assert_int_equal(f[1].full_len, 9 + 300 + 2);
    assert_int_equal(f[1].len, 9 + 300 + 2); /* under DN_RAW_KEEP: all of it kept */
    assert_string_equal(f[2].reject, "");
    assert_int_equal(f[2].line, 3);
}

static void mp_three(msgpack_sbuffer *sb)
{
    mp_from_json(sb, "{\"id\":\"a\",\"n\":[1,2,{\"x\":null}]}");
    mp_from_json(sb, "{\"id\":\"b\"}");
    mp_from_json(sb, "{\"id\":\"c\",\"s\":\"hello\"}");
}

static void bare_stream(void **state)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    mp_three(&sb);
    rec f[8];
    for (size_t buf = 0; buf <= 1; buf++) {
        size_t n = read_all(sb.data, sb.size, DN__FMT_AUTO, 64, buf, f, 8);
        assert_int_equal(n, 3);
        assert_false(f[0].is_json);
        assert_int_equal(f[0].line, 0);
        assert_int_equal(f[1].offset, f[0].len);
        assert_int_equal(f[2].offset, f[0].len + f[1].len);
        assert_int_equal(f[2].offset + f[2].len, sb.size);
        assert_string_equal(f[2].reject, "");
    }
    msgpack_sbuffer_destroy(&sb);
}

/* Garbage between maps is one dead letter spanning exactly the skipped bytes. */
static void bare_garbage_resync(void **state)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    mp_from_json(&sb, "{\"id\":\"a\"}");
    size_t first = sb.size;
    /* 0xc1 is never valid; 0x81 0x01 is a map with a non-string key (not a resync point). */
    const char junk[] = "\xc1\xc1garbage\x81\x01\x02\x80zz";
    msgpack_sbuffer_write(&sb, junk, sizeof(junk) - 1);
    mp_from_json(&sb, "{\"id\":\"b\"}");
    rec f[8];
    size_t n;
    for (size_t buf = 0; buf <= 1; buf++) {
        n = read_all(sb.data, sb.size, DN__FMT_MSGPACK, 64, buf, f, 8);
        assert_int_equal(n, 3);
        assert_string_equal(f[0].reject, "");
        assert_string_equal(f[1].reject, "invalid_msgpack");
        assert_int_equal(f[1].offset, first);
        assert_int_equal(f[1].full_len, sizeof(junk) - 1);
        assert_string_equal(f[2].reject, "");
        assert_int_equal(f[2].offset, first + sizeof(junk) - 1);
    }
    /* Garbage that looks like the start of deeply nested maps is still one dead letter. */
    msgpack_sbuffer_clear(&sb);
    for (int i = 0; i < 200; i++)
        msgpack_sbuffer_write(&sb, "\xc1\x81\xa0\x91", 4);
    msgpack_sbuffer_write(&sb, "\xc1", 1); /* else the tail and the next map form one map */
    size_t junk_len = sb.size;
    mp_from_json(&sb, "{\"id\":\"b\"}");
    n = read_all(sb.data, sb.size, DN__FMT_MSGPACK, 0, 0, f, 8);
    assert_int_equal(n, 2);
    assert_string_equal(f[0].reject, "invalid_msgpack");
    assert_int_equal(f[0].full_len, junk_len);
    assert_string_equal(f[1].reject, "");
    /* A stream that is only garbage is one dead letter. */
    n = read_all("\xc1zzzzzzzz", 9, DN__FMT_MSGPACK, 64, 0, f, 8);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].reject, "invalid_msgpack");
    assert_int_equal(f[0].full_len, 9);
    msgpack_sbuffer_destroy(&sb);
}

static void bare_truncated_and_too_large(void **state)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    mp_from_json(&sb, "{\"id\":\"a\"}");
    size_t first = sb.size;
    mp_from_json(
        &sb, "{\"id\":"
             "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}");
    size_t big = sb.size - first;
    mp_from_json(&sb, "{\"id\":\"c\"}");
    rec f[8];
    size_t n = read_all(sb.data, sb.size, DN__FMT_AUTO, 64, 0, f, 8);
    assert_int_equal(n, 3);
    assert_string_equal(f[1].reject, "frame_too_large");
    assert_int_equal(f[1].full_len, big);
    assert_string_equal(f[2].reject, "");
    /* Cut the last map short. */
    n = read_all(sb.data, sb.size - 2, DN__FMT_AUTO, 64, 0, f, 8);
    assert_int_equal(n, 3);
    assert_string_equal(f[2].reject, "truncated");
    /* Cut inside the big one: truncated, not too large. */
    n = read_all(sb.data, first + 70, DN__FMT_AUTO, 64, 0, f, 8);
    assert_int_equal(n, 2);
    assert_string_equal(f[1].reject, "truncated");
    assert_int_equal(f[1].full_len, 70);
    msgpack_sbuffer_destroy(&sb);
}

static void put_be32(msgpack_sbuffer *sb, uint32_t v)
{
    char b[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
    msgpack_sbuffer_write(sb, b, 4);
}

static void prefixed_frames(void **state)
{
    msgpack_sbuffer one, sb;
    msgpack_sbuffer_init(&one);
    msgpack_sbuffer_init(&sb);
    mp_from_json(&one, "{\"id\":\"a\"}");
    put_be32(&sb, (uint32_t)one.size);
    msgpack_sbuffer_write(&sb, one.data, one.size);
    put_be32(&sb, 200); /* over a 64-byte limit, fully present */
    for (int i = 0; i < 200; i++)
        msgpack_sbuffer_write(&sb, "\x80", 1);
    put_be32(&sb, (uint32_t)one.size);
    msgpack_sbuffer_write(&sb, one.data, one.size);
    rec f[8];
    for (size_t buf = 0; buf <= 1; buf++) {
        size_t n = read_all(sb.data, sb.size, DN__FMT_AUTO, 64, buf, f, 8);
        assert_int_equal(n, 3);
        assert_string_equal(f[0].reject, "");
        assert_int_equal(f[0].offset, 0);
        assert_int_equal(f[0].len, one.size);
        assert_string_equal(f[1].reject, "frame_too_large");
        assert_int_equal(f[1].full_len, 204);
        assert_string_equal(f[2].reject, "");
        assert_int_equal(f[2].offset, 4 + one.size + 204);
    }
    msgpack_sbuffer_destroy(&one);
    msgpack_sbuffer_destroy(&sb);
}

/* A 4 GiB - 1 length: too large; the input ends first, so it is truncated. Constant memory. */
static void prefixed_4gib(void **state)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    put_be32(&sb, 5);
    msgpack_sbuffer_write(&sb, "\x81\xa1i\xa1x", 5);
    put_be32(&sb, 0xffffffffu);
    mp_from_json(&sb, "{\"id\":\"a\",\"pad\":\"0123456789\"}");
    rec f[8];
    size_t n = read_all(sb.data, sb.size, DN__FMT_AUTO, 0, 0, f, 8);
    assert_int_equal(n, 2);
    assert_string_equal(f[0].reject, "");
    assert_string_equal(f[1].reject, "truncated");
    assert_int_equal(f[1].offset, 9);
    assert_int_equal(f[1].full_len, sb.size - 9);
    /* A prefix cut short, and a frame cut short. */
    n = read_all("\x00\x00\x00\x10\x81\xa1", 6, DN__FMT_MSGPACK, 0, 0, f, 8);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].reject, "truncated");
    msgpack_sbuffer_clear(&sb);
    put_be32(&sb, 5);
    msgpack_sbuffer_write(&sb, "\x81\xa1i\xa1x", 5);
    msgpack_sbuffer_write(&sb, "\x00\x00", 2);
    n = read_all(sb.data, sb.size, DN__FMT_MSGPACK, 0, 0, f, 8);
    assert_int_equal(n, 2);
    assert_string_equal(f[0].reject, "");
    assert_string_equal(f[1].reject, "truncated");
    assert_int_equal(f[1].offset, 9);
    msgpack_sbuffer_destroy(&sb);
}

static void empty_and_sniffing(void **state)
{
    rec f[4];
    assert_int_equal(read_all("", 0, DN__FMT_AUTO, 0, 0, f, 4), 0);
    assert_int_equal(read_all("", 0, DN__FMT_MSGPACK, 0, 0, f, 4), 0);
    assert_int_equal(read_all("\n\n  \n", 5, DN__FMT_AUTO, 0, 0, f, 4), 0);
    dn__reader *r;
    dn__frame fr;
    dn__reader_opts o = {.format = DN__FMT_AUTO};
    const char *inputs[] = {" {}\n", "\x81\xa1i\x01", "\x00\x00\x00\x03\x81\xa1i"};
    const dn__format want[] = {DN__FMT_NDJSON, DN__FMT_MSGPACK_BARE, DN__FMT_MSGPACK_PREFIXED};
    const size_t lens[] = {4, 4, 7};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dn__reader_open_mem(inputs[i], lens[i], &o, &r), 0);
        assert_int_equal(dn__reader_next(r, &fr), 0);
        assert_int_equal(dn__reader_format(r), want[i]);
        dn__reader_free(r);
    }
}

static void real_file_and_missing_file(void **state)
{
    char path[] = "/tmp/dn_test_reader_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char body[] = "{\"id\":\"a\"}\n{\"id\":\"b\"}\n";
    assert_int_equal(write(fd, body, sizeof(body) - 1), (ssize_t)(sizeof(body) - 1));
    close(fd);
    dn__reader *r;
    dn__frame f;
    dn__reader_opts o = {.format = DN__FMT_AUTO};
    assert_int_equal(dn__reader_open(path, &o, &r), 0);
    assert_int_equal(dn__reader_next(r, &f), 0);
    assert_int_equal(dn__reader_next(r, &f), 0);
    assert_int_equal(f.line, 2);
    assert_int_equal(dn__reader_next(r, &f), DN_EEOF);
    dn__reader_free(r);
    unlink(path);
    assert_int_equal(dn__reader_open("/nonexistent/dn.ndjson", &o, &r), DN_ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ndjson_lines),
        cmocka_unit_test(ndjson_line_over_limit),
        cmocka_unit_test(bare_stream),
        cmocka_unit_test(bare_garbage_resync),
        cmocka_unit_test(bare_truncated_and_too_large),
        cmocka_unit_test(prefixed_frames),
        cmocka_unit_test(prefixed_4gib),
        cmocka_unit_test(empty_and_sniffing),
        cmocka_unit_test(real_file_and_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
