/*
 * test_lang_oom.c - the compiler under allocation failure: for every N, the N-th allocation of a
 * compile (and of a scratch) fails; the call must return DN_ENOMEM (or succeed when it did not
 * need that allocation) and never crash. malloc/calloc/realloc are replaced in this process
 * through glibc's __libc_* entry points; under AddressSanitizer (which owns malloc) the test
 * only runs the compile once.
 */
#define _GNU_SOURCE /* dladdr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dlfcn.h>

#include "compile_one.h"
#include "dragnet/error.h"
#include "dragnet/rules.h"
#include "lang/lang.h"
#include "lang/lang_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define DN_NO_MALLOC_HOOK 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DN_NO_MALLOC_HOOK 1
#endif
#endif

static long fail_at = -1, alloc_count;
static int armed;

#ifndef DN_NO_MALLOC_HOOK
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

/* Allocations by C++ operator new (vectorscan's compiler) are spared: libvectorscan 5.4 lets
 * std::bad_alloc escape and the process terminates, which no caller can handle. */
static int should_fail(void *caller)
{
    if (!armed)
        return 0;
    Dl_info info;
    if (dladdr(caller, &info) && info.dli_fname && strstr(info.dli_fname, "libstdc++"))
        return 0;
    return ++alloc_count == fail_at;
}

void *malloc(size_t n)
{
    return should_fail(__builtin_return_address(0)) ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
    return should_fail(__builtin_return_address(0)) ? NULL : __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
    return should_fail(__builtin_return_address(0)) ? NULL : __libc_realloc(p, n);
}
#endif

static const char src_ok[] =
    "version \"oom\"\nbase EUR\nparam p = [\"KH\", \"MM\"]\nparam m = 2 * 1000 GBP\n"
    "list w from \"lists/w.txt\"\n"
    "rule a \"d\" {\n on transfer\n for src\n when sum(in, 24h) >= $m and dst_country in $p and "
    "reference ~ /\\b(usdt|fee)\\b/i and count(in, 1h, where amount < 5 EUR) > 2 or attrs.x "
    "in $w\n score 40\n tags t, u\n}\n"
    "rule b \"d\" {\n on transfer\n for device\n when distinct(account, any, 1d) > 3 and not "
    "(channel == \"x\")\n score 1\n}\n"
    "typology t \"d\" {\n rules a, b\n window 7d\n threshold 10\n}\n";
static const char src_bad[] =
    "version \"oom\"\nbase EUR\nrule a \"d\" {\n on transfr\n for src\n when refrence ~ /(/ and "
    "amount > 1\n score 1\n}\nrule a \"d\" {\n on transfer\n for src\n when 1 +\n}\n";
static const char rates[] = "currency,rate_to_base\nGBP,1.17\n";

static int load(void *ctx, const char *path, char **text, size_t *len)
{
    (void)ctx;
    (void)path;
    *text = strdup("a\nb\n");
    if (!*text)
        return DN_ENOMEM;
    *len = 4;
    return 0;
}

static int compile(const char *src, dn_ruleset **rs, dn_diags **d)
{
    return compile_one(src, rates, load, d, rs);
}

static void run_until_success(const char *src, int want)
{
    for (long n = 1; n < 100000; n++) {
        dn_ruleset *rs = NULL;
        dn_diags *d = NULL;
        alloc_count = 0;
        fail_at = n;
        armed = 1;
        int rc = compile(src, &rs, &d);
        dn__lang_scratch *sc = NULL;
        int rs2 = rs ? dn__lang_scratch_new(rs, &sc) : 0;
        armed = 0;
        if (rc != want && rc != DN_ENOMEM)
            fprintf(stderr, "allocation %ld failed: rc %d\n", n, rc), dn_diags_print(d, stderr);
        assert_true(rc == want || rc == DN_ENOMEM);
        assert_true(rs2 == 0 || rs2 == DN_ENOMEM);
        dn__lang_scratch_free(sc);
        dn_ruleset_release(rs);
        dn_diags_free(d);
        if (alloc_count < n) /* nothing failed: done */
            return;
#ifdef DN_NO_MALLOC_HOOK
        return;
#endif
    }
    fail_msg("did not finish");
}

static void test_compile_ok_under_oom(void **state)
{
    (void)state;
    run_until_success(src_ok, 0);
}

static void test_compile_errors_under_oom(void **state)
{
    (void)state;
    run_until_success(src_bad, DN_ESYNTAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compile_ok_under_oom),
        cmocka_unit_test(test_compile_errors_under_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
