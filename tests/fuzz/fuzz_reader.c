/*
 * fuzz_reader.c - libFuzzer target: arbitrary bytes as a whole input file through the
 * auto-sniffing reader (small frame limit and buffer, so refills, limits and resynchronisation
 * are reached), the decoders, dedupe and the dead-letter line formatter - the replay pipeline
 * without files. Checks that frames tile the input: offsets increase and every byte is either in
 * a frame, skipped as blank NDJSON, or a newline. Replayed over corpus/reader/ by ctest.
 */
#include "decode/decode.h"
#include "dragnet/error.h"
#include "ingest/ingest.h"
#include "sink/sink.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dn__decoder *dec;
    if (!dec && dn__decoder_new(&dec) != 0)
        abort();
    dn__dedupe *dd = NULL;
    dn__reader *r = NULL;
    dn__buf line;
    dn__buf_init(&line);
    dn__reader_opts o = {.format = DN__FMT_AUTO, .frame_max = 256, .buf_size = 512};
    if (dn__dedupe_new(1000, 64, 1, &dd) != 0 || dn__reader_open_mem(data, size, &o, &r) != 0)
        abort();
    dn__frame f;
    int rc;
    uint64_t next_min = 0, covered = 0;
    while ((rc = dn__reader_next(r, &f)) == 0) {
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
    if (rc != DN_EEOF || covered > size)
        abort();
    dn__buf_free(&line);
    dn__reader_free(r);
    dn__dedupe_free(dd);
    return 0;
}
