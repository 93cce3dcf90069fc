/* buf.c - see buf.h. JSON escaping follows RFC 8259; invalid UTF-8 is replaced, never passed. */
#include "common/buf.h"
#include "dragnet/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dn__buf_init(dn__buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void dn__buf_free(dn__buf *b)
{
    free(b->data);
    dn__buf_init(b);
}

int dn__buf_reserve(dn__buf *b, size_t extra)
{
    if (b->cap - b->len > extra)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len <= extra)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return DN_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int dn__buf_append(dn__buf *b, const void *data, size_t len)
{
    if (dn__buf_reserve(b, len))
        return DN_ENOMEM;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int dn__buf_putc(dn__buf *b, char c)
{
    return dn__buf_append(b, &c, 1);
}

int dn__buf_puts(dn__buf *b, const char *s)
{
    return dn__buf_append(b, s, strlen(s));
}

int dn__buf_printf(dn__buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return DN_EINVAL;
    if ((size_t)n < sizeof(small))
        return dn__buf_append(b, small, (size_t)n);
    if (dn__buf_reserve(b, (size_t)n + 1))
        return DN_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

size_t dn__utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0) {
        len = 2;
        cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3;
        cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

int dn__buf_json_str(dn__buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (dn__buf_reserve(b, len + 2))
        return DN_ENOMEM;
    b->data[b->len++] = '"';
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            size_t j = i;
            while (j < len && p[j] >= 0x20 && p[j] < 0x80 && p[j] != '"' && p[j] != '\\')
                j++;
            if (dn__buf_append(b, p + i, j - i))
                return DN_ENOMEM;
            i = j;
            continue;
        }
        int rc = 0;
        switch (c) {
        case '"':
            rc = dn__buf_append(b, "\\\"", 2);
            break;
        case '\\':
            rc = dn__buf_append(b, "\\\\", 2);
            break;
        case '\n':
            rc = dn__buf_append(b, "\\n", 2);
            break;
        case '\r':
            rc = dn__buf_append(b, "\\r", 2);
            break;
        case '\t':
            rc = dn__buf_append(b, "\\t", 2);
            break;
        default:
            if (c < 0x20) {
                char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                rc = dn__buf_append(b, esc, 6);
            } else {
                size_t n = dn__utf8_seq_len(p + i, len - i);
                if (n == 0) {
                    rc = dn__buf_append(b, "\xef\xbf\xbd", 3);
                    n = 1;
                } else {
                    rc = dn__buf_append(b, p + i, n);
                }
                i += n - 1;
            }
        }
        if (rc)
            return rc;
        i++;
    }
    return dn__buf_putc(b, '"');
}

int dn__buf_base64(dn__buf *b, const void *data, size_t len)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = data;
    if (dn__buf_reserve(b, (len + 2) / 3 * 4 + 1))
        return DN_ENOMEM;
    char *o = b->data + b->len;
    size_t i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = tbl[v >> 18];
        *o++ = tbl[(v >> 12) & 63];
        *o++ = tbl[(v >> 6) & 63];
        *o++ = tbl[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
        *o++ = tbl[v >> 18];
        *o++ = tbl[(v >> 12) & 63];
        *o++ = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
    return 0;
}
