/*
 * fuzz_rules_eval.c - a fixed rule set (event fields, attributes, builtins, lists, regexes with
 * the prefilter; no entity functions) evaluated against events built from arbitrary bytes, once
 * with the prefilter and the opening tests checked before the VM, once by the VM alone: the two
 * must agree, and nothing may crash.
 *
 * Input: lines (split at '\n') fill, in order, reference, src_name, dst_name, purpose, channel,
 * dst_country, src, dst, attrs.wallet, attrs.note; the first byte also picks the event type
 * and the amount. Each scratch has its own real state store (tests/unit/lang_state.h): every
 * role the event has is touched and observed before its rules run, as in the engine.
 */
#include "dragnet/error.h"
#include "dragnet/event.h"
#include "dragnet/rules.h"
#include "lang/lang.h"
#include "lang/lang_internal.h"
#include "../unit/lang_state.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char rules[] =
    "version \"fuzz\"\nbase EUR\n"
    "param hot = [\"KH\", \"MM\", \"LA\", \"PH\"]\n"
    "list wallets from \"lists/w.txt\"\n"
    "rule a \"d\" {\n on transfer, card, crypto_buy\n for src\n when reference ~ "
    "/\\b(usdt|withdrawal fee|unlock(ing)? fee|tax (fee|clearance))\\b/i and dst_country in "
    "$hot\n score 1\n}\n"
    "rule b \"d\" {\n on transfer\n for dst\n when src_name ~ /^(mr|mrs)\\.? /i or dst_name !~ "
    "/[a-z]/ or purpose ~ /(\\w)\\1{2}/\n score 1\n}\n"
    "rule c \"d\" {\n on transfer, card, crypto_buy\n for src\n when lower(channel) == "
    "\"online\" and amount * 1.5 > 100 EUR or attrs.wallet in $wallets or len(reference) > "
    "100\n score 1\n}\n"
    "rule d \"d\" {\n on transfer, login\n for device\n when counterparty ~ /^(a+)+$/ and not "
    "(attrs.note == \"x\") and hour(now) >= 0\n score 1\n}\n"
    "rule e \"d\" {\n on transfer, card\n for ip\n when reference ~ /gift.card/s and reference ~ "
    "/^x/m and reference ~ /c r y p t o/x\n score 1\n}\n";

static int load(void *ctx, const char *path, char **text, size_t *len)
{
    (void)ctx;
    (void)path;
    *text = strdup("TQ1abc\n0xdeadbeef\n");
    if (!*text)
        return DN_ENOMEM;
    *len = strlen(*text);
    return 0;
}

static dn_ruleset *rs;
static dn__lang_scratch *on, *off;
static dn__state *st_on, *st_off;

static void setup(void)
{
    const char *names[] = {"fuzz.rules"};
    const char *texts[] = {rules};
    size_t lens[] = {sizeof(rules) - 1};
    dn__lang_sources s = {.names = names, .texts = texts, .lens = lens, .count = 1, .load = load};
    dn_diags *d = NULL;
    if (dn__ruleset_compile_sources(&s, &d, &rs) != 0) {
        dn_diags_print(d, stderr);
        abort();
    }
    dn_diags_free(d);
    if (dn__lang_scratch_new(rs, &on) || dn__lang_scratch_new(rs, &off))
        abort();
    st_on = lst_new_capped(rs, 4096);
    st_off = lst_new_capped(rs, 4096);
    if (!st_on || !st_off)
        abort();
    dn__lang_scratch_set_prefilter(on, true);
    dn__lang_scratch_set_prefilter(off, false);
    dn__lang_scratch_set_filter_tests(off, false);
    dn__lang_scratch_defer_because(off, true); /* its lines are written from the records */
}

/* The because lines of every hit, one after another, into out (cap bytes); returns the length. */
static size_t lines_of(const dn__lang_hit *h, char *out, size_t cap)
{
    static char text[16 * DN__BECAUSE_MAX];
    dn_str rendered[16];
    const dn_str *lines = h->because;
    uint32_t n = h->because_count;
    if (h->why) {
        if (dn__lang_because_render(rs, h->rule, h->why, h->why_len, text, sizeof(text), rendered,
                                    16, &n) != 0)
            abort();
        lines = rendered;
    } else if (n > 16) {
        n = 16;
    }
    size_t len = 0;
    for (uint32_t k = 0; k < n; k++) {
        if (lines[k].len && !lines[k].ptr)
            abort();
        if (len + lines[k].len + 1 < cap) {
            memcpy(out + len, lines[k].ptr, lines[k].len);
            len += lines[k].len;
            out[len++] = '\n';
        }
    }
    return len;
}

static char seen_on[1 << 16], seen_off[1 << 16];

static uint32_t eval(dn__state *st, dn__lang_scratch *sc, const dn_event *ev, char *seen,
                     size_t *seen_len)
{
    uint32_t mask = 0;
    *seen_len = 0;
    lst_begin(st, sc, ev, ev->amount_minor);
    for (int r = 0; r < DN__ROLE_COUNT; r++) {
        const dn__lang_hit *hits;
        uint32_t n;
        dn__observation pre;
        dn__entity *e = lst_observe(st, sc, ev, ev->amount_minor, (dn__role)r, &pre);
        if (!e)
            continue;
        if (dn__lang_eval(sc, (dn__role)r, st, e, &pre, &hits, &n) != 0)
            abort();
        for (uint32_t i = 0; i < n; i++) {
            mask |= 1u << (hits[i].rule + 8 * r);
            *seen_len += lines_of(&hits[i], seen + *seen_len, (1 << 16) - *seen_len);
        }
    }
    dn__lang_event_end(sc);
    return mask;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!rs)
        setup();
    dn_event ev;
    dn_event_init(&ev);
    ev.id = (dn_str){"fz", 2};
    ev.ts_ms = 1700000000000LL;
    ev.type = size ? (dn_event_type)(data[0] % DN_EV_TYPE_COUNT) : DN_EV_TRANSFER;
    ev.has_amount = size > 1;
    ev.amount_minor = size > 1 ? (int64_t)data[1] * 997 : 0;
    strcpy(ev.currency, "EUR");
    dn_str *fields[] = {&ev.reference, &ev.src_name, &ev.dst_name, &ev.purpose, &ev.channel};
    dn_str parts[10] = {{0}};
    size_t np = 0, start = size > 2 ? 2 : size;
    for (size_t i = start; i <= size && np < 10; i++) {
        if (i == size || data[i] == '\n') {
            parts[np++] = (dn_str){(const char *)data + start, (uint32_t)(i - start)};
            start = i + 1;
        }
    }
    for (size_t i = 0; i < 5 && i < np; i++)
        *fields[i] = parts[i];
    if (np > 5 && parts[5].len == 2)
        memcpy(ev.dst_country, parts[5].ptr, 2);
    if (np > 6)
        ev.src = parts[6];
    if (np > 7)
        ev.dst = parts[7];
    dn_attr attrs[2];
    uint32_t na = 0;
    if (np > 8)
        attrs[na++] = (dn_attr){.key = {"wallet", 6}, .kind = DN_VAL_STR, .v.s = parts[8]};
    if (np > 9)
        attrs[na++] = (dn_attr){.key = {"note", 4}, .kind = DN_VAL_STR, .v.s = parts[9]};
    ev.attrs = attrs;
    ev.attr_count = na;
    ev.device = (dn_str){"dev", 3};
    ev.ip = (dn_str){"1.2.3.4", 7};
    /* the prefilter and the deferred because lines change nothing a hit says */
    size_t len_on, len_off;
    if (eval(st_on, on, &ev, seen_on, &len_on) != eval(st_off, off, &ev, seen_off, &len_off))
        abort();
    if (len_on != len_off || memcmp(seen_on, seen_off, len_on) != 0)
        abort();
    return 0;
}
