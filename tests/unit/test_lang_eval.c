/*
 * test_lang_eval.c - the language on events, without entity state: every operator and type rule,
 * missing fields, attributes, builtins, folding (money conversion with rates, durations), regex
 * limits, prefilter on/off equivalence, because strings, the plan, disasm, summary and hash.
 *
 * Rules here use no entity function. They still run as the engine runs them: against the real
 * state store (lang_state.h), the role's entity touched and the event's fact observed first; and
 * their plans are checked to ask state for no aggregate at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "compile_one.h"
#include "dragnet/error.h"
#include "dragnet/rules.h"
#include "lang/lang.h"
#include "lang/ast.h"
#include "lang/lang_internal.h"
#include "lang_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR                                                                                        \
    "version \"t1\"\nbase EUR\nparam scam.hotspots = [\"KH\", \"MM\", \"LA\", \"PH\"]\n"           \
    "list wallets from \"lists/w.txt\"\n"
#define RATES "currency,rate_to_base\nGBP,1.17\nJPY,0.0062\n"

static const char *list_text = "# wallets\nTQ1abc\n  0xdeadbeef  \n\nbc1qxyz\n";

static int load(void *ctx, const char *path, char **text, size_t *len)
{
    (void)ctx;
    if (strcmp(path, "lists/w.txt") != 0)
        return DN_ENOENT;
    *text = strdup(list_text);
    *len = strlen(list_text);
    return *text ? 0 : DN_ENOMEM;
}

static int compile_src(const char *src, dn_ruleset **rs)
{
    dn_diags *d = NULL;
    int rc = compile_one(src, RATES, load, &d, rs);
    if (rc)
        dn_diags_print(d, stderr);
    dn_diags_free(d);
    return rc;
}

/* ---- the event -------------------------------------------------------------------------- */

#define TS 1700000000000LL /* 2023-11-14T22:13:20Z */

static dn_attr attrs[4];
static dn_event base_event(void)
{
    dn_event ev;
    dn_event_init(&ev);
    ev.id = (dn_str){"e1", 2};
    ev.ts_ms = TS;
    ev.type = DN_EV_TRANSFER;
    ev.has_amount = true;
    ev.amount_minor = 250000;
    strcpy(ev.currency, "EUR");
    ev.src = (dn_str){"A1", 2};
    ev.dst = (dn_str){"B2", 2};
    strcpy(ev.src_country, "DE");
    strcpy(ev.dst_country, "KH");
    ev.reference = (dn_str){"USDT withdrawal fee", 19};
    ev.channel = (dn_str){"online", 6};
    ev.has_mcc = true;
    ev.mcc = 6051;
    ev.remote_access = 1;
    ev.customer.is_present = true;
    ev.customer.has_birth_year = true;
    ev.customer.birth_year = 1950;
    ev.customer.has_opened = true;
    ev.customer.opened_ms = TS - (3 * 86400000LL + 4 * 3600000LL);
    ev.customer.segment = (dn_str){"retail", 6};
    strcpy(ev.customer.residence, "DE");
    attrs[0] = (dn_attr){.key = {"wallet", 6}, .kind = DN_VAL_STR, .v.s = {"0xdeadbeef", 10}};
    attrs[1] = (dn_attr){.key = {"score", 5}, .kind = DN_VAL_INT, .v.i = 7};
    attrs[2] = (dn_attr){.key = {"flag", 4}, .kind = DN_VAL_BOOL, .v.b = true};
    attrs[3] = (dn_attr){.key = {"ratio", 5}, .kind = DN_VAL_FLOAT, .v.f = 0.5};
    ev.attrs = attrs;
    ev.attr_count = 4;
    return ev;
}

/* Touches role's entity of ev in st, observes its fact and evaluates (after lst_begin). */
static void role_eval(dn__state *st, dn__lang_scratch *sc, const dn_event *ev, int64_t amount,
                      dn__role role, const dn__lang_hit **hits, uint32_t *n)
{
    dn__observation pre;
    dn__entity *e = lst_observe(st, sc, ev, amount, role, &pre);
    assert_non_null(e);
    assert_int_equal(dn__lang_eval(sc, role, st, e, &pre, hits, n), 0);
}

/* The same evaluation with deferred because lines (as the engine runs it) fires the same rules,
 * and the lines written from each hit's record are the lines the hit carried. */
static void check_deferred(const dn_ruleset *rs, const dn_event *ev, int64_t amount,
                           const dn__lang_hit *want, uint32_t want_n)
{
    dn__lang_scratch *sc = NULL;
    assert_int_equal(dn__lang_scratch_new(rs, &sc), 0);
    dn__lang_scratch_defer_because(sc, true);
    dn__state *st = lst_new(rs);
    assert_non_null(st);
    lst_begin(st, sc, ev, amount);
    const dn__lang_hit *hits = NULL;
    uint32_t n = 0;
    role_eval(st, sc, ev, amount, DN__ROLE_SRC, &hits, &n);
    assert_int_equal(n, want_n);
    for (uint32_t h = 0; h < n; h++) {
        assert_int_equal(hits[h].rule, want[h].rule);
        assert_null(hits[h].because);
        assert_non_null(hits[h].why);
        char text[16 * DN__BECAUSE_MAX];
        dn_str lines[16];
        uint32_t nl = 0;
        assert_int_equal(dn__lang_because_render(rs, hits[h].rule, hits[h].why, hits[h].why_len,
                                                 text, sizeof(text), lines, 16, &nl),
                         0);
        assert_int_equal(nl, want[h].because_count < 16 ? want[h].because_count : 16);
        for (uint32_t i = 0; i < nl; i++) {
            assert_int_equal(lines[i].len, want[h].because[i].len);
            assert_memory_equal(lines[i].ptr, want[h].because[i].ptr, lines[i].len);
        }
        if (hits[h].why_len > 2) /* a record cut short is refused, not read past */
            assert_int_equal(dn__lang_because_render(rs, hits[h].rule, hits[h].why,
                                                     hits[h].why_len - 1, text, sizeof(text), lines,
                                                     16, &nl) != 0 ||
                                 nl <= want[h].because_count,
                             1);
    }
    dn__lang_event_end(sc);
    dn__lang_scratch_free(sc);
    dn__state_free(st);
}

/* Compiles `when` into a src rule on every type and evaluates it; returns 1 fired, 0 not, -1
 * compile error. because (may be NULL) receives the because strings joined by " | ". */
static int eval_when(const char *when, const dn_event *ev, int64_t amount, char *because,
                     size_t cap)
{
    char src[4096];
    snprintf(src, sizeof(src),
             HDR "rule r \"d\" {\n on transfer, card, login\n for src\n when %s\n score 1\n}\n",
             when);
    dn_ruleset *rs = NULL;
    if (compile_src(src, &rs))
        return -1;
    assert_int_equal(dn__ruleset_plans(rs)[DN__ENT_ACCOUNT].agg_count, 0);
    dn__lang_scratch *sc = NULL;
    assert_int_equal(dn__lang_scratch_new(rs, &sc), 0);
    dn__state *st = lst_new(rs);
    assert_non_null(st);
    lst_begin(st, sc, ev, amount);
    dn__observation pre;
    dn__entity *e = lst_observe(st, sc, ev, amount, DN__ROLE_SRC, &pre);
    assert_non_null(e);
    const dn__lang_hit *hits = NULL;
    uint32_t n = 0;
    assert_int_equal(dn__lang_eval(sc, DN__ROLE_SRC, st, e, &pre, &hits, &n), 0);
    if (because && cap) {
        because[0] = '\0';
        size_t len = 0;
        for (uint32_t i = 0; n && i < hits[0].because_count; i++)
            len += (size_t)snprintf(because + len, cap - len, "%s%.*s", i ? " | " : "",
                                    (int)hits[0].because[i].len, hits[0].because[i].ptr);
    }
    check_deferred(rs, ev, amount, hits, n);
    dn__lang_event_end(sc);
    dn__lang_scratch_free(sc);
    dn__state_free(st);
    dn_ruleset_release(rs);
    return n == 1;
}

static void expect(const char *when, int want)
{
    dn_event ev = base_event();
    int got = eval_when(when, &ev, 250000, NULL, 0);
    if (got != want)
        fprintf(stderr, "when %s: expected %d, got %d\n", when, want, got);
    assert_int_equal(got, want);
}

static void test_money(void **state)
{
    (void)state;
    expect("amount >= 2000 EUR", 1);
    expect("amount == 2500 EUR", 1);
    expect("amount != 1 EUR", 1);
    expect("amount < 3000 EUR", 1);
    expect("amount <= 2500 EUR", 1);
    expect("amount > 2500 EUR", 0);
    expect("amount > 2000 GBP", 1); /* 2340.00 EUR */
    expect("amount < 2200 GBP", 1); /* 2574.00 EUR */
    expect("amount + 500 EUR == 3000 EUR", 1);
    expect("amount - 500 EUR == 2000 EUR", 1);
    expect("amount * 2 == 5000 EUR", 1);
    expect("2 * amount == 5000 EUR", 1);
    expect("amount / 2 == 1250 EUR", 1);
    expect("amount / 500 EUR == 5", 1);
    expect("-amount == -2500 EUR", 1);
    expect("abs(-amount) == amount", 1);
    expect("amount / 0 == 1 EUR", 0);        /* division by zero: missing */
    expect("1500.50 GBP == 1755.59 EUR", 1); /* half away from zero */
    expect("100000 JPY == 620 EUR", 1);
    expect("0.5 * 2000 EUR == 1000 EUR", 1);
}

static void test_money_rounding(void **state)
{
    (void)state;
    dn_event ev = base_event();
    assert_int_equal(eval_when("amount * 0.5 == 0.02 EUR", &ev, 3, NULL, 0), 1);
    assert_int_equal(eval_when("-amount * 0.5 == -0.02 EUR", &ev, 3, NULL, 0), 1);
    assert_int_equal(eval_when("amount / 2 == 0.02 EUR", &ev, 3, NULL, 0), 1);
    assert_int_equal(eval_when("amount * 0.333 == 0.01 EUR", &ev, 3, NULL, 0), 1);
}

static void test_numbers_durations_times(void **state)
{
    (void)state;
    expect("mcc + 1 == 6052", 1);
    expect("mcc - 51 == 6000", 1);
    expect("mcc * 2 == 12102", 1);
    expect("mcc / 2 == 3025.5", 1);
    expect("-mcc == -6051", 1);
    expect("abs(-mcc) == 6051", 1);
    expect("mcc / 0 == 1", 0);
    expect("mcc > 6000 and mcc < 7000 and mcc >= 6051 and mcc <= 6051", 1);
    expect("24h + 30m == 1470m", 1);
    expect("2 * 1h == 120m", 1);
    expect("1h * 2 == 7200s", 1);
    expect("1d / 2 == 12h", 1);
    expect("1d / 1h == 24", 1);
    expect("1w == 7d", 1);
    expect("500ms < 1s", 1);
    expect("abs(-1h) == 60m", 1);
    expect("now - customer.opened == 3d + 4h", 1);
    expect("now - customer.opened > 2d", 1);
    expect("customer.opened + 3d + 4h == now", 1);
    expect("now - 3d - 4h == customer.opened", 1);
    expect("ts == now", 1);
    expect("ts > customer.opened", 1);
    expect("hour(ts) == 22", 1);
    expect("year(now) == 2023", 1);
    expect("year(now) - customer.birth_year >= 60", 1);
}

static void test_strings_lists_regex(void **state)
{
    (void)state;
    expect("reference == \"USDT withdrawal fee\"", 1);
    expect("lower(reference) == \"usdt withdrawal fee\"", 1);
    expect("len(reference) == 19", 1);
    expect("src != dst", 1);
    expect("type == \"transfer\"", 1);
    expect("type == \"card\"", 0);
    expect("currency == \"EUR\"", 1);
    expect("counterparty == \"B2\" and counterparty_country == \"KH\"", 1);
    expect("customer.segment == \"retail\" and customer.residence == \"DE\"", 1);
    expect("src_country == \"DE\" and ip_country == \"DE\"", 0);
    expect("dst_country in [\"KH\", \"MM\"]", 1);
    expect("dst_country not in [\"FR\"]", 1);
    expect("dst_country not in [\"KH\"]", 0);
    expect("mcc in [6051, 7995]", 1);
    expect("mcc not in [1]", 1);
    expect("dst_country in $scam.hotspots", 1);
    expect("attrs.wallet in $wallets", 1);
    expect("dst in $wallets", 0);
    expect("reference ~ /usdt/i", 1);
    expect("reference ~ /usdt/", 0);
    expect("reference !~ /^zzz/", 1);
    expect("reference ~ /WITHDRAWAL\\s+FEE/i", 1);
    expect("reference ~ /u s d t/ix", 1);
    expect("lower(reference) ~ /usdt/", 1);
    expect("counterparty ~ /^B/", 1);
}

/* Small sets of short strings compare packed words: the same answers as comparing bytes, for
 * every length up to the packed limit and beyond it, and for sets that mix short and long
 * strings. */
static void test_set_short_words(void **state)
{
    (void)state;
    static const char *const members[] = {"",      "D",      "DE",      "DEU",     "SALA",
                                          "RENT1", "retail", "ABCDEFG", "ABCDEFGH"};
    static const char *const probes[] = {"",        "D",       "E",        "DE",       "ED",
                                         "DEU",     "DEV",     "SALA",     "SAL",      "SALAR",
                                         "RENT",    "RENT1",   "RENT2",    "retail",   "retaiL",
                                         "ABCDEFG", "ABCDEFH", "ABCDEFGH", "ABCDEFGI", "XXXXXXXXX"};
    dn__arena a;
    dn__arena_init(&a, 4096);
    /* sets of up to 8 strings take the word path; all 9 the hashed one, as the reference */
    for (size_t m = 1; m <= 9; m++) {
        dn__value vals[9];
        for (size_t i = 0; i < m; i++)
            vals[i] =
                (dn__value){.type = T_STRING, .v.s = {members[i], (uint32_t)strlen(members[i])}};
        dn__set s;
        assert_int_equal(dn__lang_set_from_values(&a, vals, (uint32_t)m, false, &s), 0);
        for (size_t p = 0; p < sizeof(probes) / sizeof(probes[0]); p++) {
            bool want = false;
            for (size_t i = 0; i < m; i++)
                want |= strcmp(members[i], probes[p]) == 0;
            dn_str v = {probes[p], (uint32_t)strlen(probes[p])};
            assert_int_equal(dn__lang_set_has_str(&s, v), want);
        }
        /* bytes beyond a short subject are never read as part of it */
        char buf[16] = "DEUTSCHLAND";
        assert_int_equal(dn__lang_set_has_str(&s, (dn_str){buf, 2}), m >= 3);
        assert_false(dn__lang_set_has_str(&s, (dn_str){NULL, 0}));
    }
    dn__arena_destroy(&a);
}

static void test_bools_missing_attrs(void **state)
{
    (void)state;
    expect("remote_access", 1);
    expect("remote_access == true", 1);
    expect("not remote_access", 0);
    expect("not (channel == \"branch\")", 1);
    expect("true or false", 1);
    expect("false or amount > 1 EUR", 1);
    expect("not false", 1);
    expect("false", 0);
    /* attributes take the other operand's type */
    expect("attrs.score == 7", 1);
    expect("attrs.score > 5", 1);
    expect("attrs.flag == true", 1);
    expect("attrs.ratio < 1", 1);
    expect("attrs.wallet == \"0xdeadbeef\"", 1);
    expect("attrs.score == \"7\"", 0); /* mismatched kind: false */
    expect("attrs.wallet ~ /dead/", 1);
    /* missing fields: every comparison reading them is false */
    expect("attrs.missing == 1", 0);
    expect("attrs.missing != 1", 0);
    expect("not (attrs.missing == 1)", 1);
    expect("src_name == \"x\"", 0);
    expect("src_name != \"x\"", 0);
    expect("not (src_name == \"x\")", 1);
    expect("src_name ~ /./", 0);
    expect("src_name !~ /./", 0);
    expect("purpose in [\"a\"]", 0);
    expect("purpose not in [\"a\"]", 0);
    expect("ip_country == \"DE\"", 0);
    expect("len(src_name) >= 0", 0);
}

static void test_missing_amount_and_bool(void **state)
{
    (void)state;
    dn_event ev = base_event();
    ev.has_amount = false;
    ev.remote_access = -1;
    assert_int_equal(eval_when("amount >= 0 EUR", &ev, 0, NULL, 0), 0);
    assert_int_equal(eval_when("remote_access", &ev, 0, NULL, 0), 0);
    assert_int_equal(eval_when("not remote_access", &ev, 0, NULL, 0), 1);
    assert_int_equal(eval_when("remote_access == false", &ev, 0, NULL, 0), 0);
}

static void test_on_types_and_roles(void **state)
{
    (void)state;
    dn_ruleset *rs = NULL;
    assert_int_equal(compile_src(HDR
                                 "rule a \"d\" {\n on login\n for src\n when true\n score 1\n}\n"
                                 "rule b \"d\" {\n on transfer\n for dst\n when counterparty == "
                                 "\"A1\"\n score 1\n}\n"
                                 "rule c \"d\" {\n on transfer\n for device\n when "
                                 "counterparty == \"A1\"\n score 1\n}\n",
                                 &rs),
                     0);
    dn__lang_scratch *sc = NULL;
    assert_int_equal(dn__lang_scratch_new(rs, &sc), 0);
    dn__state *st = lst_new(rs);
    assert_non_null(st);
    dn_event ev = base_event();
    ev.device = (dn_str){"D1", 2};
    lst_begin(st, sc, &ev, 250000);
    const dn__lang_hit *hits;
    uint32_t n;
    role_eval(st, sc, &ev, 250000, DN__ROLE_SRC, &hits, &n);
    assert_int_equal(n, 0); /* rule a is on login only */
    role_eval(st, sc, &ev, 250000, DN__ROLE_DST, &hits, &n);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0].rule, 1);
    assert_int_equal(hits[0].event_id_count, 1);
    assert_memory_equal(hits[0].event_ids[0].ptr, "e1", 2);
    role_eval(st, sc, &ev, 250000, DN__ROLE_DEVICE, &hits, &n);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0].rule, 2);
    dn__lang_event_end(sc);
    dn__lang_scratch_free(sc);
    dn__state_free(st);
    dn_ruleset_release(rs);
}

static void test_because(void **state)
{
    (void)state;
    dn_event ev = base_event();
    char b[2048];
    assert_int_equal(eval_when("amount >= 2000 EUR and dst_country in $scam.hotspots\n"
                               "   and reference ~ /\\b(usdt|withdrawal fee)\\b/i\n"
                               "   and not (channel == \"branch\")",
                               &ev, 250000, b, sizeof(b)),
                     1);
    assert_string_equal(b, "amount = 2500.00 EUR >= 2000.00 EUR | dst_country = \"KH\" in "
                           "$scam.hotspots | reference = \"USDT withdrawal fee\" ~ "
                           "/\\b(usdt|withdrawal fee)\\b/i | not (channel == \"branch\")");
    /* only the path that made it true */
    assert_int_equal(
        eval_when("(mcc == 6051 and amount < 1 EUR) or remote_access", &ev, 250000, b, sizeof(b)),
        1);
    assert_string_equal(b, "remote_access = true");
    assert_int_equal(eval_when("mcc == 6051 or remote_access", &ev, 250000, b, sizeof(b)), 1);
    assert_string_equal(b, "mcc = 6051 == 6051");
    assert_int_equal(eval_when("now - customer.opened < 30d", &ev, 250000, b, sizeof(b)), 1);
    assert_string_equal(b, "now - customer.opened = 3d 4h < 30d");
    assert_int_equal(
        eval_when("mcc in [6051, 7995] and ts > customer.opened", &ev, 250000, b, sizeof(b)), 1);
    assert_string_equal(b, "mcc = 6051 in [6051, 7995] | ts = 2023-11-14T22:13:20Z > "
                           "2023-11-11T18:13:20Z");
    assert_int_equal(eval_when("amount * 0.8 > 1 GBP", &ev, 250000, b, sizeof(b)), 1);
    assert_string_equal(b, "amount * 0.8 = 2000.00 EUR > 1.17 EUR");
    /* a long value with quotes and control bytes: the line is cut at 511 bytes, deferred or not */
    static char longref[700];
    for (size_t i = 0; i < sizeof(longref); i++)
        longref[i] = "ab\"c\n\\d"[i % 7];
    ev.reference = (dn_str){longref, sizeof(longref)};
    assert_int_equal(eval_when("reference != \"x\" and amount > 1 EUR", &ev, 250000, b, sizeof(b)),
                     1);
    assert_int_equal(strlen(b), 511 + strlen(" | amount = 2500.00 EUR > 1.00 EUR"));
}

static void test_regex_limit(void **state)
{
    (void)state;
    dn_ruleset *rs = NULL;
    assert_int_equal(
        compile_src(HDR "rule r \"d\" {\n on transfer\n for src\n when reference ~ /(a+)+$/\n "
                        "score 1\n}\n",
                    &rs),
        0);
    char text[64];
    memset(text, 'a', 40);
    text[40] = 'b';
    dn_event ev = base_event();
    ev.reference = (dn_str){text, 41};
    for (int pf = 0; pf < 2; pf++) {
        dn__lang_scratch *sc = NULL;
        assert_int_equal(dn__lang_scratch_new(rs, &sc), 0);
        dn__lang_scratch_set_prefilter(sc, pf == 1);
        dn__state *store = lst_new(rs);
        assert_non_null(store);
        lst_begin(store, sc, &ev, 250000);
        const dn__lang_hit *hits;
        uint32_t n = 9;
        role_eval(store, sc, &ev, 250000, DN__ROLE_SRC, &hits, &n);
        assert_int_equal(n, 0);
        dn__lang_stats st;
        dn__lang_stats_get(sc, &st);
        if (pf == 0) {
            assert_int_equal(st.regex_runs, 1);
            assert_int_equal(st.regex_limit_hits, 1);
        } else {
            /* the prefilter says no: PCRE2 never runs */
            assert_int_equal(st.regex_runs + st.prefilter_skips, 1);
        }
        dn__lang_event_end(sc);
        dn__lang_scratch_free(sc);
        dn__state_free(store);
    }
    dn_ruleset_release(rs);
}

static void test_prefilter_equivalence(void **state)
{
    (void)state;
    static const char *const rules =
        HDR "rule r0 \"d\" {\n on transfer\n for src\n when reference ~ "
            "/\\b(usdt|withdrawal fee|unlock(ing)? fee|tax (fee|clearance))\\b/i\n score 1\n}\n"
            "rule r1 \"d\" {\n on transfer\n for src\n when reference ~ /^invoice\\s+\\d{4,}$/m\n "
            "score 1\n}\n"
            "rule r2 \"d\" {\n on transfer\n for src\n when reference ~ /(\\w)\\1{3}/\n score "
            "1\n}\n"
            "rule r3 \"d\" {\n on transfer\n for src\n when reference ~ /gift.card/s\n score 1\n}\n"
            "rule r4 \"d\" {\n on transfer\n for src\n when reference !~ /[a-z]/\n score 1\n}\n"
            "rule r5 \"d\" {\n on transfer\n for src\n when src_name ~ /^(mr|mrs)\\.? /i and "
            "reference ~ /loan/i\n score 1\n}\n"
            "rule r6 \"d\" {\n on transfer\n for src\n when reference ~ /c r y p t o/xi\n score "
            "1\n}\n"
            "rule r7 \"d\" {\n on transfer\n for src\n when reference ~ /x*/\n score 1\n}\n";
    static const char *const refs[] = {"USDT withdrawal fee",
                                       "unlocking fee for your profits",
                                       "tax clearance now",
                                       "invoice 12345",
                                       "line\ninvoice 9999",
                                       "invoice 12",
                                       "aaaa",
                                       "zzzz1",
                                       "abcd",
                                       "gift\ncard",
                                       "giftcard",
                                       "gift card",
                                       "12345",
                                       "",
                                       "CRYPTO refund",
                                       "crypto",
                                       "Loan repayment",
                                       "usdtx",
                                       "withdrawal fees",
                                       "UNLOCK FEE",
                                       "tax fee",
                                       "x",
                                       "\xff\xfe",
                                       "payment for services rendered in full",
                                       "a reference longer than the memo keeps: usdt at the end "
                                       "of it, withdrawal fee too",
                                       "1111",
                                       "rent"};
    dn_ruleset *rs = NULL;
    assert_int_equal(compile_src(rules, &rs), 0);
    dn__lang_scratch *on = NULL, *off = NULL;
    assert_int_equal(dn__lang_scratch_new(rs, &on), 0);
    assert_int_equal(dn__lang_scratch_new(rs, &off), 0);
    dn__lang_scratch_set_prefilter(on, true);
    dn__lang_scratch_set_prefilter(off, false);
    dn__state *sts[2] = {lst_new(rs), lst_new(rs)};
    assert_non_null(sts[0]);
    assert_non_null(sts[1]);
    uint32_t total = 0;
    /* twice over: the second pass takes repeated subjects' answers from the memo */
    for (size_t i = 0; i < 2 * (sizeof(refs) / sizeof(refs[0])); i++) {
        for (int nm = 0; nm < 2; nm++) {
            dn_event ev = base_event();
            const char *ref = refs[i % (sizeof(refs) / sizeof(refs[0]))];
            ev.reference = (dn_str){ref, (uint32_t)strlen(ref)};
            ev.src_name = nm ? (dn_str){"Mrs. Smith", 10} : (dn_str){"Acme", 4};
            uint32_t mask[2] = {0, 0};
            dn__lang_scratch *scs[2] = {on, off};
            for (int k = 0; k < 2; k++) {
                lst_begin(sts[k], scs[k], &ev, 250000);
                const dn__lang_hit *hits;
                uint32_t n;
                role_eval(sts[k], scs[k], &ev, 250000, DN__ROLE_SRC, &hits, &n);
                for (uint32_t h = 0; h < n; h++)
                    mask[k] |= 1u << hits[h].rule;
                dn__lang_event_end(scs[k]);
            }
            if (mask[0] != mask[1])
                fprintf(stderr, "ref '%s': prefilter %x, none %x\n", ref, mask[0], mask[1]);
            assert_int_equal(mask[0], mask[1]);
            total += (uint32_t)__builtin_popcount(mask[0]);
        }
    }
    assert_true(total > 20);
    dn__lang_stats s_on, s_off;
    dn__lang_stats_get(on, &s_on);
    dn__lang_stats_get(off, &s_off);
    assert_true(s_on.prefilter_skips > 0);
    assert_true(s_on.memo_hits > 0);
    assert_true(s_on.regex_runs < s_off.regex_runs);
    assert_int_equal(s_off.prefilter_skips, 0);
    assert_int_equal(s_off.memo_hits, 0);
    dn__lang_scratch_free(on);
    dn__lang_scratch_free(off);
    dn__state_free(sts[0]);
    dn__state_free(sts[1]);
    dn_ruleset_release(rs);
}

/* The events the equivalence tests below run over: each of four types, six references (one
 * absent), four purposes (one absent) and four amounts (one absent), with the countries, remote
 * access and channel varying along. */
#define VARIED_EVENTS (4 * 6 * 4 * 4)

static dn_event varied_event(uint32_t i, int64_t *amount)
{
    static const char *const refs[] = {"Loan fee", "USDT", "rent", "", "12345", "fee"};
    static const char *const purposes[] = {"SALA", "RENT", "GDDS", NULL};
    static const dn_event_type types[] = {DN_EV_TRANSFER, DN_EV_CARD, DN_EV_CASH_DEPOSIT,
                                          DN_EV_CRYPTO_BUY};
    static const int64_t amounts[] = {4000, 90000, 250000, -1};
    uint32_t t = i / 96 % 4, r = i / 16 % 6, p = i / 4 % 4, a = i % 4;
    dn_event ev = base_event();
    ev.type = types[t];
    ev.reference = r == 5 ? (dn_str){NULL, 0} : (dn_str){refs[r], (uint32_t)strlen(refs[r])};
    ev.purpose = purposes[p] ? (dn_str){purposes[p], 4} : (dn_str){NULL, 0};
    ev.has_amount = amounts[a] >= 0;
    ev.amount_minor = amounts[a] >= 0 ? amounts[a] : 0;
    strcpy(ev.ip_country, a & 1 ? "TH" : "");
    strcpy(ev.dst_country, p & 1 ? "KH" : "DE");
    ev.remote_access = (int8_t)((int)a - 1);
    ev.channel = t == 0 && a == 2 ? (dn_str){"crypto_exchange", 15} : (dn_str){"online", 6};
    *amount = ev.has_amount ? ev.amount_minor : 0;
    return ev;
}

/* Rule r<i> for src when when_fmt with whens[i] in it holds, for each i: the rule set compiled. */
static dn_ruleset *compile_whens(const char *const *whens, size_t n, const char *when_fmt)
{
    char src[8192], when[1024];
    size_t len = (size_t)snprintf(src, sizeof(src), "%s", HDR);
    for (size_t i = 0; i < n; i++) {
        snprintf(when, sizeof(when), when_fmt, whens[i]);
        len += (size_t)snprintf(src + len, sizeof(src) - len,
                                "rule r%zu \"d\" {\n on transfer, card, cash_deposit, crypto_buy\n "
                                "for src\n when %s\n score 1\n}\n",
                                i, when);
    }
    assert_true(len < sizeof(src));
    dn_ruleset *rs = NULL;
    assert_int_equal(compile_src(src, &rs), 0);
    return rs;
}

/* Where-filters worked out as lists of tests give the VM's bits, whatever the event. */
static void test_filter_tests_equivalence(void **state)
{
    (void)state;
    static const char *const whens[] = {
        "not (purpose in [\"SALA\", \"RENT\"])",
        "reference ~ /\\bfee\\b/i",
        "reference !~ /[a-z]/",
        "not (reference ~ /loan/i)",
        "type == \"cash_deposit\" and amount >= 800 EUR and amount < 1000 EUR",
        "not (purpose in [\"SALA\"]) and reference ~ /loan|rent/i",
        "type == \"card\" and dst_country in [\"KH\", \"MM\"]",
        "type != \"card\" and not (ip_country in [\"TH\"])",
        "ip_country in [\"KH\", \"TH\"]",
        "type == \"crypto_buy\" or channel == \"crypto_exchange\"",
        "purpose == \"SALA\"",
        "amount >= 2000 EUR",
        "remote_access == true",
        "counterparty_country in [\"KH\"] and amount > 0 EUR",
        "lower(reference) ~ /usdt/",
        "mcc in [6051, 7995]",
        "customer.segment in [\"smb\"] and src_name ~ /ltd/i and amount < 50 EUR",
        "purpose == \"SALA\" or amount >= 2000 EUR or reference ~ /fee/i",
        "type == \"card\" or not (purpose in [\"SALA\"])",
    };
    size_t nw = sizeof(whens) / sizeof(whens[0]);
    dn_ruleset *rs = compile_whens(whens, nw, "count(out, 7d, where %s) >= 0");
    dn__lang_scratch *fast = NULL, *vm = NULL;
    assert_int_equal(dn__lang_scratch_new(rs, &fast), 0);
    assert_int_equal(dn__lang_scratch_new(rs, &vm), 0);
    dn__lang_scratch_set_filter_tests(vm, false);
    uint32_t n_fast = 0, n_filters = dn__ruleset_plans(rs)[DN__ENT_ACCOUNT].filter_count;
    for (uint32_t i = 0; i < n_filters; i++)
        n_fast += dn__lang_filter_is_fast(fast, DN__ENT_ACCOUNT, i);
    /* all but the lower() one and the `or` with a `not` in it */
    assert_int_equal(n_fast, n_filters - 2);
    uint32_t differ = 0, seen_bits = 0;
    for (uint32_t i = 0; i < VARIED_EVENTS; i++) {
        int64_t amount;
        dn_event ev = varied_event(i, &amount);
        uint64_t bits[2];
        dn__lang_scratch *scs[2] = {fast, vm};
        for (int k = 0; k < 2; k++) {
            dn__lang_event_begin(scs[k], &ev, amount);
            bits[k] = dn__lang_filters(scs[k], DN__ROLE_SRC);
            dn__lang_event_end(scs[k]);
        }
        differ += bits[0] != bits[1];
        seen_bits |= (uint32_t)bits[0];
    }
    assert_int_equal(differ, 0);
    assert_true(__builtin_popcount(seen_bits) >= (int)n_filters - 1);
    dn__lang_scratch_free(fast);
    dn__lang_scratch_free(vm);
    dn_ruleset_release(rs);
}

/* Rules whose opening tests are checked before they enter the VM fire as the VM alone fires
 * them, with the same because lines (the guard's among them), whatever the event. */
static void test_rule_guards_equivalence(void **state)
{
    (void)state;
    static const char *const whens[] = {
        "amount >= 20 EUR and not (purpose in [\"SALA\", \"RENT\"]) and count(out, 7d) >= 1",
        "type == \"card\" and dst_country in [\"KH\", \"MM\"]",
        "not (customer.segment in [\"smb\"]) and reference ~ /\\bfee\\b/i and amount < 900 EUR",
        "reference ~ /loan|rent/i and sum(out, 7d) >= 30 EUR",
        "purpose == \"SALA\" or amount >= 2000 EUR",
        "amount > 0 EUR and (mcc == 6051 or remote_access)",
        "counterparty_country in [\"KH\"] and amount > 0 EUR and "
        "distinct(counterparty, out, 7d) >= 1",
        "ip_country in [\"TH\"] and not (reference ~ /zzz/) and len(reference) >= 0",
    };
    size_t nw = sizeof(whens) / sizeof(whens[0]);
    dn_ruleset *rs = compile_whens(whens, nw, "%s");
    dn__lang_scratch *scs[2] = {NULL, NULL};
    assert_int_equal(dn__lang_scratch_new(rs, &scs[0]), 0);
    assert_int_equal(dn__lang_scratch_new(rs, &scs[1]), 0);
    dn__lang_scratch_set_filter_tests(scs[1], false);
    dn__state *sts[2] = {lst_new(rs), lst_new(rs)};
    assert_non_null(sts[0]);
    assert_non_null(sts[1]);
    uint32_t hits_seen = 0;
    for (uint32_t i = 0; i < VARIED_EVENTS; i++) {
        int64_t amount;
        dn_event ev = varied_event(i, &amount);
        char lines[2][4096];
        uint32_t mask[2] = {0, 0};
        for (int k = 0; k < 2; k++) {
            lst_begin(sts[k], scs[k], &ev, amount);
            const dn__lang_hit *hits;
            uint32_t n;
            role_eval(sts[k], scs[k], &ev, amount, DN__ROLE_SRC, &hits, &n);
            size_t at = 0;
            lines[k][0] = '\0';
            for (uint32_t h = 0; h < n; h++) {
                mask[k] |= 1u << hits[h].rule;
                for (uint32_t b = 0; b < hits[h].because_count; b++)
                    at += (size_t)snprintf(lines[k] + at, sizeof(lines[k]) - at, "%.*s|",
                                           (int)hits[h].because[b].len, hits[h].because[b].ptr);
            }
            dn__lang_event_end(scs[k]);
        }
        assert_int_equal(mask[0], mask[1]);
        assert_string_equal(lines[0], lines[1]);
        hits_seen |= mask[0];
    }
    assert_int_equal(hits_seen, (1u << nw) - 1); /* every rule fired somewhere */
    dn__lang_scratch_free(scs[0]);
    dn__lang_scratch_free(scs[1]);
    dn__state_free(sts[0]);
    dn__state_free(sts[1]);
    dn_ruleset_release(rs);
}

/* Filters that read nothing but the type, `type in [...]` among them, are worked out once per
 * type when the scratch is made: each type gets the bits the filter's test gives it. */
static void test_type_only_filters(void **state)
{
    (void)state;
    static const char *const whens[] = {
        "type in [\"card\", \"login\"]", "not (type in [\"transfer\", \"card\"])",
        "type == \"cash_deposit\" or type in [\"crypto_buy\"]",
        "type in [\"card\"] and amount > 0 EUR", /* reads the amount: runs per event */
    };
    char src[4096];
    size_t len = (size_t)snprintf(src, sizeof(src), "%s", HDR);
    for (size_t i = 0; i < 4; i++)
        len += (size_t)snprintf(src + len, sizeof(src) - len,
                                "rule r%zu \"d\" {\n on transfer, card, login, cash_deposit, "
                                "crypto_buy\n for src\n when count(any, 7d, where %s) >= 0\n "
                                "score 1\n}\n",
                                i, whens[i]);
    dn_ruleset *rs = NULL;
    assert_int_equal(compile_src(src, &rs), 0);
    assert_int_equal(dn__ruleset_plans(rs)[DN__ENT_ACCOUNT].filter_count, 4);
    dn__lang_scratch *sc = NULL;
    assert_int_equal(dn__lang_scratch_new(rs, &sc), 0);
    for (int t = 0; t < DN_EV_TYPE_COUNT; t++) {
        dn_event ev = base_event();
        ev.type = (dn_event_type)t;
        bool is_card = t == DN_EV_CARD;
        uint64_t want = (uint64_t)(is_card || t == DN_EV_LOGIN) |
                        (uint64_t)(t != DN_EV_TRANSFER && !is_card) << 1 |
                        (uint64_t)(t == DN_EV_CASH_DEPOSIT || t == DN_EV_CRYPTO_BUY) << 2 |
                        (uint64_t)is_card << 3;
        dn__lang_event_begin(sc, &ev, ev.amount_minor);
        assert_int_equal(dn__lang_filters(sc, DN__ROLE_SRC), want);
        dn__lang_event_end(sc);
    }
    dn__lang_scratch_free(sc);
    dn_ruleset_release(rs);
}

static void test_sample_pack(void **state)
{
    (void)state;
    dn_diags *d = NULL;
    dn_ruleset *rs = NULL;
    int rc = dn_ruleset_compile(DN_TEST_DATA "/lang/sample", &d, &rs);
    if (rc)
        dn_diags_print(d, stderr);
    assert_int_equal(rc, 0);
    dn_diags_free(d);
    assert_string_equal(dn_ruleset_version(rs), "2026.11");
    assert_string_equal(dn_ruleset_base(rs), "EUR");
    assert_int_equal(strlen(dn_ruleset_hash(rs)), 16);
    assert_int_equal(dn__ruleset_base_digits(rs), 2);
    uint32_t nr, nt;
    const dn__rule_info *ri = dn__ruleset_rules(rs, &nr);
    const dn__typology_info *ti = dn__ruleset_typologies(rs, &nt);
    assert_int_equal(nr, 5);
    assert_int_equal(nt, 2);
    assert_string_equal(ri[0].id, "mule.pass_through");
    assert_int_equal(ri[0].role, DN__ROLE_SRC);
    assert_int_equal(ri[0].score, 40);
    assert_int_equal(ri[0].tag_count, 2);
    assert_string_equal(ri[0].tags[1], "layering");
    assert_int_equal(ri[0].type_mask, (1u << DN_EV_TRANSFER) | (1u << DN_EV_CASH_WITHDRAWAL) |
                                          (1u << DN_EV_CRYPTO_BUY));
    assert_int_equal(ri[0].typology_count, 1);
    assert_int_equal(ri[0].typologies[0], 0);
    assert_true(ri[1].is_shadow);
    assert_string_equal(ti[0].name, "money_mule");
    assert_string_equal(ti[0].severity, "high");
    assert_int_equal(ti[0].window_ms, 7 * 86400000LL);
    assert_int_equal(ti[0].suppress_ms, 86400000LL);
    assert_int_equal(ti[0].threshold, 60);
    assert_int_equal(ti[0].review, 40);
    assert_int_equal(ti[0].block, 80);
    assert_int_equal(ti[1].review, -1);
    /* the plans */
    const dn__state_plan *pl = dn__ruleset_plans(rs);
    const dn__state_plan *acc = &pl[DN__ENT_ACCOUNT];
    assert_int_equal(acc->agg_count, 4); /* sum in 24h (shared), sum out 24h, distinct, count */
    assert_int_equal(acc->aggs[0].kind, DN__AGG_SUM);
    assert_int_equal(acc->aggs[0].dir, DN__DIR_IN);
    assert_int_equal(acc->aggs[0].window_ms, 86400000LL);
    assert_int_equal(acc->aggs[0].filter, -1);
    assert_int_equal(acc->aggs[3].kind, DN__AGG_COUNT);
    assert_int_equal(acc->aggs[3].filter, 0);
    assert_int_equal(acc->filter_count, 1);
    assert_int_equal(acc->retention_ms, 14 * 86400000LL); /* typology scam_victim */
    assert_int_equal(acc->counterparty_memory_ms, 60 * 86400000LL);
    assert_int_equal(acc->rule_count, 5);
    assert_int_equal(acc->typology_count, 2);
    assert_int_equal(pl[DN__ENT_DEVICE].agg_count, 1);
    assert_int_equal(pl[DN__ENT_DEVICE].aggs[0].kind, DN__AGG_DISTINCT);
    assert_int_equal(pl[DN__ENT_DEVICE].aggs[0].field, DN__FIELD_ACCOUNT);
    assert_int_equal(pl[DN__ENT_DEVICE].retention_ms, 7 * 86400000LL); /* hits(..., 7d) */
    assert_int_equal(pl[DN__ENT_DEVICE].counterparty_memory_ms, 0);
    assert_int_equal(pl[DN__ENT_IP].agg_count, 0);
    /* where-filters run on the event */
    dn__lang_scratch *sc = NULL;
    assert_int_equal(dn__lang_scratch_new(rs, &sc), 0);
    dn_event ev = base_event();
    dn__lang_event_begin(sc, &ev, 40000);
    assert_int_equal(dn__lang_filters(sc, DN__ROLE_DST), 1);
    dn__lang_event_begin(sc, &ev, 60000);
    assert_int_equal(dn__lang_filters(sc, DN__ROLE_DST), 0);
    assert_int_equal(dn__lang_filters(sc, DN__ROLE_DEVICE), 0);
    dn__lang_event_end(sc);
    dn__lang_scratch_free(sc);
    /* conversion of event amounts */
    int64_t v;
    assert_int_equal(dn_ruleset_to_base(rs, "GBP", 100, &v), 0);
    assert_int_equal(v, 117);
    assert_int_equal(dn_ruleset_to_base(rs, "JPY", 10000, &v), 0);
    assert_int_equal(v, 6200);
    assert_int_equal(dn_ruleset_to_base(rs, "EUR", 12345, &v), 0);
    assert_int_equal(v, 12345);
    assert_int_equal(dn_ruleset_to_base(rs, "CHF", 1, &v), DN_ENOENT);
    /* summary and disasm */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    dn_ruleset_summary(rs, f);
    dn_ruleset_disasm(rs, f);
    fclose(f);
    assert_non_null(strstr(buf, "5 rules (1 shadow), 2 typologies, 6 params, 1 lists"));
    assert_non_null(strstr(buf, "retention src 2w, dst 2w, device 1w, ip 0"));
    assert_non_null(strstr(buf, "MATCH"));
    assert_non_null(strstr(buf, "(prefiltered)"));
    assert_non_null(strstr(buf, "CMPFC     op=>=      ; amount >= 1755.59 EUR"));
    assert_non_null(strstr(buf, "filter account#0  ; where amount < 500 EUR"));
    free(buf);
    dn_ruleset_release(dn_ruleset_retain(rs));
    dn_ruleset_release(rs);
}

/* The rule set's disassembly as one string (free it). Not inlined: gcc 12 then takes the string
 * for the address of this function's local (-Wdangling-pointer). */
static __attribute__((noinline)) char *disasm_of(const dn_ruleset *rs)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    dn_ruleset_disasm(rs, f);
    fclose(f);
    assert_non_null(buf);
    return buf;
}

static void test_folding(void **state)
{
    (void)state;
    dn_ruleset *rs = NULL;
    assert_int_equal(compile_src("version \"f\"\nbase EUR\nparam r = 0.5\nparam m = $r * 2000 GBP\n"
                                 "param w = 2d - 12h\n"
                                 "rule r \"d\" {\n on transfer\n for src\n when amount > $m + "
                                 "-(1h / 30m) * 1 EUR and now - customer.opened < $w * 2\n score "
                                 "1\n}\n",
                                 &rs),
                     0);
    char *buf = disasm_of(rs);
    /* 0.5 * 2000 GBP = 1170.00 EUR, minus 2.00 EUR; (2d - 12h) * 2 = 3d: one constant each */
    assert_non_null(strstr(buf, "CMPFC     op=>       ; amount > 1168.00 EUR"));
    assert_non_null(strstr(buf, "now - customer.opened < 3d\n"));
    assert_null(strstr(buf, "MUL"));
    assert_null(strstr(buf, "DIV"));
    assert_null(strstr(buf, "NEG"));
    assert_non_null(strstr(buf, "SUB")); /* now - customer.opened is not constant */
    free(buf);
    dn_ruleset_release(rs);
}

/* An `and` chain runs cheapest first, and an event-field regex (answered by the prefilter) is
 * cheapest of all: written last, it still opens the program, so a rule whose regex the prefilter
 * rules out is skipped whole, and a hit explains itself in the written order. */
static void test_and_order(void **state)
{
    (void)state;
    dn_ruleset *rs = NULL;
    assert_int_equal(compile_src(HDR "rule r \"d\" {\n on transfer\n for src\n when count(out, 7d) "
                                     ">= 0 and amount > 5 EUR and reference ~ /withdrawal fee/i\n "
                                     "score 1\n}\n",
                                 &rs),
                     0);
    char *buf = disasm_of(rs);
    assert_non_null(strstr(buf, "  0000  FIELD "));
    assert_non_null(strstr(buf, "  0001  MATCH "));
    assert_true(strstr(buf, "MATCH") < strstr(buf, "CMPFC") &&
                strstr(buf, "CMPFC") < strstr(buf, "AGG"));
    free(buf);
    dn__lang_scratch *sc = NULL;
    assert_int_equal(dn__lang_scratch_new(rs, &sc), 0);
    dn__lang_scratch_set_prefilter(sc, true);
    dn__lang_scratch_defer_because(sc, false);
    dn__state *store = lst_new(rs);
    assert_non_null(store);
    static const char *const refs[] = {"rent march", "WITHDRAWAL FEE 2"};
    for (int i = 0; i < 2; i++) {
        dn_event ev = base_event();
        ev.reference = (dn_str){refs[i], (uint32_t)strlen(refs[i])};
        lst_begin(store, sc, &ev, 250000);
        const dn__lang_hit *hits;
        uint32_t n = 9;
        role_eval(store, sc, &ev, 250000, DN__ROLE_SRC, &hits, &n);
        dn__lang_stats st;
        dn__lang_stats_get(sc, &st);
        if (i == 0) {
            assert_int_equal(n, 0);
            assert_int_equal(st.regex_runs, 0); /* skipped before the VM: no field read */
            assert_true(st.prefilter_skips > 0);
        } else {
            assert_int_equal(n, 1);
            assert_int_equal(hits[0].because_count, 3);
            assert_non_null(strstr(hits[0].because[0].ptr, "count(out, 7d)"));
            assert_non_null(strstr(hits[0].because[1].ptr, "amount"));
            assert_non_null(strstr(hits[0].because[2].ptr, "reference"));
        }
        dn__lang_event_end(sc);
    }
    dn__lang_scratch_free(sc);
    dn__state_free(store);
    dn_ruleset_release(rs);
}

static void test_hash_covers_lists(void **state)
{
    (void)state;
    const char *src = HDR "rule r \"d\" {\n on transfer\n for src\n when dst in $wallets\n score "
                          "1\n}\n";
    dn_ruleset *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(compile_src(src, &a), 0);
    assert_int_equal(compile_src(src, &b), 0);
    assert_string_equal(dn_ruleset_hash(a), dn_ruleset_hash(b));
    list_text = "other\n";
    assert_int_equal(compile_src(src, &c), 0);
    list_text = "# wallets\nTQ1abc\n  0xdeadbeef  \n\nbc1qxyz\n";
    assert_string_not_equal(dn_ruleset_hash(a), dn_ruleset_hash(c));
    dn_ruleset_release(a);
    dn_ruleset_release(b);
    dn_ruleset_release(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_money),
        cmocka_unit_test(test_money_rounding),
        cmocka_unit_test(test_numbers_durations_times),
        cmocka_unit_test(test_strings_lists_regex),
        cmocka_unit_test(test_bools_missing_attrs),
        cmocka_unit_test(test_missing_amount_and_bool),
        cmocka_unit_test(test_on_types_and_roles),
        cmocka_unit_test(test_because),
        cmocka_unit_test(test_regex_limit),
        cmocka_unit_test(test_prefilter_equivalence),
        cmocka_unit_test(test_filter_tests_equivalence),
        cmocka_unit_test(test_set_short_words),
        cmocka_unit_test(test_rule_guards_equivalence),
        cmocka_unit_test(test_type_only_filters),
        cmocka_unit_test(test_sample_pack),
        cmocka_unit_test(test_folding),
        cmocka_unit_test(test_and_order),
        cmocka_unit_test(test_hash_covers_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
