/*
 * test_hash.c - dn__hash64 gives the same value on every run and machine (entity tables, Redis
 * keys and alert ids depend on it): values pinned for every tail shape (0-7 bytes after the
 * 8- and 16-byte steps), and the same value for the same bytes at any alignment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/hash.h"

#include <string.h>

static const char text[] =
    "The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs.";

static void pinned_values(void **state)
{
    (void)state;
    static const struct {
        size_t len;
        uint64_t h;
    } cases[] = {
        {0, 0x9eeac08cdeb95af2ull},  {1, 0xfa9dd41624eae25bull},  {2, 0xe8732323e82b5c33ull},
        {3, 0xe94241d6298e63efull},  {4, 0x432642c5b97096b7ull},  {5, 0x06439966f888cee2ull},
        {7, 0x6a93a79cf663a050ull},  {8, 0x2feb482817152079ull},  {9, 0x327259dc8cface0bull},
        {12, 0x6fe4f744680a47d0ull}, {15, 0x10be81584c13e5fbull}, {16, 0xdd447fcbfdb81404ull},
        {17, 0x108cc585fd27e748ull}, {24, 0x4225145b8869608aull}, {31, 0x25af0497b9d16ca3ull},
        {32, 0x7b4d42ba53952b58ull}, {33, 0xabaefe354cc0e75full}, {48, 0x1aa9ac3285c77efeull},
        {64, 0xbbd6f16687162141ull},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(dn__hash64(text, cases[i].len), cases[i].h);
}

/* Every length 0..79 at every offset 0..7, folded into one value. */
static void every_length_and_offset(void **state)
{
    (void)state;
    uint64_t fold = 0;
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n + off < 80; n++)
            fold = fold * 31 + dn__hash64_keyed(text + off, n, 0x1234567890abcdefull);
    assert_int_equal(fold, 0xeed3699008cb3b82ull);
}

static void alignment_does_not_matter(void **state)
{
    (void)state;
    char buf[96 + 8];
    for (size_t n = 0; n <= 40; n++) {
        uint64_t want = dn__hash64(text, n);
        for (size_t off = 0; off < 8; off++) {
            memset(buf, 0xa5, sizeof(buf));
            memcpy(buf + off, text, n);
            assert_int_equal(dn__hash64(buf + off, n), want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pinned_values),
        cmocka_unit_test(every_length_and_offset),
        cmocka_unit_test(alignment_does_not_matter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
