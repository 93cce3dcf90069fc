/* error.c - dn_strerror(): the text for each DN_E* code. */
#include "dragnet/error.h"

const char *dn_strerror(int code)
{
    switch (code) {
    case DN_OK:
        return "success";
#define DN_ERRNO_CASE(name, value, text)                                                           \
    case DN_##name:                                                                                \
        return text;
        DN_ERRNO_MAP(DN_ERRNO_CASE)
#undef DN_ERRNO_CASE
    }
    return "unknown error";
}
