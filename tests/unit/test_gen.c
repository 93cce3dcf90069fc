/*
 * test_gen.c - the labelled feed generator (engine/gen) and `dragnet gen`.
 *
 * One small feed (3,000 customers, 30 days) is generated per check into a private temporary
 * folder: same seed gives identical bytes, another seed other bytes; events are sorted by ts with
 * unique ids; every event carries the fields its type requires; msgpack and NDJSON of one seed
 * hold the same events; the labels file is well formed, names only entities seen in the feed,
 * and every typology has cases with every variant. The CLI's exit codes are checked by running
 * the built binary (DN_BINARY).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dragnet/error.h"
#include "gen/gen.h"

#include <jansson.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ACCOUNTS 3000
#define DAYS     30

static char dir[64];

static void path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static void gen(uint64_t seed, dn__gen_format fmt, const char *out_name, const char *labels_name,
                dn__gen_stats *st)
{
    char p[128], l[128];
    path(p, sizeof(p), out_name);
    FILE *out = fopen(p, "wb");
    assert_non_null(out);
    FILE *labels = NULL;
    if (labels_name) {
        path(l, sizeof(l), labels_name);
        labels = fopen(l, "w");
        assert_non_null(labels);
    }
    dn__gen_config cfg = {.accounts = ACCOUNTS, .days = DAYS, .seed = seed, .format = fmt};
    assert_int_equal(dn__gen_parse_date("2026-01-05", &cfg.start_ms), 0);
    assert_int_equal(dn__gen_run(&cfg, out, labels, st), 0);
    assert_int_equal(fclose(out), 0);
    if (labels)
        assert_int_equal(fclose(labels), 0);
}

static char *slurp(const char *name, size_t *len)
{
    char p[128];
    path(p, sizeof(p), name);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static json_t *mp_to_json(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_BOOLEAN:
        return json_boolean(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return json_integer((json_int_t)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return json_integer((json_int_t)o->via.i64);
    case MSGPACK_OBJECT_STR:
        return json_stringn(o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_MAP: {
        json_t *m = json_object();
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            char key[128];
            snprintf(key, sizeof(key), "%.*s", (int)o->via.map.ptr[i].key.via.str.size,
                     o->via.map.ptr[i].key.via.str.ptr);
            json_object_set_new(m, key, mp_to_json(&o->via.map.ptr[i].val));
        }
        return m;
    }
    default:
        return json_null();
    }
}

/* Every event of an NDJSON feed, as a JSON array. */
static json_t *load_ndjson(const char *name)
{
    size_t len;
    char *buf = slurp(name, &len);
    json_t *all = json_array();
    char *line = buf;
    while (*line) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl); /* every line ends */
        json_error_t err;
        json_t *ev = json_loadb(line, (size_t)(nl - line), 0, &err);
        assert_non_null(ev);
        json_array_append_new(all, ev);
        line = nl + 1;
    }
    free(buf);
    return all;
}

static const char *str(json_t *ev, const char *key)
{
    return json_string_value(json_object_get(ev, key));
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/dn_test_gen_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_deterministic_per_seed(void **state)
{
    (void)state;
    dn__gen_stats st;
    gen(7, DN__GEN_MSGPACK, "a.mp", NULL, &st);
    gen(7, DN__GEN_MSGPACK, "b.mp", NULL, &st);
    gen(8, DN__GEN_MSGPACK, "c.mp", NULL, &st);
    size_t la, lb, lc;
    char *a = slurp("a.mp", &la), *b = slurp("b.mp", &lb), *c = slurp("c.mp", &lc);
    assert_true(la > 0);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    assert_true(la != lc || memcmp(a, c, la) != 0);
    free(a);
    free(b);
    free(c);
}

static void test_sorted_unique_and_complete(void **state)
{
    (void)state;
    dn__gen_stats st;
    gen(1, DN__GEN_NDJSON, "f.ndjson", NULL, &st);
    json_t *all = load_ndjson("f.ndjson");
    size_t n = json_array_size(all);
    assert_int_equal(n, st.events);
    /* Roughly 10 events per account per 30 days. */
    assert_true(n > (size_t)ACCOUNTS * 6 && n < (size_t)ACCOUNTS * 16);
    int64_t prev_ts = INT64_MIN;
    char prev_id[80] = "";
    size_t by_type[DN_EV_TYPE_COUNT] = {0};
    for (size_t i = 0; i < n; i++) {
        json_t *ev = json_array_get(all, i);
        int64_t ts = json_integer_value(json_object_get(ev, "ts"));
        assert_true(ts >= prev_ts);
        prev_ts = ts;
        const char *id = str(ev, "id");
        assert_non_null(id);
        assert_true(strcmp(id, prev_id) > 0); /* ids rise with output order: unique */
        snprintf(prev_id, sizeof(prev_id), "%s", id);
        dn_event_type t;
        const char *type = str(ev, "type");
        assert_non_null(type);
        assert_int_equal(dn_event_type_parse(type, strlen(type), &t), 0);
        by_type[t]++;
        bool needs_src = t == DN_EV_TRANSFER || t == DN_EV_CARD || t == DN_EV_CASH_WITHDRAWAL ||
                         t == DN_EV_CRYPTO_BUY || t == DN_EV_ACCOUNT_OPEN || t == DN_EV_LOGIN;
        bool needs_dst = t == DN_EV_TRANSFER || t == DN_EV_CASH_DEPOSIT || t == DN_EV_CRYPTO_SELL;
        if (needs_src)
            assert_non_null(str(ev, "src"));
        if (needs_dst)
            assert_non_null(str(ev, "dst"));
        if (dn_event_type_is_payment(t)) {
            assert_true(json_is_integer(json_object_get(ev, "amount")));
            assert_true(json_integer_value(json_object_get(ev, "amount")) >= 0);
            assert_int_equal(strlen(str(ev, "currency")), 3);
        } else {
            assert_null(json_object_get(ev, "amount"));
        }
        if (t == DN_EV_CARD)
            assert_true(json_is_integer(json_object_get(ev, "mcc")));
        if (t == DN_EV_LOGIN)
            assert_non_null(str(ev, "device"));
        const char *ref = str(ev, "reference");
        if (ref)
            assert_true(strlen(ref) <= 140);
        json_t *c = json_object_get(ev, "customer");
        if (c) {
            assert_true(json_is_integer(json_object_get(c, "birth_year")));
            assert_true(json_is_integer(json_object_get(c, "opened")));
            assert_non_null(json_string_value(json_object_get(c, "segment")));
            assert_int_equal(strlen(json_string_value(json_object_get(c, "residence"))), 2);
        }
    }
    for (int t = 0; t < DN_EV_TYPE_COUNT; t++)
        assert_true(by_type[t] > 0); /* every type occurs */
    json_decref(all);
}

static void test_msgpack_and_ndjson_same_events(void **state)
{
    (void)state;
    dn__gen_stats st;
    gen(3, DN__GEN_NDJSON, "s.ndjson", NULL, &st);
    gen(3, DN__GEN_MSGPACK, "s.mp", NULL, &st);
    json_t *all = load_ndjson("s.ndjson");
    size_t len;
    char *mp = slurp("s.mp", &len);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0, i = 0;
    while (msgpack_unpack_next(&u, mp, len, &off) == MSGPACK_UNPACK_SUCCESS) {
        assert_int_equal(u.data.type, MSGPACK_OBJECT_MAP);
        json_t *j = mp_to_json(&u.data);
        assert_true(json_equal(j, json_array_get(all, i)));
        json_decref(j);
        i++;
    }
    assert_int_equal(off, len);
    assert_int_equal(i, json_array_size(all));
    msgpack_unpacked_destroy(&u);
    free(mp);
    json_decref(all);
}

static void test_labels_well_formed_and_seen(void **state)
{
    (void)state;
    dn__gen_stats st;
    gen(1, DN__GEN_NDJSON, "l.ndjson", "l.csv", &st);
    json_t *all = load_ndjson("l.ndjson");
    /* Every entity of the feed, by role. */
    json_t *seen = json_object();
    for (size_t i = 0; i < json_array_size(all); i++) {
        json_t *ev = json_array_get(all, i);
        const char *keys[] = {"src", "dst", "device", "ip"};
        for (int k = 0; k < 4; k++)
            if (str(ev, keys[k]))
                json_object_set_new(seen, str(ev, keys[k]), json_true());
    }
    size_t len;
    char *csv = slurp("l.csv", &len);
    const char *header = "entity,typology,case_id\n";
    assert_memory_equal(csv, header, strlen(header));
    size_t rows = 0, per_typ[DN__GEN_TYP_COUNT] = {0};
    json_t *entities = json_object();
    for (char *line = csv + strlen(header); *line;) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        *nl = '\0';
        char entity[80], typ[40], case_id[40];
        assert_int_equal(sscanf(line, "%79[^,],%39[^,],%39s", entity, typ, case_id), 3);
        assert_non_null(json_object_get(seen, entity));
        assert_null(json_object_get(entities, entity)); /* one case per entity */
        json_object_set_new(entities, entity, json_true());
        int t = -1;
        for (int k = 0; k < DN__GEN_TYP_COUNT; k++)
            if (strcmp(typ, dn__gen_typology_name((dn__gen_typology)k)) == 0)
                t = k;
        assert_true(t >= 0);
        static const char *const prefix[] = {"mule-", "victim-", "ops-"};
        assert_memory_equal(case_id, prefix[t], strlen(prefix[t]));
        assert_int_equal(strlen(case_id), strlen(prefix[t]) + 4);
        per_typ[t]++;
        rows++;
        line = nl + 1;
    }
    size_t labelled = 0;
    for (int t = 0; t < DN__GEN_TYP_COUNT; t++) {
        assert_true(per_typ[t] > 0);
        assert_int_equal(per_typ[t], st.labelled[t]);
        labelled += per_typ[t];
        /* Every variant of every typology is present in a feed of this size. */
        for (unsigned v = 0; dn__gen_variant_name((dn__gen_typology)t, v); v++)
            assert_true(st.variants[t][v] > 0);
    }
    assert_int_equal(rows, labelled);
    /* About 0.5-1.5 % of customers are labelled accounts (plus devices and IPs). */
    assert_true(rows >= ACCOUNTS / 200 && rows <= ACCOUNTS / 40);
    free(csv);
    json_decref(entities);
    json_decref(seen);
    json_decref(all);
}

/* Honest look-alikes exist outside the labels, so no single indicator separates the cases. */
static void test_lookalikes_unlabelled(void **state)
{
    (void)state;
    dn__gen_stats st;
    gen(1, DN__GEN_NDJSON, "k.ndjson", "k.csv", &st);
    json_t *all = load_ndjson("k.ndjson");
    size_t len;
    char *csv = slurp("k.csv", &len);
    json_t *labelled = json_object();
    for (char *line = strchr(csv, '\n') + 1; *line;) {
        char *comma = strchr(line, ',');
        *comma = '\0';
        json_object_set_new(labelled, line, json_true());
        line = strchr(comma + 1, '\n') + 1;
    }
    json_t *payers = json_object(), *device_users = json_object();
    int cash_near_10k = 0, hotspot_ip = 0, hotspot_payment = 0, crypto = 0, fan_in = 0,
        shared_device = 0;
    for (size_t i = 0; i < json_array_size(all); i++) {
        json_t *ev = json_array_get(all, i);
        const char *type = str(ev, "type"), *src = str(ev, "src"), *dst = str(ev, "dst");
        const char *ipc = str(ev, "ip_country"), *dc = str(ev, "dst_country");
        bool is_src_clean = src && !json_object_get(labelled, src);
        bool is_dst_clean = dst && !json_object_get(labelled, dst);
        json_int_t amount = json_integer_value(json_object_get(ev, "amount"));
        if (strcmp(type, "cash_deposit") == 0 && is_dst_clean && amount >= 900000 &&
            amount < 1000000)
            cash_near_10k++;
        if (is_src_clean && ipc && strcmp(ipc, "DE") != 0)
            hotspot_ip++;
        if (strcmp(type, "transfer") == 0 && is_src_clean && dc &&
            (strcmp(dc, "TH") == 0 || strcmp(dc, "PH") == 0 || strcmp(dc, "KH") == 0))
            hotspot_payment++;
        if (strcmp(type, "crypto_buy") == 0 && is_src_clean)
            crypto++;
        if (strcmp(type, "transfer") == 0 && is_dst_clean && src) {
            json_t *set = json_object_get(payers, dst);
            if (!set) {
                set = json_object();
                json_object_set_new(payers, dst, set);
            }
            json_object_set_new(set, src, json_true());
        }
        const char *dev = str(ev, "device");
        if (dev && is_src_clean) {
            json_t *set = json_object_get(device_users, dev);
            if (!set) {
                set = json_object();
                json_object_set_new(device_users, dev, set);
            }
            json_object_set_new(set, src, json_true());
        }
    }
    const char *key;
    json_t *set;
    json_object_foreach(payers, key, set) fan_in += json_object_size(set) >= 10;
    json_object_foreach(device_users, key, set) shared_device += json_object_size(set) >= 3;
    assert_true(cash_near_10k > 0);   /* shop takings just under 10,000 */
    assert_true(hotspot_ip > 0);      /* holidays in TH/PH/KH */
    assert_true(hotspot_payment > 0); /* remittances, hotel deposits */
    assert_true(crypto > 0);          /* monthly crypto savers */
    assert_true(fan_in > 0);          /* businesses, landlords, clubs */
    assert_true(shared_device > 0);   /* families on one tablet */
    free(csv);
    json_decref(payers);
    json_decref(device_users);
    json_decref(labelled);
    json_decref(all);
}

static int run(const char *args)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "'%s' gen %s >/dev/null 2>&1", DN_BINARY, args);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_cli_exit_codes(void **state)
{
    (void)state;
    char args[256];
    snprintf(args, sizeof(args), "--accounts 200 --days 3 -o %s/cli.ndjson --labels %s/cli.csv",
             dir, dir);
    assert_int_equal(run(args), 0);
    size_t len;
    char *out = slurp("cli.ndjson", &len);
    assert_true(len > 0 && out[0] == '{'); /* .ndjson picks NDJSON */
    free(out);
    assert_int_equal(run("--accounts 10"), 2);
    assert_int_equal(run("--accounts x --days 3 -o /tmp/x"), 2);
    assert_int_equal(run("--accounts 10 --days 3 --format xml -o /tmp/x"), 2);
    assert_int_equal(run("--accounts 10 --days 3 --start 2026-13-01 -o /tmp/x"), 2);
    assert_int_equal(run("--bogus"), 2);
    assert_int_equal(run("--accounts 10 --days 3 -o /nonexistent-dir/feed.mp"), 1);
}

static void test_calendar(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(dn__gen_parse_date("2026-01-05", &ms), 0);
    assert_int_equal(ms, 1767571200000);
    assert_int_equal(dn__gen_parse_date("2024-02-29", &ms), 0);
    assert_int_equal(dn__gen_parse_date("2026-02-29", &ms), DN_EINVAL);
    assert_int_equal(dn__gen_parse_date("2026-1-05", &ms), DN_EINVAL);
    assert_int_equal(dn__gen_parse_date("2026-01-05x", &ms), DN_EINVAL);
    for (int64_t z = -800; z < 40000; z += 37) {
        int y;
        unsigned m, d;
        dn__gen_civil_from_days(z, &y, &m, &d);
        assert_int_equal(dn__gen_days_from_civil(y, m, d), z);
        assert_true(d >= 1 && d <= dn__gen_days_in_month(y, m));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calendar),
        cmocka_unit_test(test_deterministic_per_seed),
        cmocka_unit_test(test_sorted_unique_and_complete),
        cmocka_unit_test(test_msgpack_and_ndjson_same_events),
        cmocka_unit_test(test_labels_well_formed_and_seen),
        cmocka_unit_test(test_lookalikes_unlabelled),
        cmocka_unit_test(test_cli_exit_codes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
