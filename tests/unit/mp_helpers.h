/*
 * mp_helpers.h - test helpers (header-only, included by tests/unit/test_*.c): builds the msgpack
 * twin of a JSON text with msgpack-c's packer, key order and types kept (JSON integers become
 * msgpack integers, reals float64), so one literal feeds both decoders.
 */
#ifndef DN_TEST_MP_HELPERS_H
#define DN_TEST_MP_HELPERS_H

#include <jansson.h>
#include <msgpack.h>
#include <string.h>

static void mp_pack_json(msgpack_packer *pk, json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        msgpack_pack_map(pk, json_object_size(j));
        void *it;
        for (it = json_object_iter(j); it; it = json_object_iter_next(j, it)) {
            size_t kl = json_object_iter_key_len(it);
            msgpack_pack_str(pk, kl);
            msgpack_pack_str_body(pk, json_object_iter_key(it), kl);
            mp_pack_json(pk, json_object_iter_value(it));
        }
        break;
    }
    case JSON_ARRAY: {
        msgpack_pack_array(pk, json_array_size(j));
        for (size_t i = 0; i < json_array_size(j); i++)
            mp_pack_json(pk, json_array_get(j, i));
        break;
    }
    case JSON_STRING:
        msgpack_pack_str(pk, json_string_length(j));
        msgpack_pack_str_body(pk, json_string_value(j), json_string_length(j));
        break;
    case JSON_INTEGER:
        msgpack_pack_int64(pk, json_integer_value(j));
        break;
    case JSON_REAL:
        msgpack_pack_double(pk, json_real_value(j));
        break;
    case JSON_TRUE:
        msgpack_pack_true(pk);
        break;
    case JSON_FALSE:
        msgpack_pack_false(pk);
        break;
    default:
        msgpack_pack_nil(pk);
        break;
    }
}

/* Appends the msgpack twin of json (which must parse) to sb. Returns 0 or -1. */
static int mp_from_json(msgpack_sbuffer *sb, const char *json)
{
    json_error_t err;
    json_t *j = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!j)
        return -1;
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    mp_pack_json(&pk, j);
    json_decref(j);
    return 0;
}

#endif
