/*
 * bench_decode.c - decode throughput against its floor, measured in the same run (FLOORS.md).
 *
 * Generates 1M realistic events deterministically in process (a fixed xorshift seed; ~16 fields:
 * ids, IBAN-like accounts, names, references, countries, device, ip, customer map), writes them
 * as bare msgpack and as NDJSON to temporary files, then measures, median of 3 runs each:
 *   floor   - the reader alone: reading the bytes and cutting frames (per format)
 *   unpack  - reader + msgpack_unpack into a cleared zone: the FLOORS.md best path, no checks
 *   decode  - reader + decoder + validation (msgpack, then NDJSON)
 *   replay  - the whole replay pipeline (decode, dedupe, counting), for msgpack and NDJSON
 * Each figure is printed in events/s with its ratio to the floor of its format. The files are
 * removed at the end. jansson runs over the first 200k events only (it is ~10x slower), so the
 * whole bench stays near 30 s. Usage: bench_decode [EVENTS] (default 1000000).
 */
#include "decode/decode.h"
#include "dragnet/error.h"
#include "ingest/ingest.h"
#include "sink/sink.h"

#include "bench_host.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static const char *const types[] = {"transfer",   "card",        "cash_deposit", "cash_withdrawal",
                                    "crypto_buy", "crypto_sell", "login",        "transfer"};
static const char *const first[] = {"Alice", "Bob",   "Chen",  "Dara",
                                    "Eka",   "Farid", "Grace", "Hiro"};
static const char *const last[] = {"Smith", "Nguyen", "Okafor", "Santos", "Kim", "Novak", "Ali"};
static const char *const countries[] = {"GB", "DE", "FR", "KH", "MM", "PH", "NL", "ES", "LA"};
static const char *const refs[] = {"rent november",
                                   "invoice 2291-A",
                                   "USDT withdrawal fee",
                                   "gift",
                                   "tax clearance to release profits",
                                   "school fees term 2",
                                   "loan repayment",
                                   "unlock fee for account"};
static const char *const channels[] = {"online", "mobile", "branch", "instant", "swift"};

typedef struct gen_event {
    char id[32], src[40], dst[40], src_name[40], dst_name[40], device[24], ip[20];
    const char *type, *ref, *channel, *src_c, *dst_c, *ip_c, *cur;
    int64_t ts, amount, opened;
    int birth;
} gen_event;

static void gen(gen_event *e, uint64_t i)
{
    uint64_t r = rnd();
    snprintf(e->id, sizeof(e->id), "evt-%012llu", (unsigned long long)i);
    e->type = types[r % 8];
    e->ts = 1700000000000LL + (int64_t)i * 37;
    e->amount = (int64_t)(rnd() % 500000);
    e->cur = (r >> 8) % 4 == 0 ? "GBP" : "EUR";
    snprintf(e->src, sizeof(e->src), "GB%02u NWBK %08llu", (unsigned)(rnd() % 100),
             (unsigned long long)(rnd() % 100000000));
    snprintf(e->dst, sizeof(e->dst), "DE%02u 3704 %010llu", (unsigned)(rnd() % 100),
             (unsigned long long)(rnd() % 10000000000ull));
    snprintf(e->src_name, sizeof(e->src_name), "%s %s", first[rnd() % 8], last[rnd() % 7]);
    snprintf(e->dst_name, sizeof(e->dst_name), "%s %s", first[rnd() % 8], last[rnd() % 7]);
    snprintf(e->device, sizeof(e->device), "dev-%08llx", (unsigned long long)(rnd() & 0xffffffff));
    snprintf(e->ip, sizeof(e->ip), "10.%u.%u.%u", (unsigned)(rnd() % 256), (unsigned)(rnd() % 256),
             (unsigned)(rnd() % 256));
    e->ref = refs[rnd() % 8];
    e->channel = channels[rnd() % 5];
    e->src_c = countries[rnd() % 9];
    e->dst_c = countries[rnd() % 9];
    e->ip_c = countries[rnd() % 9];
    e->birth = 1940 + (int)(rnd() % 65);
    e->opened = 1500000000000LL + (int64_t)(rnd() % 200000000000ull);
}

static void pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

#define KV(k, v)                                                                                   \
    do {                                                                                           \
        pack_str(pk, k);                                                                           \
        pack_str(pk, v);                                                                           \
    } while (0)

static void write_mp(msgpack_packer *pk, const gen_event *e)
{
    msgpack_pack_map(pk, 17);
    KV("id", e->id);
    pack_str(pk, "ts");
    msgpack_pack_int64(pk, e->ts);
    KV("type", e->type);
    pack_str(pk, "amount");
    msgpack_pack_int64(pk, e->amount);
    KV("currency", e->cur);
    KV("src", e->src);
    KV("dst", e->dst);
    KV("src_name", e->src_name);
    KV("dst_name", e->dst_name);
    KV("src_country", e->src_c);
    KV("dst_country", e->dst_c);
    KV("reference", e->ref);
    KV("channel", e->channel);
    KV("device", e->device);
    KV("ip", e->ip);
    KV("ip_country", e->ip_c);
    pack_str(pk, "customer");
    msgpack_pack_map(pk, 3);
    pack_str(pk, "birth_year");
    msgpack_pack_int(pk, e->birth);
    pack_str(pk, "opened");
    msgpack_pack_int64(pk, e->opened);
    KV("segment", "retail");
}

static void write_json(FILE *f, const gen_event *e)
{
    fprintf(f,
            "{\"id\":\"%s\",\"ts\":%lld,\"type\":\"%s\",\"amount\":%lld,\"currency\":\"%s\","
            "\"src\":\"%s\",\"dst\":\"%s\",\"src_name\":\"%s\",\"dst_name\":\"%s\","
            "\"src_country\":\"%s\",\"dst_country\":\"%s\",\"reference\":\"%s\","
            "\"channel\":\"%s\",\"device\":\"%s\",\"ip\":\"%s\",\"ip_country\":\"%s\","
            "\"customer\":{\"birth_year\":%d,\"opened\":%lld,\"segment\":\"retail\"}}\n",
            e->id, (long long)e->ts, e->type, (long long)e->amount, e->cur, e->src, e->dst,
            e->src_name, e->dst_name, e->src_c, e->dst_c, e->ref, e->channel, e->device, e->ip,
            e->ip_c, e->birth, (long long)e->opened);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum { MODE_FLOOR, MODE_UNPACK, MODE_DECODE, MODE_REPLAY };

/* One pass over at most limit frames; returns seconds, and the events accepted in *count. */
static double pass(const char *path, int mode, uint64_t limit, uint64_t *count)
{
    double t0 = now();
    *count = 0;
    if (mode == MODE_REPLAY) {
        dn__deadletter *dl;
        if (dn__deadletter_open(NULL, false, &dl) != 0)
            exit(1);
        dn__replay_opts o = {.inputs = &path, .input_count = 1, .dl = dl};
        dn__replay_counts c;
        if (dn__replay_run(&o, NULL, NULL, &c) != 0)
            exit(1);
        *count = c.accepted;
        dn__deadletter_close(dl);
        return now() - t0;
    }
    dn__reader *r;
    dn__decoder *d;
    dn__reader_opts ro = {.format = DN__FMT_AUTO};
    if (dn__reader_open(path, &ro, &r) != 0 || dn__decoder_new(&d) != 0)
        exit(1);
    dn__frame f;
    dn_event ev;
    dn__reject rej;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    for (uint64_t seen = 0; seen < limit && dn__reader_next(r, &f) == 0; seen++) {
        if (mode == MODE_FLOOR) {
            (*count)++;
            continue;
        }
        if (mode == MODE_UNPACK) { /* FLOORS.md best path: msgpack_unpack, zone cleared */
            msgpack_object obj;
            size_t off = 0;
            msgpack_zone_clear(&zone);
            *count += msgpack_unpack((const char *)f.data, f.len, &off, &zone, &obj) ==
                      MSGPACK_UNPACK_SUCCESS;
            continue;
        }
        int rc = f.is_json ? dn__decode_json(d, f.data, f.len, &ev, &rej)
                           : dn__decode_msgpack(d, f.data, f.len, &ev, &rej);
        *count += rc == 0;
    }
    msgpack_zone_destroy(&zone);
    dn__decoder_free(d);
    dn__reader_free(r);
    return now() - t0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of 3 runs over the first expect events, in events/s. */
static double rate(const char *path, int mode, uint64_t expect)
{
    double t[3];
    for (int i = 0; i < 3; i++) {
        uint64_t n;
        t[i] = pass(path, mode, expect, &n);
        if (n != expect) {
            fprintf(stderr, "bench_decode: %s: %llu events, expected %llu\n", path,
                    (unsigned long long)n, (unsigned long long)expect);
            exit(1);
        }
    }
    qsort(t, 3, sizeof(double), cmp_d);
    return (double)expect / t[1];
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    bench_print_host();
    char mp_path[] = "/tmp/dn_bench_XXXXXX";
    char nd_path[] = "/tmp/dn_bench_XXXXXX";
    char nj_path[] = "/tmp/dn_bench_XXXXXX";
    int fm = mkstemp(mp_path), fn = mkstemp(nd_path), fj = mkstemp(nj_path);
    if (fm < 0 || fn < 0 || fj < 0)
        return 1;
    FILE *mf = fdopen(fm, "wb"), *nf = fdopen(fn, "wb"), *jf = fdopen(fj, "wb");
    /* jansson is an order of magnitude slower: its runs take the first 200k events only (a
     * file of their own, since the replay pipeline reads whole files). */
    uint64_t nj = n < 200000 ? n : 200000;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    gen_event e;
    size_t mp_bytes = 0;
    for (uint64_t i = 0; i < n; i++) {
        gen(&e, i);
        write_mp(&pk, &e);
        write_json(nf, &e);
        if (i < nj)
            write_json(jf, &e);
        if (sb.size > (1u << 20) || i + 1 == n) {
            fwrite(sb.data, 1, sb.size, mf);
            mp_bytes += sb.size;
            msgpack_sbuffer_clear(&sb);
        }
    }
    long nd_bytes = ftell(nf);
    fclose(mf);
    fclose(nf);
    fclose(jf);
    msgpack_sbuffer_destroy(&sb);
    printf("bench_decode: %llu events; msgpack %.0f B/event, NDJSON %.0f B/event; median of 3\n",
           (unsigned long long)n, (double)mp_bytes / (double)n, (double)nd_bytes / (double)n);

    double mp_floor = rate(mp_path, MODE_FLOOR, n);
    double mp_unpack = rate(mp_path, MODE_UNPACK, n);
    double mp_dec = rate(mp_path, MODE_DECODE, n);
    double mp_rep = rate(mp_path, MODE_REPLAY, n);
    double nd_floor = rate(nd_path, MODE_FLOOR, n);
    double nd_dec = rate(nj_path, MODE_DECODE, nj);
    double nd_rep = rate(nj_path, MODE_REPLAY, nj);
    printf("  %-40s %8.2f M ev/s  (floor)\n", "msgpack floor: read + frame split", mp_floor / 1e6);
    printf("  %-40s %8.2f M ev/s  %.2fx floor\n", "msgpack-c msgpack_unpack only", mp_unpack / 1e6,
           mp_unpack / mp_floor);
    printf("  %-40s %8.2f M ev/s  %.2fx floor, %.2fx unpack only\n", "msgpack decode + validate",
           mp_dec / 1e6, mp_dec / mp_floor, mp_dec / mp_unpack);
    printf("  %-40s %8.2f M ev/s  %.2fx floor\n", "msgpack replay (decode+dedupe+count)",
           mp_rep / 1e6, mp_rep / mp_floor);
    printf("  %-40s %8.2f M ev/s  (floor)\n", "NDJSON floor: read + line split", nd_floor / 1e6);
    printf("  %-40s %8.2f M ev/s  %.2fx floor\n", "NDJSON decode + validate (jansson, 200k)",
           nd_dec / 1e6, nd_dec / nd_floor);
    printf("  %-40s %8.2f M ev/s  %.2fx floor\n", "NDJSON replay (200k)", nd_rep / 1e6,
           nd_rep / nd_floor);
    printf("  %-40s %8.2fx\n", "msgpack decode / NDJSON decode", mp_dec / nd_dec);
    unlink(mp_path);
    unlink(nd_path);
    unlink(nj_path);
    return 0;
}
