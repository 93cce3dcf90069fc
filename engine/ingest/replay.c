/*
 * replay.c - the replay pipeline: every input, in order, through reader -> decoder -> dedupe ->
 * callback (the rule engine, once it lands) -> accepted, or -> dead-letter sink.
 *
 * Invariant: every frame the readers produce is counted exactly once, as accepted or as
 * dead-lettered (events == accepted + dead_lettered). One decoder and one dedupe window serve all
 * inputs, so an id repeated across files is a duplicate. The pipeline owns its reader, decoder
 * and dedupe; the caller owns the dead-letter sink. Nothing here allocates per event: the decoder
 * reuses its arena and zone (jansson's parse tree is the exception on the JSON path).
 */
#include "decode/decode.h"
#include "dragnet/error.h"
#include "ingest/ingest.h"
#include "sink/sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* Keyed so that ids cannot be chosen to collide; fixed so that replays are reproducible. */
#define DEDUPE_HASH_KEY 0x647261676e657431ull

static int dead(const dn__replay_opts *o, const char *src, const dn__frame *f, const char *reason,
                const char *detail, dn__replay_counts *out)
{
    dn__dead d = {
        .reason = reason,
        .detail = detail,
        .source = src,
        .offset = f->offset,
        .line = f->line,
        .raw = f->data,
        .raw_len = f->len,
        .full_len = f->full_len,
        .is_text = f->is_json,
    };
    out->dead_lettered++;
    int rc = dn__deadletter_write(o->dl, &d);
    return rc == DN_EIO ? 0 : rc; /* a write failure is reported when the sink closes */
}

static int run_one(const dn__replay_opts *o, const char *name, dn__decoder *dec, dn__dedupe *dd,
                   dn__replay_event_cb cb, void *ud, dn__replay_counts *out)
{
    dn__reader *r = NULL;
    dn__reader_opts ro = {
        .format = o->format, .frame_max = o->frame_max, .buf_size = o->buf_size, .decoder = dec};
    int rc = dn__reader_open(name, &ro, &r);
    if (rc) {
        out->failed_input = name;
        out->failed_errno = errno;
        goto done;
    }
    const char *src = strcmp(name, "-") == 0 ? "<stdin>" : name;
    /* The id of the frame after the current one, read ahead (see below): where it is in the
     * input, its length and keyed hash. */
    bool has_next_id = false;
    uint64_t next_id_at = 0, next_id_hash = 0;
    size_t next_id_len = 0;
    for (;;) {
        dn__frame f;
        rc = dn__reader_next(r, &f);
        if (rc == DN_EEOF) {
            rc = 0;
            break;
        }
        if (rc) {
            out->failed_input = name;
            out->failed_errno = errno;
            break;
        }
        out->events++;
        if (f.reject) {
            has_next_id = false;
            rc = dead(o, src, &f, f.reject, f.detail, out);
            if (rc)
                break;
            continue;
        }
        dn_event ev_buf;
        const dn_event *ev = f.ev;
        dn__reject rej;
        rc = 0;
        if (!ev) {
            ev = &ev_buf;
            rc = f.is_json ? dn__decode_json(dec, f.data, f.len, &ev_buf, &rej)
                           : dn__decode_msgpack(dec, f.data, f.len, &ev_buf, &rej);
        }
        uint64_t id_hash = 0;
        if (rc == 0 && dd) {
            /* The id read ahead is this one when it is the same bytes of the input. */
            uint64_t at = f.offset + (f.full_len - f.len);
            uintptr_t in_frame = (uintptr_t)ev->id.ptr - (uintptr_t)f.data;
            if (has_next_id && in_frame < f.len && at + in_frame == next_id_at &&
                ev->id.len == next_id_len)
                id_hash = next_id_hash;
            else
                id_hash = dn__dedupe_hash(dd, ev->id.ptr, ev->id.len);
        }
        /* The dedupe table is large and its slots are cold: when the next frame's id can be read
         * from its first bytes, fetch its slot while this event is checked and scored. */
        has_next_id = false;
        if (dd && !f.is_json) {
            const uint8_t *p;
            const char *id;
            size_t n, id_len;
            uint64_t at;
            dn__reader_lookahead(r, &p, &n, &at);
            if (dn__mp_peek_id(p, n, &id, &id_len)) {
                has_next_id = true;
                next_id_at = at + (uint64_t)((const uint8_t *)id - p);
                next_id_len = id_len;
                next_id_hash = dn__dedupe_hash(dd, id, id_len);
                dn__dedupe_prefetch(dd, next_id_hash);
            }
        }
        const char *reason = NULL, *detail = NULL;
        if (rc == DN_EBADEVENT) {
            reason = rej.reason;
            detail = rej.detail;
            /* A last line with no newline that is not JSON was most likely cut. */
            if (f.is_unterminated && strcmp(reason, "invalid_json") == 0) {
                reason = "truncated";
                detail = "the input ends inside the last line";
            }
        } else if (rc) {
            break;
        } else if (dd && dn__dedupe_contains_hash(dd, id_hash, ev->ts_ms)) {
            reason = "duplicate_id";
            detail = "an event with this id was seen within the dedupe horizon";
        } else if (cb && (reason = cb(ud, ev)) != NULL) {
            detail = "rejected by the scoring stage";
        }
        if (reason) {
            rc = dead(o, src, &f, reason, detail, out);
            if (rc)
                break;
            continue;
        }
        if (dd)
            dn__dedupe_insert_hash(dd, id_hash, ev->ts_ms);
        out->accepted++;
    }
done:
    dn__reader_free(r);
    return rc;
}

int dn__replay_run(const dn__replay_opts *o, dn__replay_event_cb cb, void *ud,
                   dn__replay_counts *out)
{
    dn__decoder *dec = NULL;
    dn__dedupe *dd = NULL;
    int rc = 0;
    memset(out, 0, sizeof(*out));
    /* Every input must open before any is read: a typo should not cost half a replay. */
    for (size_t i = 0; i < o->input_count; i++) {
        if (strcmp(o->inputs[i], "-") == 0)
            continue;
        int fd = open(o->inputs[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            out->failed_input = o->inputs[i];
            out->failed_errno = errno;
            rc = errno == ENOENT ? DN_ENOENT : DN_EIO;
            goto fail;
        }
        close(fd);
    }
    rc = dn__decoder_new(&dec);
    if (rc)
        goto fail;
    if (o->dedupe_horizon_ms >= 0) {
        rc = dn__dedupe_new(o->dedupe_horizon_ms, o->dedupe_max, DEDUPE_HASH_KEY, &dd);
        if (rc)
            goto fail;
    }
    for (size_t i = 0; i < o->input_count && rc == 0; i++)
        rc = run_one(o, o->inputs[i], dec, dd, cb, ud, out);
    if (dd)
        dn__dedupe_stats_get(dd, &out->dedupe);
fail:
    dn__dedupe_free(dd);
    dn__decoder_free(dec);
    return rc;
}
