/*
 * reader.c - cuts a file (or stdin, or memory) into event frames in constant memory.
 *
 * The reader owns one buffer of cap bytes; live data is buf[start..end), and buf[0] is at file
 * offset base. Refilling moves the live tail to the front, so a frame is always contiguous as long
 * as it is at most frame_max bytes (cap > frame_max + 64 guarantees the room). A frame over the
 * limit, a run of garbage, or a frame cut by the end of input is skipped in place: its first
 * DN_RAW_KEEP bytes are copied aside (raw) for the dead letter and the rest is counted, never held.
 *
 * Formats (DN__FMT_AUTO sniffs the first bytes of each input):
 *   NDJSON   - a line is a frame; blank lines are skipped; \r\n is accepted.
 *   bare     - concatenated msgpack maps; a frame ends where its map ends. A complete fixarray
 *              followed by a map (or the end) is a frame too (the decoder says not_a_map). Other
 *              bytes that do not start a map are garbage up to the next offset where a complete
 *              map (one or more entries, a string first key, at most DN_DECODE_MAX_DEPTH deep)
 *              can be read; the run becomes one invalid_msgpack frame.
 *   prefixed - a 4-byte big-endian length, then that many bytes.
 */
#include "decode/decode.h"
#include "dragnet/error.h"
#include "ingest/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct dn__reader {
    int fd; /* -1 when reading memory */
    bool own_fd;
    const uint8_t *mem;
    size_t mem_len, mem_pos;
    dn__format format;
    size_t frame_max;
    uint8_t *buf;
    size_t cap, start, end;
    uint64_t base;
    bool eof;
    bool io_error;
    uint64_t line; /* NDJSON: number of the line at start */
    uint8_t raw[DN_RAW_KEEP];
    size_t raw_len;
    dn__decoder *dec; /* one pass: see dn__frame.ev */
    dn_event ev;
};

static int reader_new(const dn__reader_opts *o, dn__reader **out)
{
    dn__reader *r = calloc(1, sizeof(*r));
    if (!r)
        return DN_ENOMEM;
    r->fd = -1;
    r->format = o ? o->format : DN__FMT_AUTO;
    r->frame_max = o && o->frame_max ? o->frame_max : DN_FRAME_MAX_DEFAULT;
    r->cap = o && o->buf_size ? o->buf_size : DN_READ_BUF_DEFAULT;
    if (r->cap < r->frame_max + 64)
        r->cap = r->frame_max + 64;
    r->buf = malloc(r->cap);
    if (!r->buf) {
        free(r);
        return DN_ENOMEM;
    }
    r->line = 1;
    r->dec = o ? o->decoder : NULL;
    *out = r;
    return 0;
}

int dn__reader_open(const char *path, const dn__reader_opts *o, dn__reader **out)
{
    dn__reader *r = NULL;
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? DN_ENOENT : DN_EIO;
    int rc = reader_new(o, &r);
    if (rc) {
        if (fd != STDIN_FILENO)
            close(fd);
        return rc;
    }
    r->fd = fd;
    r->own_fd = fd != STDIN_FILENO;
    *out = r;
    return 0;
}

int dn__reader_open_mem(const void *data, size_t len, const dn__reader_opts *o, dn__reader **out)
{
    dn__reader *r = NULL;
    int rc = reader_new(o, &r);
    if (rc)
        return rc;
    r->mem = data;
    r->mem_len = len;
    *out = r;
    return 0;
}

void dn__reader_free(dn__reader *r)
{
    if (!r)
        return;
    if (r->own_fd)
        close(r->fd);
    free(r->buf);
    free(r);
}

void dn__reader_lookahead(const dn__reader *r, const uint8_t **p, size_t *len, uint64_t *offset)
{
    size_t skip = r->format == DN__FMT_MSGPACK_PREFIXED ? 4 : 0;
    size_t live = r->end - r->start;
    if (live < skip)
        skip = live;
    *p = r->buf + r->start + skip;
    *len = live - skip;
    *offset = r->base + r->start + skip;
}

dn__format dn__reader_format(const dn__reader *r)
{
    return r->format;
}

/* Moves live data to the front and reads more. Sets eof at the end of input. */
static void fill(dn__reader *r)
{
    if (r->eof)
        return;
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->base += r->start;
        r->end -= r->start;
        r->start = 0;
    }
    size_t room = r->cap - r->end;
    if (room == 0)
        return;
    if (r->fd < 0) {
        size_t n = r->mem_len - r->mem_pos < room ? r->mem_len - r->mem_pos : room;
        memcpy(r->buf + r->end, r->mem + r->mem_pos, n);
        r->mem_pos += n;
        r->end += n;
        if (n == 0)
            r->eof = true;
        return;
    }
    for (;;) {
        ssize_t n = read(r->fd, r->buf + r->end, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r->io_error = true;
            r->eof = true;
        } else if (n == 0) {
            r->eof = true;
        } else {
            r->end += (size_t)n;
        }
        return;
    }
}

/* Makes at least want bytes live if the input has them; returns how many are live. */
static size_t want(dn__reader *r, size_t n)
{
    while (r->end - r->start < n && !r->eof)
        fill(r);
    return r->end - r->start;
}

static void raw_add(dn__reader *r, const uint8_t *p, size_t n)
{
    size_t room = DN_RAW_KEEP - r->raw_len;
    if (n > room)
        n = room;
    memcpy(r->raw + r->raw_len, p, n);
    r->raw_len += n;
}

/* Consumes n live bytes into a skipped frame (raw copy + count). */
static void skip_live(dn__reader *r, size_t n, uint64_t *full)
{
    raw_add(r, r->buf + r->start, n);
    r->start += n;
    *full += n;
}

static void reject_frame(dn__reader *r, dn__frame *f, uint64_t off, uint64_t full,
                         const char *reason, const char *detail)
{
    f->data = r->raw;
    f->len = r->raw_len;
    f->full_len = full;
    f->offset = off;
    f->reject = reason;
    f->detail = detail;
}

static bool is_blank(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return false;
    }
    return true;
}

static int next_ndjson(dn__reader *r, dn__frame *f)
{
    size_t scanned = 0; /* bytes after start known to hold no newline */
    f->is_json = true;
    for (;;) {
        uint8_t *s = r->buf + r->start;
        size_t live = r->end - r->start;
        uint8_t *nl = memchr(s + scanned, '\n', live - scanned);
        size_t len = nl ? (size_t)(nl - s) : live;
        if (len > r->frame_max) {
            /* Too long: keep the head, skip to the next newline (or the end). */
            uint64_t off = r->base + r->start, full = 0;
            f->line = r->line;
            r->raw_len = 0;
            for (;;) {
                s = r->buf + r->start;
                live = r->end - r->start;
                nl = memchr(s, '\n', live);
                if (nl) {
                    skip_live(r, (size_t)(nl - s), &full);
                    r->start++; /* the newline */
                    r->line++;
                    break;
                }
                skip_live(r, live, &full);
                if (r->eof)
                    break;
                fill(r);
            }
            reject_frame(r, f, off, full, "frame_too_large", "the line is longer than the limit");
            return 0;
        }
        if (!nl && !r->eof) {
            scanned = live;
            fill(r);
            continue;
        }
        if (!nl && live == 0)
            return DN_EEOF;
        f->offset = r->base + r->start;
        f->line = r->line;
        f->data = s;
        f->len = len;
        f->full_len = len;
        f->is_unterminated = !nl;
        r->start += len + (nl ? 1 : 0);
        r->line++;
        scanned = 0;
        if (is_blank(f->data, f->len))
            continue;
        if (f->len && f->data[f->len - 1] == '\r')
            f->len--;
        return 0;
    }
}

/* Skips the rest of a msgpack object whose first live bytes the skipper has not seen yet. */
static const char *skip_object(dn__reader *r, uint64_t *full)
{
    dn__mp_skipper sk;
    dn__mp_skipper_init(&sk);
    for (;;) {
        size_t used;
        int st = dn__mp_skipper_feed(&sk, r->buf + r->start, r->end - r->start, &used);
        skip_live(r, used, full);
        if (st == DN__MP_DONE)
            return "frame_too_large";
        if (st == DN__MP_INVALID)
            return "frame_too_large"; /* garbage after a long head: resynchronise from here */
        if (r->eof)
            return "truncated";
        fill(r);
    }
}

/*
 * Is there a complete map at live offset q that is plausibly an event (>= 1 entry, string first
 * key)? Returns 1 yes, 0 no, -1 when more bytes are needed to tell.
 */
static int resync_point(dn__reader *r, size_t q)
{
    const uint8_t *p = r->buf + q;
    size_t live = r->end - q;
    size_t hs = p[0] == 0xde ? 3 : p[0] == 0xdf ? 5 : 1;
    if (live < hs + 1)
        return r->eof ? 0 : -1;
    uint64_t count = p[0] <= 0x8f ? (p[0] & 0x0f)
                     : p[0] == 0xde
                         ? (uint64_t)p[1] << 8 | p[2]
                         : (uint64_t)p[1] << 24 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 8 | p[4];
    uint8_t k = p[hs];
    if (count == 0 || count > 65535 || !((k >= 0xa0 && k <= 0xbf) || (k >= 0xd9 && k <= 0xdb)))
        return 0;
    /* Depth-bounded: a candidate that nests deeper than an event may is rejected within a few
     * hundred bytes, which keeps resynchronising through crafted garbage near linear. */
    size_t used;
    size_t window = live < r->frame_max ? live : r->frame_max;
    int st = dn__mp_measure(p, window, DN_DECODE_MAX_DEPTH, &used);
    if (st == DN__MP_DONE)
        return 1;
    if (st != DN__MP_MORE || window == r->frame_max || r->eof)
        return 0;
    return -1;
}

static int next_bare(dn__reader *r, dn__frame *f)
{
    f->is_json = false;
    f->line = 0;
    if (want(r, 1) == 0)
        return DN_EEOF;
    uint8_t b = r->buf[r->start];
    bool garbage = !dn__mp_is_map_byte(b);
    if (!garbage && b == 0xdf) {
        size_t live = want(r, 5);
        garbage = live >= 5 &&
                  ((uint64_t)r->buf[r->start + 1] << 24 | (uint64_t)r->buf[r->start + 2] << 16 |
                   (uint64_t)r->buf[r->start + 3] << 8 | r->buf[r->start + 4]) > 65535;
    }
    if (garbage && (b & 0xf0) == 0x90) {
        /* An array where an event should be: a frame of its own (not_a_map) when it is complete
         * and followed by a map or the end; otherwise it is garbage like any other byte. */
        size_t live = want(r, r->frame_max + 1), used;
        size_t window = live < r->frame_max ? live : r->frame_max;
        if (dn__mp_frame_end(r->buf + r->start, window, &used) == DN__MP_DONE &&
            (used == live || dn__mp_is_map_byte(r->buf[r->start + used]))) {
            f->offset = r->base + r->start;
            f->data = r->buf + r->start;
            f->len = used;
            f->full_len = used;
            r->start += used;
            return 0;
        }
    }
    if (!garbage && r->dec) {
        /* One pass: the decoder finds the end of a map it accepts; the rest is measured. */
        size_t used, live = r->end - r->start;
        size_t window = live < r->frame_max ? live : r->frame_max;
        if (dn__decode_msgpack_prefix(r->dec, r->buf + r->start, window, &r->ev, &used) == 0) {
            f->offset = r->base + r->start;
            f->data = r->buf + r->start;
            f->len = used;
            f->full_len = used;
            f->ev = &r->ev;
            r->start += used;
            return 0;
        }
    }
    if (!garbage) {
        for (;;) {
            size_t used, live = r->end - r->start;
            size_t window = live < r->frame_max ? live : r->frame_max;
            int st = dn__mp_frame_end(r->buf + r->start, window, &used);
            if (st == DN__MP_DONE) {
                f->offset = r->base + r->start;
                f->data = r->buf + r->start;
                f->len = used;
                f->full_len = used;
                r->start += used;
                return 0;
            }
            if (st == DN__MP_INVALID) {
                garbage = true;
                break;
            }
            if (window == r->frame_max) {
                uint64_t off = r->base + r->start, full = 0;
                r->raw_len = 0;
                const char *why = skip_object(r, &full);
                reject_frame(r, f, off, full, why,
                             why[0] == 't' ? "the input ends inside a frame over the limit"
                                           : "the map is larger than the frame limit");
                return 0;
            }
            if (r->eof) {
                uint64_t off = r->base + r->start, full = 0;
                r->raw_len = 0;
                skip_live(r, live, &full);
                reject_frame(r, f, off, full, "truncated", "the input ends inside a map");
                return 0;
            }
            fill(r);
        }
    }
    /* Garbage: one frame up to the next resynchronisation point or the end. */
    uint64_t off = r->base + r->start, full = 0;
    r->raw_len = 0;
    skip_live(r, 1, &full);
    for (;;) {
        size_t q = r->start;
        int found = 0;
        for (; q < r->end; q++) {
            if (!dn__mp_is_map_byte(r->buf[q]))
                continue;
            found = resync_point(r, q);
            if (found != 0)
                break;
        }
        skip_live(r, q - r->start, &full);
        if (found == 1 || r->eof) {
            if (found != 1 && r->start < r->end)
                skip_live(r, r->end - r->start, &full);
            if (found == 1 || r->start == r->end) {
                reject_frame(r, f, off, full, "invalid_msgpack",
                             "bytes that do not start a msgpack map were skipped");
                return 0;
            }
        }
        fill(r);
    }
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int next_prefixed(dn__reader *r, dn__frame *f)
{
    f->is_json = false;
    f->line = 0;
    size_t live = want(r, 4);
    if (live == 0)
        return DN_EEOF;
    uint64_t off = r->base + r->start, full = 0;
    r->raw_len = 0;
    if (live < 4) {
        skip_live(r, live, &full);
        reject_frame(r, f, off, full, "truncated", "the input ends inside a length prefix");
        return 0;
    }
    uint64_t n = be32(r->buf + r->start);
    if (n > r->frame_max) {
        r->start += 4;
        full = 4;
        uint64_t left = n;
        while (left > 0) {
            if (r->start == r->end) {
                if (r->eof)
                    break;
                fill(r);
                continue;
            }
            size_t take = r->end - r->start < left ? r->end - r->start : (size_t)left;
            skip_live(r, take, &full);
            left -= take;
        }
        reject_frame(r, f, off, full, left ? "truncated" : "frame_too_large",
                     left ? "the input ends inside a frame over the limit"
                          : "the length prefix is over the frame limit");
        return 0;
    }
    live = want(r, 4 + (size_t)n);
    if (live < 4 + n) {
        skip_live(r, 4, &full);
        r->raw_len = 0;
        skip_live(r, live - 4, &full);
        reject_frame(r, f, off, full, "truncated", "the input ends inside a frame");
        return 0;
    }
    f->offset = off;
    f->data = r->buf + r->start + 4;
    f->len = (size_t)n;
    f->full_len = 4 + n;
    r->start += 4 + (size_t)n;
    return 0;
}

/* Decides the format from the first bytes (see the file comment). */
static void sniff(dn__reader *r)
{
    size_t live = want(r, 5);
    if (live == 0)
        return;
    const uint8_t *p = r->buf + r->start;
    uint8_t b = p[0];
    bool ws = b == ' ' || b == '\t' || b == '\r' || b == '\n';
    if (r->format == DN__FMT_AUTO && (b == '{' || ws)) {
        r->format = DN__FMT_NDJSON;
    } else if (dn__mp_is_map_byte(b)) {
        r->format = DN__FMT_MSGPACK_BARE;
    } else if (live >= 5 && b == 0 && dn__mp_is_map_byte(p[4])) {
        /* A plausible length (under 16 MiB) then a map. A huge length is only ever met after
         * the first frame, where the format is already known. */
        r->format = DN__FMT_MSGPACK_PREFIXED;
    } else if (r->format == DN__FMT_AUTO && b >= 0x20 && b < 0x7f) {
        r->format = DN__FMT_NDJSON;
    } else {
        r->format = DN__FMT_MSGPACK_BARE;
    }
}

int dn__reader_next(dn__reader *r, dn__frame *f)
{
    int rc;
    memset(f, 0, sizeof(*f));
    if (r->format == DN__FMT_AUTO || r->format == DN__FMT_MSGPACK)
        sniff(r);
    switch (r->format) {
    case DN__FMT_NDJSON:
        rc = next_ndjson(r, f);
        break;
    case DN__FMT_MSGPACK_PREFIXED:
        rc = next_prefixed(r, f);
        break;
    case DN__FMT_MSGPACK_BARE:
        rc = next_bare(r, f);
        break;
    default: /* not sniffed: the input is empty */
        rc = DN_EEOF;
        break;
    }
    if (r->io_error)
        return DN_EIO;
    return rc;
}
