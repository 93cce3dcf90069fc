/*
 * lexer.c - hand-written lexer of the rule language.
 *
 * Tokens carry a span (file, byte offset, length, 1-based line and byte column). Comments run
 * from `#` to the end of the line. Identifiers may contain dots (`mule.min_inflow`,
 * `customer.birth_year`). A number directly followed by a unit (ms s m h d w) is a duration
 * literal; money (`2000 EUR`) is a number followed by a currency code and is assembled by the
 * parser. A `/` starts a regex literal only right after `~` or `!~`; everywhere else it divides.
 *
 * Errors (a stray character, an unterminated string or regex) are reported once and yield a
 * TK_ERROR token so the parser can recover. Token texts are copied into the rule set's arena.
 */
#include "lang/ast.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void dn__lang_lexer_init(dn__lexer *lx, const dn__src *src, dn__arena *a, dn_diags *d)
{
    memset(lx, 0, sizeof(*lx));
    lx->src = src;
    lx->line = 1;
    lx->col = 1;
    lx->arena = a;
    lx->diags = d;
    lx->prev = TK_EOF;
}

static int peekc(const dn__lexer *lx, size_t ahead)
{
    size_t p = lx->pos + ahead;
    return p < lx->src->len ? (unsigned char)lx->src->text[p] : -1;
}

static void adv(dn__lexer *lx)
{
    if (lx->pos >= lx->src->len)
        return;
    if (lx->src->text[lx->pos] == '\n') {
        lx->line++;
        lx->col = 1;
    } else {
        lx->col++;
    }
    lx->pos++;
}

static bool is_ident_start(int c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_ident_char(int c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9') || c == '.';
}

static void lex_error(dn__lexer *lx, const dn__span *sp, const char *code, const char *hint,
                      const char *msg)
{
    if (dn__lang_diag_add(lx->diags, sp, NULL, code, hint, "%s", msg))
        lx->err = DN_ENOMEM;
}

/* A raw control byte inside a literal is almost always an editing accident (an invisible
 * backspace disables a regex without a word); the escape says what is meant. */
static void control_char(dn__lexer *lx, const char *what)
{
    char msg[96], hint[64];
    int c = peekc(lx, 0);
    dn__span sp = {lx->src, (uint32_t)lx->pos, 1, lx->line, lx->col};
    snprintf(msg, sizeof(msg), "a raw control character (0x%02x) inside a %s literal", c, what);
    snprintf(hint, sizeof(hint), "write it as an escape (\\x%02x) if it is meant", c);
    lex_error(lx, &sp, "control_char", hint, msg);
}

static void lex_string(dn__lexer *lx, dn__token *t)
{
    adv(lx); /* opening quote */
    size_t cap = 64, n = 0;
    char buf_small[64];
    char *buf = buf_small;
    char *heap = NULL;
    for (;;) {
        int c = peekc(lx, 0);
        if (c < 0 || c == '\n') {
            t->kind = TK_ERROR;
            lex_error(lx, &t->sp, "unterminated_string", "close the string with \"",
                      "unterminated string: expected a closing \"");
            free(heap);
            return;
        }
        if (c == '"') {
            adv(lx);
            break;
        }
        if (c == '\\') {
            int e = peekc(lx, 1);
            char out;
            if (e == '"' || e == '\\')
                out = (char)e;
            else if (e == 'n')
                out = '\n';
            else if (e == 't')
                out = '\t';
            else {
                dn__span sp = {lx->src, (uint32_t)lx->pos, 2, lx->line, lx->col};
                lex_error(lx, &sp, "bad_escape", "use \\\" \\\\ \\n or \\t",
                          "unknown escape in string");
                out = (char)(e < 0 ? '\\' : e);
            }
            adv(lx);
            adv(lx);
            c = (unsigned char)out;
        } else {
            if (c < 0x20 && c != '\t')
                control_char(lx, "string");
            adv(lx);
        }
        if (n + 1 >= cap) {
            char *nb = malloc(cap * 2);
            if (!nb) {
                lx->err = DN_ENOMEM;
                free(heap);
                t->kind = TK_ERROR;
                return;
            }
            memcpy(nb, buf, n);
            free(heap);
            heap = buf = nb;
            cap *= 2;
        }
        buf[n++] = (char)c;
    }
    t->kind = TK_STRING;
    t->text = dn__arena_strndup(lx->arena, buf, n);
    t->text_len = (uint32_t)n;
    if (!t->text)
        lx->err = DN_ENOMEM;
    free(heap);
}

static void lex_regex(dn__lexer *lx, dn__token *t)
{
    adv(lx);
    size_t start = lx->pos;
    for (;;) {
        int c = peekc(lx, 0);
        if (c < 0 || c == '\n') {
            t->kind = TK_ERROR;
            lex_error(lx, &t->sp, "unterminated_regex", "close the regex with /",
                      "unterminated regex: expected a closing /");
            return;
        }
        if (c == '\\' && peekc(lx, 1) >= 0 && peekc(lx, 1) != '\n') {
            adv(lx);
            adv(lx);
            continue;
        }
        if (c == '/')
            break;
        if (c < 0x20 && c != '\t')
            control_char(lx, "regex");
        adv(lx);
    }
    size_t end = lx->pos;
    adv(lx);
    t->kind = TK_REGEX;
    t->text = dn__arena_strndup(lx->arena, lx->src->text + start, end - start);
    t->text_len = (uint32_t)(end - start);
    if (!t->text)
        lx->err = DN_ENOMEM;
    size_t nf = 0;
    while (is_ident_char(peekc(lx, 0))) {
        int f = peekc(lx, 0);
        if ((f == 'i' || f == 'm' || f == 's' || f == 'x') && nf < sizeof(t->flags) - 1 &&
            !strchr(t->flags, f)) {
            t->flags[nf++] = (char)f;
        } else {
            dn__span sp = {lx->src, (uint32_t)lx->pos, 1, lx->line, lx->col};
            lex_error(lx, &sp, "bad_regex", "regex flags are i, m, s and x", "unknown regex flag");
        }
        adv(lx);
    }
}

static void lex_number(dn__lexer *lx, dn__token *t)
{
    size_t start = lx->pos;
    while (isdigit(peekc(lx, 0)))
        adv(lx);
    if (peekc(lx, 0) == '.' && isdigit(peekc(lx, 1))) {
        adv(lx);
        while (isdigit(peekc(lx, 0)))
            adv(lx);
    }
    char tmp[64];
    size_t n = lx->pos - start;
    if (n >= sizeof(tmp))
        n = sizeof(tmp) - 1;
    memcpy(tmp, lx->src->text + start, n);
    tmp[n] = '\0';
    t->num = strtod(tmp, NULL);
    t->kind = TK_NUMBER;
    t->text = dn__arena_strndup(lx->arena, tmp, n);
    t->text_len = (uint32_t)n;
    if (!t->text)
        lx->err = DN_ENOMEM;
    /* a unit right after the digits makes a duration */
    size_t us = lx->pos, ue = us;
    while (ue < lx->src->len && is_ident_char((unsigned char)lx->src->text[ue]))
        ue++;
    if (ue == us)
        return;
    const char *u = lx->src->text + us;
    size_t ul = ue - us;
    double mult = 0;
    if (ul == 2 && memcmp(u, "ms", 2) == 0)
        mult = 1;
    else if (ul == 1 && *u == 's')
        mult = 1000;
    else if (ul == 1 && *u == 'm')
        mult = 60000;
    else if (ul == 1 && *u == 'h')
        mult = 3600000;
    else if (ul == 1 && *u == 'd')
        mult = 86400000;
    else if (ul == 1 && *u == 'w')
        mult = 604800000;
    while (lx->pos < ue)
        adv(lx);
    if (mult == 0) {
        t->kind = TK_ERROR;
        lex_error(lx, &t->sp, "bad_number", "durations end in ms, s, m, h, d or w",
                  "a number must be followed by a space or a duration unit");
        return;
    }
    double v = t->num * mult;
    t->kind = TK_DURATION;
    t->ival = v >= 9.2e18 ? INT64_MAX : (int64_t)llround(v);
}

void dn__lang_lexer_next(dn__lexer *lx, dn__token *t)
{
    memset(t, 0, sizeof(*t));
    for (;;) {
        int c = peekc(lx, 0);
        if (c == '\n')
            t->newline_before = true;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            adv(lx);
        } else if (c == '#') {
            while (peekc(lx, 0) >= 0 && peekc(lx, 0) != '\n')
                adv(lx);
        } else {
            break;
        }
    }
    t->sp.src = lx->src;
    t->sp.off = (uint32_t)lx->pos;
    t->sp.line = lx->line;
    t->sp.col = lx->col;
    int c = peekc(lx, 0);
    int c1 = peekc(lx, 1);
    if (c < 0) {
        t->kind = TK_EOF;
    } else if (is_ident_start(c) || (c == '$' && is_ident_start(c1))) {
        bool is_param = c == '$';
        if (is_param)
            adv(lx);
        size_t start = lx->pos;
        while (is_ident_char(peekc(lx, 0)))
            adv(lx);
        t->kind = is_param ? TK_PARAM : TK_IDENT;
        t->text = dn__arena_strndup(lx->arena, lx->src->text + start, lx->pos - start);
        t->text_len = (uint32_t)(lx->pos - start);
        if (!t->text)
            lx->err = DN_ENOMEM;
    } else if (isdigit(c)) {
        lex_number(lx, t);
    } else if (c == '"') {
        lex_string(lx, t);
    } else if (c == '/' && (lx->prev == TK_MATCH || lx->prev == TK_NOMATCH)) {
        lex_regex(lx, t);
    } else {
        dn__tok_kind k = TK_ERROR;
        int n = 1;
        switch (c) {
        case '{':
            k = TK_LBRACE;
            break;
        case '}':
            k = TK_RBRACE;
            break;
        case '(':
            k = TK_LPAREN;
            break;
        case ')':
            k = TK_RPAREN;
            break;
        case '[':
            k = TK_LBRACK;
            break;
        case ']':
            k = TK_RBRACK;
            break;
        case ',':
            k = TK_COMMA;
            break;
        case '+':
            k = TK_PLUS;
            break;
        case '-':
            k = TK_MINUS;
            break;
        case '*':
            k = TK_STAR;
            break;
        case '/':
            k = TK_SLASH;
            break;
        case '~':
            k = TK_MATCH;
            break;
        case '=':
            k = c1 == '=' ? TK_EQ : TK_ASSIGN;
            n = c1 == '=' ? 2 : 1;
            break;
        case '<':
            k = c1 == '=' ? TK_LE : TK_LT;
            n = c1 == '=' ? 2 : 1;
            break;
        case '>':
            k = c1 == '=' ? TK_GE : TK_GT;
            n = c1 == '=' ? 2 : 1;
            break;
        case '!':
            if (c1 == '=') {
                k = TK_NE;
                n = 2;
            } else if (c1 == '~') {
                k = TK_NOMATCH;
                n = 2;
            }
            break;
        default:
            break;
        }
        for (int i = 0; i < n; i++)
            adv(lx);
        if (k == TK_ERROR) {
            t->sp.len = 1;
            char msg[64];
            if (c >= 0x20 && c < 0x7f)
                snprintf(msg, sizeof(msg), "unexpected character '%c'", c);
            else
                snprintf(msg, sizeof(msg), "unexpected byte 0x%02x", (unsigned)c);
            lex_error(lx, &t->sp, "unexpected_char", NULL, msg);
        }
        t->kind = k;
    }
    t->sp.len = (uint32_t)(lx->pos - t->sp.off);
    lx->prev = t->kind;
}
