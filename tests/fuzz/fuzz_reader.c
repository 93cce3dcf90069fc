/*
 * fuzz_reader.c - libFuzzer target: arbitrary bytes as a whole input file through the
 * auto-sniffing reader (small frame limit and buffer, so refills, limits and resynchronisation
 * are reached), the decoders, dedupe and the dead-letter line formatter - the replay pipeline
 * without files. Checks that frames tile the input: offsets increase and every byte is either in
 * a frame, skipped as blank NDJSON, or a newline. A second reader over the same bytes decodes in
 * one pass (a decoder attached): it must cut the same frames, and an event it decoded must be the
 * one the first reader's frame decodes to. Replayed over corpus/reader/ by ctest.
 */
#include "decode/decode.h"
#include "dragnet/error.h"
#include "ingest/ingest.h"
#include "sink/sink.h"

#include <stdlib.h>
#include <string.h>

static bool same_str(dn_str a, dn_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0) && !a.ptr == !b.ptr;
}

/* The fields one pass and the reference are most likely to disagree on. */
static bool same_event(const dn_event *a, const dn_event *b)
{
    return same_str(a->id, b->id) && a->ts_ms == b->ts_ms && a->type == b->type &&
           a->has_amount == b->has_amount && a->amount_minor == b->amount_minor &&
           strcmp(a->currency, b->currency) == 0 && same_str(a->src, b->src) &&
           same_str(a->dst, b->dst) && same_str(a->reference, b->reference) &&
           strcmp(a->ip_country, b->ip_country) == 0 && a->remote_access == b->remote_access &&
           a->has_mcc == b->has_mcc && a->mcc == b->mcc &&
           a->customer.is_present == b->customer.is_present &&
           a->customer.birth_year == b->customer.birth_year &&
           same_str(a->customer.segment, b->customer.segment) && a->attr_count == b->attr_count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dn__decoder *dec, *dec1;
    if (!dec && dn__decoder_new(&dec) != 0)
        abort();
    if (!dec1 && dn__decoder_new(&dec1) != 0)
        abort();
    dn__dedupe *dd = NULL;
    dn__reader *r = NULL, *r1 = NULL;
    dn__buf line;
    dn__buf_init(&line);
    dn__reader_opts o = {.format = DN__FMT_AUTO, .frame_max = 256, .buf_size = 512};
    dn__reader_opts o1 = o;
    o1.decoder = dec1;
    if (dn__dedupe_new(1000, 64, 1, &dd) != 0 || dn__reader_open_mem(data, size, &o, &r) != 0 ||
        dn__reader_open_mem(data, size, &o1, &r1) != 0)
        abort();
    dn__frame f;
    int rc;
    uint64_t next_min = 0, covered = 0;
    while ((rc = dn__reader_next(r, &f)) == 0) {
        dn__frame g;
        if (dn__reader_next(r1, &g) != 0 || g.offset != f.offset || g.full_len != f.full_len ||
            g.len != f.len || g.reject != f.reject || memcmp(g.data, f.data, f.len) != 0)
            abort();
        if (f.offset < next_min || f.offset + f.full_len > size)
            abort();
        next_min = f.offset + f.full_len;
        covered += f.full_len;
        const char *reason = f.reject;
        dn_event ev;
        dn__reject rej;
        if (!reason) {
            int drc = f.is_json ? dn__decode_json(dec, f.data, f.len, &ev, &rej)
                                : dn__decode_msgpack(dec, f.data, f.len, &ev, &rej);
            if (g.ev && (drc != 0 || !same_event(g.ev, &ev)))
                abort();
            if (drc == DN_EBADEVENT)
                reason = rej.reason;
            else if (drc == 0 && dn__dedupe_contains(dd, ev.id.ptr, ev.id.len, ev.ts_ms))
                reason = "duplicate_id";
            else if (drc == 0)
                dn__dedupe_insert(dd, ev.id.ptr, ev.id.len, ev.ts_ms);
            else if (drc != DN_ENOMEM)
                abort();
        }
        if (reason) {
            dn__dead d = {.reason = reason,
                          .source = "fuzz",
                          .offset = f.offset,
                          .line = f.line,
                          .raw = f.data,
                          .raw_len = f.len,
                          .full_len = f.full_len,
                          .is_text = f.is_json};
            dn__buf_clear(&line);
            if (dn__deadletter_format(&line, &d) != 0)
                abort();
        }
    }
    if (rc != DN_EEOF || covered > size || dn__reader_next(r1, &f) != DN_EEOF)
        abort();
    dn__buf_free(&line);
    dn__reader_free(r);
    dn__reader_free(r1);
    dn__dedupe_free(dd);
    return 0;
}
