/*
 * buf.h - a growable byte buffer for building output (JSON lines, msgpack frames, reports).
 * The buffer owns its bytes; dn__buf_free releases them. Appends return 0 or DN_ENOMEM; after a
 * failed append the buffer keeps what it had.
 */
#ifndef DN_COMMON_BUF_H
#define DN_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dn__buf {
    char *data;
    size_t len;
    size_t cap;
} dn__buf;

void dn__buf_init(dn__buf *b);
void dn__buf_free(dn__buf *b);
static inline void dn__buf_clear(dn__buf *b)
{
    b->len = 0;
}
int dn__buf_reserve(dn__buf *b, size_t extra);
int dn__buf_append(dn__buf *b, const void *data, size_t len);
int dn__buf_putc(dn__buf *b, char c);
int dn__buf_puts(dn__buf *b, const char *s);
int dn__buf_printf(dn__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Length of the valid UTF-8 sequence at s (n bytes left, n >= 1), 0 when it is not valid UTF-8
 * (overlong forms, surrogates and code points past U+10FFFF are invalid). */
size_t dn__utf8_seq_len(const unsigned char *s, size_t n);
/* Appends s as a JSON string literal (quotes, escapes; invalid UTF-8 bytes become U+FFFD). */
int dn__buf_json_str(dn__buf *b, const char *s, size_t len);
/* Appends base64 of data. */
int dn__buf_base64(dn__buf *b, const void *data, size_t len);

#endif
