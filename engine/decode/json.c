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
 */
#include "decode/fields.h"
#include "dragnet/error.h"

#include <jansson.h>
#include <string.h>

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
    json_t *root =
        json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY, &err);
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
