/*
 * error.h - the error codes every Dragnet call returns.
 *
 * Every function that can fail returns int: 0 on success or a negative DN_E* code. Results are
 * written to out-parameters, last in the argument list. Bad input (an event that fails
 * validation, a rule file with a typo) is data, not an error: it is reported through reason codes
 * and diagnostics; these codes are for calls that could not be carried out.
 */
#ifndef DRAGNET_ERROR_H
#define DRAGNET_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#define DN_OK 0

#define DN_ERRNO_MAP(X)                                                                            \
    X(ENOMEM, -1, "out of memory")                                                                 \
    X(EINVAL, -2, "invalid argument")                                                              \
    X(EIO, -3, "input/output error")                                                               \
    X(ENOENT, -4, "no such file or directory")                                                     \
    X(ESYNTAX, -5, "rule set has errors")                                                          \
    X(ELIMIT, -6, "a configured limit was reached")                                                \
    X(EAGAIN, -7, "more input is needed")                                                          \
    X(EEOF, -8, "end of input")                                                                    \
    X(EBADEVENT, -9, "event rejected")                                                             \
    X(ENOTSUP, -10, "operation not supported")                                                     \
    X(ECONN, -11, "connection failed")

enum dn_errno {
#define DN_ERRNO_ENUM(name, value, text) DN_##name = (value),
    DN_ERRNO_MAP(DN_ERRNO_ENUM)
#undef DN_ERRNO_ENUM
};

/* A static string describing code; never NULL. */
const char *dn_strerror(int code);

#ifdef __cplusplus
}
#endif
#endif
