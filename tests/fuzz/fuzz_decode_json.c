/*
 * fuzz_decode_json.c - libFuzzer target: arbitrary bytes as one JSON frame through
 * dn__decode_json, with one decoder reused across inputs. Replayed over corpus/decode_json/ by
 * ctest in non-fuzz builds.
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
    int rc = dn__decode_json(d, data, size, &ev, &rej);
    if (rc == 0) {
        volatile size_t sum = ev.id.len + ev.reference.len;
        for (uint32_t i = 0; i < ev.attr_count; i++)
            sum += ev.attrs[i].key.len;
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
