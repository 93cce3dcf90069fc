/*
 * test_cli_replay.c - runs the built dragnet binary (DN_BINARY): `dragnet replay` over one mixed
 * feed written as NDJSON, as bare msgpack and as length-prefixed msgpack gives the exact accepted
 * and per-reason dead-letter counts in its report, the same for every format, and a dead-letter
 * file with one parseable line per bad event; exit codes 1 (an input cannot be used) and 2
 * (usage). Each test works in its own temporary directory and removes it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dragnet/error.h"
#include "ingest/ingest.h"
#include "mp_helpers.h"
#include "sink/sink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The feed: each line is an event as JSON; the expected reason, or NULL when accepted. */
static const struct {
    const char *json;
    const char *reason;
} feed[] = {
    {"{\"id\":\"e1\",\"ts\":1000,\"type\":\"transfer\",\"amount\":100,\"currency\":\"EUR\","
     "\"src\":\"A\",\"dst\":\"B\",\"reference\":\"rent\"}",
     NULL},
    {"{\"id\":\"e2\",\"ts\":2000,\"type\":\"login\",\"src\":\"A\",\"device\":\"d1\","
     "\"ip\":\"10.0.0.1\",\"ip_country\":\"KH\",\"remote_access\":true}",
     NULL},
    {"{\"id\":\"e3\",\"ts\":3000,\"type\":\"cash_deposit\",\"amount\":5000,\"currency\":\"GBP\","
     "\"dst\":\"B\",\"customer\":{\"birth_year\":1950,\"residence\":\"GB\"},\"extra\":[1]}",
     NULL},
    {"{\"id\":\"e1\",\"ts\":1500,\"type\":\"transfer\",\"amount\":100,\"currency\":\"EUR\","
     "\"src\":\"A\",\"dst\":\"B\"}",
     "duplicate_id"},
    {"{\"id\":\"e4\",\"ts\":4000,\"type\":\"card\",\"amount\":1.5,\"currency\":\"EUR\","
     "\"src\":\"A\"}",
     "bad_type:amount"},
    {"{\"id\":\"e5\",\"ts\":5000,\"type\":\"transfer\",\"amount\":1,\"currency\":\"EUR\","
     "\"dst\":\"B\"}",
     "missing_field:src"},
    {"{\"id\":\"e6\",\"ts\":6000,\"type\":\"teleport\",\"src\":\"A\"}", "unknown_event_type"},
    {"{\"id\":\"e7\",\"ts\":7000,\"type\":\"card\",\"amount\":1,\"currency\":\"eur\","
     "\"src\":\"A\"}",
     "bad_currency"},
    {"[1,2,3]", "not_a_map"},
    {"{\"id\":\"e8\",\"ts\":8000,\"type\":\"crypto_buy\",\"amount\":-5,\"currency\":\"EUR\","
     "\"src\":\"A\"}",
     "negative_amount"},
    {"{\"id\":\"e9\",\"ts\":9000,\"type\":\"crypto_sell\",\"amount\":7,\"currency\":\"USD\","
     "\"dst\":\"W\"}",
     NULL},
    {"{\"id\":\"e1\",\"ts\":999999999999,\"type\":\"login\",\"src\":\"A\"}",
     NULL}, /* past horizon */
};
enum { FEED_N = sizeof(feed) / sizeof(feed[0]) };

typedef struct tmp {
    char dir[64];
    char path[256];
} tmp;

static const char *in_dir(tmp *t, const char *name)
{
    snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
    return t->path;
}

static int run(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "'%s' replay %s >/dev/null 2>&1", DN_BINARY, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Writes the feed in each format, plus one corrupt frame each. */
static void write_feeds(tmp *t)
{
    msgpack_sbuffer nd, bare, pre, one;
    msgpack_sbuffer_init(&nd);
    msgpack_sbuffer_init(&bare);
    msgpack_sbuffer_init(&pre);
    for (int i = 0; i < FEED_N; i++) {
        msgpack_sbuffer_write(&nd, feed[i].json, strlen(feed[i].json));
        msgpack_sbuffer_write(&nd, "\n", 1);
        msgpack_sbuffer_init(&one);
        assert_int_equal(mp_from_json(&one, feed[i].json), 0);
        msgpack_sbuffer_write(&bare, one.data, one.size);
        char be[4] = {(char)(one.size >> 24), (char)(one.size >> 16), (char)(one.size >> 8),
                      (char)one.size};
        msgpack_sbuffer_write(&pre, be, 4);
        msgpack_sbuffer_write(&pre, one.data, one.size);
        msgpack_sbuffer_destroy(&one);
        if (i == 4) { /* a corrupt frame in the middle */
            msgpack_sbuffer_write(&nd, "{\"id\":\"x\",\n", 11);
            msgpack_sbuffer_write(&bare, "\xc1\xc1\xc1 junk", 8);
            msgpack_sbuffer_write(&pre, "\x00\x00\x00\x02\xc1\xc1", 6);
        }
    }
    write_file(in_dir(t, "feed.ndjson"), nd.data, nd.size);
    write_file(in_dir(t, "feed.mp"), bare.data, bare.size);
    write_file(in_dir(t, "feed.mpp"), pre.data, pre.size);
    write_file(in_dir(t, "empty.ndjson"), "", 0);
    const char only_bad[] = "{\"id\":1}\n[]\n{\"id\":\"a\",\"ts\":1,\"type\":\"x\"}\nnope\n";
    write_file(in_dir(t, "bad.ndjson"), only_bad, sizeof(only_bad) - 1);
    msgpack_sbuffer_destroy(&nd);
    msgpack_sbuffer_destroy(&bare);
    msgpack_sbuffer_destroy(&pre);
}

static json_t *replay_report(tmp *t, const char *input, const char *format)
{
    char args[1024], in[256], dl[256], rep[256];
    snprintf(in, sizeof(in), "%s", in_dir(t, input));
    snprintf(dl, sizeof(dl), "%s", in_dir(t, "dead.ndjson"));
    snprintf(rep, sizeof(rep), "%s", in_dir(t, "report.json"));
    snprintf(args, sizeof(args), "--format %s --dead-letter '%s' --report '%s' '%s'", format, dl,
             rep, in);
    assert_int_equal(run(args), 0);
    json_error_t err;
    json_t *j = json_load_file(rep, 0, &err);
    assert_non_null(j);
    /* One dead-letter line per dead letter, each valid JSON with the right source. */
    FILE *f = fopen(dl, "rb");
    assert_non_null(f);
    char line[8192];
    json_int_t lines = 0;
    while (fgets(line, sizeof(line), f)) {
        json_t *d = json_loads(line, 0, &err);
        assert_non_null(d);
        assert_string_equal(json_string_value(json_object_get(d, "source")), in);
        assert_non_null(json_object_get(d, "offset"));
        assert_true(json_object_get(d, "raw") || json_object_get(d, "raw_b64"));
        json_decref(d);
        lines++;
    }
    fclose(f);
    assert_int_equal(lines, json_integer_value(json_object_get(j, "dead_lettered_total")));
    return j;
}

static void check_counts(json_t *rep, const char *corrupt_reason)
{
    json_int_t accepted = 0, dead = 0;
    json_t *by = json_object_get(rep, "dead_lettered");
    for (int i = 0; i < FEED_N; i++) {
        if (!feed[i].reason) {
            accepted++;
            continue;
        }
        dead++;
    }
    assert_int_equal(json_integer_value(json_object_get(rep, "events")), FEED_N + 1);
    assert_int_equal(json_integer_value(json_object_get(rep, "accepted")), accepted);
    assert_int_equal(json_integer_value(json_object_get(rep, "dead_lettered_total")), dead + 1);
    assert_int_equal(json_integer_value(json_object_get(by, corrupt_reason)), 1);
    json_int_t sum = 0;
    const char *k;
    json_t *v;
    json_object_foreach(by, k, v)
    {
        sum += json_integer_value(v);
    }
    assert_int_equal(sum, dead + 1);
    for (int i = 0; i < FEED_N; i++) {
        if (feed[i].reason)
            assert_int_equal(json_integer_value(json_object_get(by, feed[i].reason)), 1);
    }
    assert_true(json_is_array(json_object_get(rep, "inputs")));
    assert_true(json_is_number(json_object_get(rep, "elapsed_s")));
    assert_true(json_is_number(json_object_get(rep, "events_per_s")));
}

static int setup(void **state)
{
    tmp *t = calloc(1, sizeof(*t));
    snprintf(t->dir, sizeof(t->dir), "/tmp/dn_test_cli_XXXXXX");
    if (!mkdtemp(t->dir))
        return -1;
    write_feeds(t);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    tmp *t = *state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
    int rc = system(cmd);
    free(t);
    return rc == 0 ? 0 : -1;
}

static void same_counts_in_every_format(void **state)
{
    tmp *t = *state;
    json_t *nd = replay_report(t, "feed.ndjson", "auto");
    check_counts(nd, "invalid_json");
    json_t *mp = replay_report(t, "feed.mp", "auto");
    check_counts(mp, "invalid_msgpack");
    json_t *mpp = replay_report(t, "feed.mpp", "msgpack");
    check_counts(mpp, "invalid_msgpack");
    json_t *nd2 = replay_report(t, "feed.ndjson", "ndjson");
    assert_true(
        json_equal(json_object_get(nd, "dead_lettered"), json_object_get(nd2, "dead_lettered")));
    json_decref(nd);
    json_decref(nd2);
    json_decref(mp);
    json_decref(mpp);
}

static void empty_file_is_fine(void **state)
{
    tmp *t = *state;
    json_t *rep = replay_report(t, "empty.ndjson", "auto");
    assert_int_equal(json_integer_value(json_object_get(rep, "events")), 0);
    assert_int_equal(json_integer_value(json_object_get(rep, "dead_lettered_total")), 0);
    json_decref(rep);
}

static void only_bad_events(void **state)
{
    tmp *t = *state;
    json_t *rep = replay_report(t, "bad.ndjson", "auto");
    json_t *by = json_object_get(rep, "dead_lettered");
    assert_int_equal(json_integer_value(json_object_get(rep, "events")), 4);
    assert_int_equal(json_integer_value(json_object_get(rep, "accepted")), 0);
    assert_int_equal(json_integer_value(json_object_get(rep, "dead_lettered_total")), 4);
    assert_int_equal(json_integer_value(json_object_get(by, "bad_type:id")), 1);
    assert_int_equal(json_integer_value(json_object_get(by, "not_a_map")), 1);
    assert_int_equal(json_integer_value(json_object_get(by, "unknown_event_type")), 1);
    assert_int_equal(json_integer_value(json_object_get(by, "invalid_json")), 1);
    json_decref(rep);
}

/* The hook the rule engine will use: a reason from the callback dead-letters the event. */
static const char *reject_cash(void *ud, const dn_event *ev)
{
    (*(int *)ud)++;
    return ev->type == DN_EV_CASH_DEPOSIT ? "unknown_currency" : NULL;
}

static void pipeline_callback(void **state)
{
    tmp *t = *state;
    char path[256];
    snprintf(path, sizeof(path), "%s", in_dir(t, "feed.ndjson"));
    const char *inputs[] = {path, path}; /* twice: every id of the second pass is a duplicate */
    dn__deadletter *dl;
    assert_int_equal(dn__deadletter_open(NULL, false, &dl), 0);
    /* A horizon of ~146 years: nothing expires, so the late e1 of the feed is a duplicate. */
    dn__replay_opts o = {
        .inputs = inputs, .input_count = 2, .dl = dl, .dedupe_horizon_ms = INT64_C(1) << 62};
    dn__replay_counts c;
    int calls = 0;
    assert_int_equal(dn__replay_run(&o, reject_cash, &calls, &c), 0);
    /* Pass 1: e1 e2 e3 e9 reach the callback, which rejects e3 (cash_deposit); e1@1500 and the
     * late e1 are duplicates. Pass 2: every accepted id is a duplicate; e3 was never recorded,
     * so it reaches the callback again. */
    assert_int_equal(c.events, 2 * (FEED_N + 1));
    assert_int_equal(c.accepted, 3);
    assert_int_equal(c.events, c.accepted + c.dead_lettered);
    assert_int_equal(calls, 5);
    uint64_t unknown = 0, dups = 0;
    for (size_t i = 0; i < dn__deadletter_reason_count(dl); i++) {
        const char *r;
        uint64_t n;
        dn__deadletter_reason(dl, i, &r, &n);
        if (strcmp(r, "unknown_currency") == 0)
            unknown = n;
        if (strcmp(r, "duplicate_id") == 0)
            dups = n;
    }
    assert_int_equal(unknown, 2);
    assert_int_equal(dups, 2 + 5);
    assert_int_equal(dn__deadletter_close(dl), 0);
    /* A missing input is named, and nothing is read. */
    const char *missing[] = {path, "/nonexistent/x.ndjson"};
    assert_int_equal(dn__deadletter_open(NULL, false, &dl), 0);
    o.inputs = missing;
    assert_int_equal(dn__replay_run(&o, NULL, NULL, &c), DN_ENOENT);
    assert_string_equal(c.failed_input, "/nonexistent/x.ndjson");
    assert_int_equal(c.events, 0);
    assert_int_equal(dn__deadletter_close(dl), 0);
}

static void frame_limit_option(void **state)
{
    tmp *t = *state;
    char args[512];
    int over = 0;
    for (int i = 0; i < FEED_N; i++)
        over += strlen(feed[i].json) > 100;
    snprintf(args, sizeof(args), "--max-frame 100 --report '%s/r.json' '%s/feed.ndjson'", t->dir,
             t->dir);
    assert_int_equal(run(args), 0);
    char rp[256];
    snprintf(rp, sizeof(rp), "%s/r.json", t->dir);
    json_error_t err;
    json_t *rep = json_load_file(rp, 0, &err);
    assert_non_null(rep);
    json_t *by = json_object_get(rep, "dead_lettered");
    assert_int_equal(json_integer_value(json_object_get(by, "frame_too_large")), over);
    json_decref(rep);
    assert_int_equal(run("--max-frame 10 x.ndjson"), 2);
    assert_int_equal(run("--dedupe-horizon -5 x.ndjson"), 2);
}

static void exit_codes(void **state)
{
    tmp *t = *state;
    char args[512];
    snprintf(args, sizeof(args), "'%s/feed.ndjson' '%s/missing.ndjson'", t->dir, t->dir);
    assert_int_equal(run(args), 1);
    assert_int_equal(run(""), 2);
    assert_int_equal(run("--bogus x.ndjson"), 2);
    assert_int_equal(run("--format xml x.ndjson"), 2);
    assert_int_equal(run("--report"), 2);
    snprintf(args, sizeof(args), "--rules '%s' '%s/feed.ndjson'", t->dir, t->dir);
    assert_int_equal(run(args), 1);
    /* Without --dead-letter the run completes; bad events are counted only. */
    snprintf(args, sizeof(args), "'%s/feed.ndjson'", t->dir);
    assert_int_equal(run(args), 0);
    /* stdin */
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "'%s' replay - < '%s/feed.mp' >/dev/null 2>&1", DN_BINARY, t->dir);
    int st = system(cmd);
    assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(same_counts_in_every_format, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_file_is_fine, setup, teardown),
        cmocka_unit_test_setup_teardown(only_bad_events, setup, teardown),
        cmocka_unit_test_setup_teardown(pipeline_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(frame_limit_option, setup, teardown),
        cmocka_unit_test_setup_teardown(exit_codes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
