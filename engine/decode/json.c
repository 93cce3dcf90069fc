/*
 * json.c - one JSON object -> dn_event with jansson (json_loadb).
 *
 * jansson builds a tree with its own allocations (the one per-event allocation the JSON path
 * cannot avoid); the tree is freed before returning, after every string the event keeps has been
 * copied into the decoder's arena. Parse flags: duplicate keys are rejected by jansson while
 * parsing (reported as duplicate_key:<key>), NUL in strings is allowed (as msgpack allows it), and
 * any top-level value parses so that a non-object is told apart (not_a_map) from bad JSON.
 * jansson limits nesting to 2048 levels while parsing; we then apply DN_DECODE_MAX_DEPTH, as the
 * msgpack decoder does, before any field is looked at.
 *
 * Bytes that are not UTF-8: jansson refuses them (RFC 8259 requires UTF-8), but a bank feed that
 * sends Latin-1 names must not lose the event; msgpack strings are bytes, and JSON strings are
 * bytes too here. When jansson reports invalid UTF-8, the text is copied with each such byte b
 * mapped to the private-use code point U+F700 + b, parsed again, and every string and key is
 * mapped back to the original bytes as it is copied out. (A genuine U+F700..U+F7FF in such a line
 * would come back as a byte: a private-use character in an already broken line.)
 */
#include "decode/fields.h"
#include "common/buf.h"
#include "dragnet/error.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Copies data into d->scratch with every byte that is not UTF-8 mapped to U+F700 + byte. */
static int map_invalid(dn__decoder *d, const unsigned char *p, size_t len, size_t *out_len)
{
    if (len > (SIZE_MAX - 1) / 3)
        return DN_ENOMEM;
    if (d->scratch_cap < 3 * len + 1) {
        char *s = realloc(d->scratch, 3 * len + 1);
        if (!s)
            return DN_ENOMEM;
        d->scratch = s;
        d->scratch_cap = 3 * len + 1;
    }
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = dn__utf8_seq_len(p + i, len - i);
        if (n) {
            memcpy(d->scratch + o, p + i, n);
            o += n;
            i += n;
            continue;
        }
        uint32_t cp = 0xf700u + p[i++];
        d->scratch[o++] = (char)(0xe0 | (cp >> 12));
        d->scratch[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        d->scratch[o++] = (char)(0x80 | (cp & 0x3f));
    }
    *out_len = o;
    return 0;
}

/* The bytes of s with U+F700..U+F7FF mapped back, in the arena; NULL on allocation failure. */
static const char *unmap(dn__decoder *d, const char *s, size_t len, size_t *out_len)
{
    char *o = dn__arena_alloc(&d->arena, len + 1);
    if (!o)
        return NULL;
    size_t n = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        if (i + 2 < len && u[i] == 0xef && u[i + 1] >= 0x9c && u[i + 1] <= 0x9f &&
            (u[i + 2] & 0xc0) == 0x80) {
            o[n++] = (char)(((u[i + 1] & 0x03) << 6) | (u[i + 2] & 0x3f));
            i += 3;
        } else {
            o[n++] = s[i++];
        }
    }
    o[n] = '\0';
    *out_len = n;
    return o;
}

static void to_dval(json_t *j, dn__dval *v)
{
    memset(v, 0, sizeof(*v));
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        v->kind = DN__DV_MAP;
        break;
    case JSON_ARRAY:
        v->kind = DN__DV_ARRAY;
        break;
    case JSON_STRING:
        v->kind = DN__DV_STR;
        v->s = json_string_value(j);
        v->len = json_string_length(j);
        break;
    case JSON_INTEGER:
        v->kind = DN__DV_INT;
        v->i = (int64_t)json_integer_value(j);
        break;
    case JSON_REAL:
        v->kind = DN__DV_FLOAT;
        v->f = json_real_value(j);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        v->kind = DN__DV_BOOL;
        v->b = json_is_true(j);
        break;
    default:
        v->kind = DN__DV_NIL;
        break;
    }
}

/* True when j nests no deeper than depth_left levels (j itself counts when a container). */
static bool depth_ok(json_t *j, int depth_left)
{
    if (!json_is_object(j) && !json_is_array(j))
        return true;
    if (depth_left <= 0)
        return false;
    if (json_is_array(j)) {
        size_t i;
        json_t *x;
        json_array_foreach(j, i, x)
        {
            if (!depth_ok(x, depth_left - 1))
                return false;
        }
        return true;
    }
    const char *k;
    json_t *x;
    json_object_foreach(j, k, x)
    {
        if (!depth_ok(x, depth_left - 1))
            return false;
    }
    return true;
}

/* Turns jansson's "duplicate object key near '"KEY"'" into duplicate_key:<name>. */
static int dup_reject(dn__decoder *d, const json_error_t *err, dn__reject *rej)
{
    const char *near = strstr(err->text, "near '\"");
    const char *key = "";
    size_t len = 0;
    if (near) {
        key = near + 7;
        const char *end = strrchr(key, '"');
        len = end && end > key ? (size_t)(end - key) : 0;
    }
    return dn__reject_set(d, rej, "duplicate_key", dn__fields_dup_name(key, len),
                          "key %.*s appears twice", (int)len, key);
}

static int set_object(dn__decoder *d, dn_event *ev, json_t *obj, bool in_customer, dn__reject *rej)
{
    void *it;
    for (it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
        const char *k = json_object_iter_key(it);
        size_t kl = json_object_iter_key_len(it);
        json_t *val = json_object_iter_value(it);
        dn__dval v;
        to_dval(val, &v);
        if (d->json_mapped) {
            k = unmap(d, k, kl, &kl);
            if (!k || (v.kind == DN__DV_STR && !(v.s = unmap(d, v.s, v.len, &v.len))))
                return DN_ENOMEM;
        }
        dn__field f = dn__fields_lookup(k, kl, in_customer);
        int rc = dn__fields_set(d, ev, f, k, kl, &v, in_customer, rej);
        if (rc)
            return rc;
        if (f == DN__F_CUSTOMER) {
            rc = set_object(d, ev, val, true, rej);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int dn__decode_json(dn__decoder *d, const void *data, size_t len, dn_event *ev, dn__reject *rej)
{
    json_error_t err;
    int rc;
    dn__fields_begin(d, ev);
    const size_t flags = JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY;
    d->json_mapped = false;
    json_t *root = json_loadb(data, len, flags, &err);
    if (!root && json_error_code(&err) == json_error_invalid_utf8) {
        size_t mlen;
        if (map_invalid(d, data, len, &mlen) != 0)
            return DN_ENOMEM;
        d->json_mapped = true;
        root = json_loadb(d->scratch, mlen, flags, &err);
    }
    if (!root) {
        if (json_error_code(&err) == json_error_out_of_memory)
            return DN_ENOMEM;
        if (json_error_code(&err) == json_error_duplicate_key)
            return dup_reject(d, &err, rej);
        return dn__reject_set(d, rej, "invalid_json", NULL, "%s at byte %d", err.text,
                              err.position);
    }
    if (!json_is_object(root)) {
        rc = dn__reject_set(d, rej, "not_a_map", NULL, "the event is not a JSON object");
        goto done;
    }
    if (!depth_ok(root, DN_DECODE_MAX_DEPTH)) {
        rc = dn__reject_set(d, rej, "invalid_json", NULL, "nested deeper than %d levels",
                            DN_DECODE_MAX_DEPTH);
        goto done;
    }
    rc = set_object(d, ev, root, false, rej);
    if (rc == 0)
        rc = dn__fields_finish(d, ev, rej);
done:
    json_decref(root);
    return rc;
}
