/*
 * fuzz_decode_msgpack.c - libFuzzer target: arbitrary bytes as one msgpack frame through
 * dn__decode_msgpack. One decoder for the process, reused as in the pipeline (its arena and zone
 * carry over between inputs, which is what must stay sound). Replayed over
 * corpus/decode_msgpack/ by ctest in non-fuzz builds.
 */
#include "decode/decode.h"
#include "dragnet/error.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dn__decoder *d;
    if (!d && dn__decoder_new(&d) != 0)
        abort();
    dn_event ev;
    dn__reject rej;
    int rc = dn__decode_msgpack(d, data, size, &ev, &rej);
    if (rc == 0) {
        /* Touch every string the event holds: they must be inside live memory. */
        volatile size_t sum = ev.id.len + ev.src.len + ev.dst.len;
        for (uint32_t i = 0; i < ev.attr_count; i++)
            sum +=
                ev.attrs[i].key.len + (ev.attrs[i].key.len ? (uint8_t)ev.attrs[i].key.ptr[0] : 0);
        if (ev.id.len)
            sum += (uint8_t)ev.id.ptr[ev.id.len - 1];
        (void)sum;
    } else if (rc == DN_EBADEVENT) {
        if (!rej.reason || !rej.detail || strlen(rej.reason) == 0)
            abort();
    } else if (rc != DN_ENOMEM) {
        abort();
    }
    return 0;
}
