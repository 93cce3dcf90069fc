/*
 * alert.c - alert lines and hit notes: the explained output of engine/score.
 *
 * An alert line is built with dn__buf in a fixed key order (alert.h documents it); nothing in
 * it comes from the wall clock, so replaying a feed reproduces it byte for byte. Times are
 * formatted by arithmetic on the event time (days-from-civil), not by the C library's
 * time-zone-dependent calls.
 *
 * A hit note (score.h) is the compact record of why a hit fired: its because lines and event
 * ids, copied into bytes that engine/state keeps with the hit and frees with it. Decoding
 * validates lengths and never reads past the note.
 */
#include "score/score.h"

#include "common/hash.h"
#include "dragnet/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The id part of a note (see score.h): its size, and writing it at p; returns the end. */
static size_t ids_size(const dn_str *ids, uint32_t ni)
{
    size_t n = 1 + ni;
    for (uint32_t i = 0; i < ni; i++)
        n += ids[i].len > DN_ID_MAX_LEN ? DN_ID_MAX_LEN : ids[i].len;
    return n;
}

static unsigned char *put_ids(unsigned char *p, const dn_str *ids, uint32_t ni)
{
    *p++ = (unsigned char)ni;
    for (uint32_t i = 0; i < ni; i++) {
        uint32_t len = ids[i].len > DN_ID_MAX_LEN ? DN_ID_MAX_LEN : ids[i].len;
        *p++ = (unsigned char)len;
        if (len)
            memcpy(p, ids[i].ptr, len);
        p += len;
    }
    return p;
}

int dn__score_note_encode(dn__buf *b, const dn_str *because, uint32_t because_count,
                          const dn_str *ids, uint32_t id_count)
{
    dn__buf_clear(b);
    uint32_t nl = because_count > DN__NOTE_MAX_LINES ? DN__NOTE_MAX_LINES : because_count;
    uint32_t ni = id_count > DN__NOTE_MAX_IDS ? DN__NOTE_MAX_IDS : id_count;
    /* sized first, then written in place: one reservation per note */
    size_t need = 1 + 2 * (size_t)nl + ids_size(ids, ni);
    for (uint32_t i = 0; i < nl; i++)
        need += because[i].len > DN__NOTE_MAX_LINE ? DN__NOTE_MAX_LINE : because[i].len;
    if (dn__buf_reserve(b, need) != 0)
        return DN_ENOMEM;
    unsigned char *p = (unsigned char *)b->data;
    *p++ = (unsigned char)nl;
    for (uint32_t i = 0; i < nl; i++) {
        uint32_t len = because[i].len > DN__NOTE_MAX_LINE ? DN__NOTE_MAX_LINE : because[i].len;
        *p++ = (unsigned char)(len & 0xff);
        *p++ = (unsigned char)(len >> 8);
        if (len)
            memcpy(p, because[i].ptr, len);
        p += len;
    }
    put_ids(p, ids, ni);
    b->len = need;
    b->data[b->len] = '\0'; /* as dn__buf_append leaves it */
    return 0;
}

#define NOTE_WHY 0xffu

int dn__score_note_encode_why(dn__buf *b, const void *why, uint32_t why_len, const dn_str *ids,
                              uint32_t id_count)
{
    dn__buf_clear(b);
    uint32_t ni = id_count > DN__NOTE_MAX_IDS ? DN__NOTE_MAX_IDS : id_count;
    size_t need = 1 + 4 + (size_t)why_len + ids_size(ids, ni);
    if (dn__buf_reserve(b, need) != 0)
        return DN_ENOMEM;
    unsigned char *p = (unsigned char *)b->data;
    *p++ = NOTE_WHY;
    for (int i = 0; i < 4; i++)
        *p++ = (unsigned char)(why_len >> (8 * i));
    if (why_len)
        memcpy(p, why, why_len);
    put_ids(p + why_len, ids, ni);
    b->len = need;
    b->data[b->len] = '\0';
    return 0;
}

bool dn__score_note_why(const void *note, uint32_t note_len, const void **why, uint32_t *why_len)
{
    const unsigned char *p = note;
    if (!note || note_len < 5 || p[0] != NOTE_WHY)
        return false;
    uint32_t len =
        (uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16 | (uint32_t)p[4] << 24;
    if (len > note_len - 5)
        return false;
    *why = p + 5;
    *why_len = len;
    return true;
}

int dn__score_note_decode(const void *note, uint32_t note_len, dn_str *because,
                          uint32_t *because_count, dn_str *ids, uint32_t *id_count)
{
    const unsigned char *p = note, *end = p + note_len;
    *because_count = *id_count = 0;
    if (!note || note_len == 0)
        return 0;
    const void *why;
    uint32_t why_len;
    uint32_t nl = 0;
    if (dn__score_note_why(note, note_len, &why, &why_len))
        p += 5 + why_len; /* no lines: the ids follow the record */
    else if ((nl = *p++) > DN__NOTE_MAX_LINES)
        return DN_EINVAL;
    for (uint32_t i = 0; i < nl; i++) {
        if (end - p < 2)
            return DN_EINVAL;
        uint32_t len = (uint32_t)p[0] | (uint32_t)p[1] << 8;
        p += 2;
        if ((uint32_t)(end - p) < len)
            return DN_EINVAL;
        because[i] = (dn_str){(const char *)p, len};
        p += len;
    }
    if (p == end)
        return DN_EINVAL;
    uint32_t ni = *p++;
    if (ni > DN__NOTE_MAX_IDS)
        return DN_EINVAL;
    for (uint32_t i = 0; i < ni; i++) {
        if (p == end)
            return DN_EINVAL;
        uint32_t len = *p++;
        if ((uint32_t)(end - p) < len)
            return DN_EINVAL;
        ids[i] = (dn_str){(const char *)p, len};
        p += len;
    }
    *because_count = nl;
    *id_count = ni;
    return 0;
}

uint64_t dn__score_alert_id(const char *ruleset_hash, const char *typology, int entity_kind,
                            dn_str entity_id, dn_str event_id)
{
    /* Each part hashed on its own and combined in order: no separator can be forged. */
    uint64_t h = dn__hash64(ruleset_hash, strlen(ruleset_hash));
    h = dn__hash_combine(h, dn__hash64(typology, strlen(typology)));
    h = dn__hash_combine(h, (uint64_t)entity_kind);
    h = dn__hash_combine(h, dn__hash64(entity_id.ptr ? entity_id.ptr : "", entity_id.len));
    h = dn__hash_combine(h, dn__hash64(event_id.ptr ? event_id.ptr : "", event_id.len));
    return h;
}

const char *dn__score_verdict(int64_t score, int64_t review, int64_t block)
{
    if (review < 0 && block < 0)
        return NULL;
    if (block >= 0 && score >= block)
        return "block";
    if (review >= 0 && score >= review)
        return "review";
    return "allow";
}

int dn__score_iso8601(dn__buf *b, int64_t ms)
{
    int64_t days = ms / 86400000, rem = ms % 86400000;
    if (rem < 0) {
        rem += 86400000;
        days--;
    }
    /* civil_from_days (proleptic Gregorian), after H. Hinnant's public-domain algorithm */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    return dn__buf_printf(b, "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02d:%02d:%02d.%03dZ", y, m,
                          d, (int)(rem / 3600000), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
                          (int)(rem % 1000));
}

static int put_key(dn__buf *b, const char *key)
{
    int rc = dn__buf_json_str(b, key, strlen(key));
    return rc ? rc : dn__buf_putc(b, ':');
}

static int put_cstr(dn__buf *b, const char *key, const char *v)
{
    int rc = put_key(b, key);
    if (!rc)
        rc = dn__buf_json_str(b, v ? v : "", v ? strlen(v) : 0);
    return rc ? rc : dn__buf_putc(b, ',');
}

static int put_str(dn__buf *b, const char *key, dn_str v)
{
    int rc = put_key(b, key);
    if (!rc)
        rc = dn__buf_json_str(b, v.ptr ? v.ptr : "", v.len);
    return rc ? rc : dn__buf_putc(b, ',');
}

static int put_int(dn__buf *b, const char *key, int64_t v)
{
    int rc = put_key(b, key);
    return rc ? rc : dn__buf_printf(b, "%" PRId64 ",", v);
}

static int put_str_array(dn__buf *b, const dn_str *v, uint32_t n)
{
    int rc = dn__buf_putc(b, '[');
    for (uint32_t i = 0; !rc && i < n; i++) {
        if (i)
            rc = dn__buf_putc(b, ',');
        if (!rc)
            rc = dn__buf_json_str(b, v[i].ptr, v[i].len);
    }
    return rc ? rc : dn__buf_putc(b, ']');
}

static int put_rule(dn__buf *b, const dn__alert_rule *r)
{
    int rc = 0;
    dn_str because[DN__NOTE_MAX_LINES], ids[DN__NOTE_MAX_IDS];
    uint32_t nb = 0, ni = 0;
    if (dn__score_note_decode(r->note, r->note_len, because, &nb, ids, &ni) != 0)
        nb = ni = 0; /* a note this file wrote is never malformed; render without it if so */
    if ((rc = dn__buf_putc(b, '{')) || (rc = put_cstr(b, "id", r->id)) ||
        (rc = put_cstr(b, "description", r->description)) || (rc = put_int(b, "score", r->score)) ||
        (rc = put_int(b, "ts", r->ts_ms)) || (rc = put_key(b, "because")) ||
        (rc = put_str_array(b, because, nb)) || (rc = dn__buf_putc(b, ',')) ||
        (rc = put_key(b, "events")) || (rc = put_str_array(b, ids, ni)) ||
        (rc = dn__buf_putc(b, '}')))
        goto fail;
    return 0;
fail:
    return rc;
}

int dn__score_alert_json(dn__buf *b, const dn__alert *a)
{
    int rc = 0;
    char id[17];
    snprintf(id, sizeof(id), "%016" PRIx64, a->alert_id);
    dn__buf_clear(b);
    if ((rc = dn__buf_putc(b, '{')) || (rc = put_cstr(b, "alert_id", id)) ||
        (rc = put_cstr(b, "kind", a->is_update ? "alert_update" : "alert")) ||
        (rc = put_int(b, "ts", a->ts_ms)) || (rc = put_key(b, "time")) ||
        (rc = dn__buf_putc(b, '"')) || (rc = dn__score_iso8601(b, a->ts_ms)) ||
        (rc = dn__buf_puts(b, "\",")) || (rc = put_str(b, "entity", a->entity)) ||
        (rc = put_cstr(b, "role", a->role)) || (rc = put_cstr(b, "typology", a->typology)) ||
        (rc = put_cstr(b, "description", a->description)) ||
        (rc = put_cstr(b, "severity", a->severity)) || (rc = put_int(b, "score", a->score)) ||
        (rc = put_int(b, "threshold", a->threshold)))
        goto fail;
    const char *verdict = dn__score_verdict(a->score, a->review, a->block);
    if (verdict && (rc = put_cstr(b, "verdict", verdict)))
        goto fail;
    if ((rc = put_key(b, "ruleset")) || (rc = dn__buf_putc(b, '{')) ||
        (rc = put_cstr(b, "version", a->ruleset_version)) || (rc = put_key(b, "hash")) ||
        (rc = dn__buf_json_str(b, a->ruleset_hash ? a->ruleset_hash : "",
                               a->ruleset_hash ? strlen(a->ruleset_hash) : 0)) ||
        (rc = dn__buf_puts(b, "},")) || (rc = put_key(b, "rules")) || (rc = dn__buf_putc(b, '[')))
        goto fail;
    for (uint32_t i = 0; i < a->rule_count; i++) {
        if ((i && (rc = dn__buf_putc(b, ','))) || (rc = put_rule(b, &a->rules[i])))
            goto fail;
    }
    if ((rc = dn__buf_puts(b, "],")) || (rc = put_key(b, "event")) ||
        (rc = dn__buf_json_str(b, a->event_id.ptr ? a->event_id.ptr : "", a->event_id.len)) ||
        (rc = dn__buf_putc(b, '}')))
        goto fail;
    return 0;
fail:
    return rc;
}
