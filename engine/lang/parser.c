/*
 * parser.c - recursive-descent parser: tokens of one file to a list of top-level items.
 *
 * Grammar (keywords are identifiers the parser recognises in place):
 *   file     := item*
 *   item     := 'version' STRING | 'base' CODE | 'memory' 'counterparty' DURATION
 *             | 'param' NAME '=' expr | 'list' NAME 'from' STRING
 *             | 'rule' NAME STRING '{' clause* '}' | 'typology' NAME STRING '{' clause* '}'
 *   clause   := IDENT expr (',' expr)*         (the checker knows which clauses exist)
 *   expr     := and ('or' and)*
 *   and      := not ('and' not)*
 *   not      := 'not' not | cmp
 *   cmp      := add [('=='|'!='|'<'|'<='|'>'|'>='|'in'|'not' 'in'|'~'|'!~') add]
 *   add      := mul (('+'|'-') mul)*
 *   mul      := unary (('*'|'/') unary)*
 *   unary    := '-' unary | primary
 *   primary  := NUMBER [CODE] | DURATION | STRING | REGEX | $NAME | 'true' | 'false'
 *             | '[' [expr (',' expr)*] ']' | '(' expr ')' | NAME ['(' [arg (',' arg)*] ')']
 *   arg      := 'where' expr | expr
 * A money literal is a number followed, on the same line, by a three-letter upper-case code.
 *
 * Recovery: after a syntax error the parser skips to the next top-level keyword at the start of a
 * line; a rule or typology cut short is still added (marked broken) so that references to its
 * name do not cascade into more errors. Every node carries the span of its source text.
 */
#include "lang/ast.h"

#include <string.h>

typedef struct parser {
    dn__lexer lx;
    dn__token cur, nxt;
    dn__arena *a;
    dn_diags *d;
    int err;
    bool panic;
    int depth; /* nesting of expressions, bounded so that no input exhausts the C stack */
} parser;

#define MAX_DEPTH 200

static void next(parser *p)
{
    p->cur = p->nxt;
    dn__lang_lexer_next(&p->lx, &p->nxt);
    if (p->lx.err)
        p->err = p->lx.err;
}

static bool is_kw(const dn__token *t, const char *kw)
{
    return t->kind == TK_IDENT && strlen(kw) == t->text_len &&
           memcmp(t->text, kw, t->text_len) == 0;
}

static bool is_top_kw(const dn__token *t)
{
    static const char *const kws[] = {"version", "base", "memory",  "param",
                                      "list",    "rule", "typology"};
    for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
        if (is_kw(t, kws[i]))
            return true;
    return false;
}

static const char *tok_desc(const dn__token *t, char *buf, size_t cap)
{
    switch (t->kind) {
    case TK_EOF:
        return "end of file";
    case TK_IDENT:
        snprintf(buf, cap, "'%.40s'", t->text);
        return buf;
    case TK_NUMBER:
        return "a number";
    case TK_DURATION:
        return "a duration";
    case TK_STRING:
        return "a string";
    case TK_REGEX:
        return "a regex";
    case TK_PARAM:
        snprintf(buf, cap, "'$%.40s'", t->text);
        return buf;
    default:
        snprintf(buf, cap, "'%.*s'", (int)(t->sp.len > 8 ? 8 : t->sp.len),
                 t->sp.src->text + t->sp.off);
        return buf;
    }
}

/* Reports "expected X, found Y" at the current token (once per panic). */
static void expected(parser *p, const char *what, const char *hint)
{
    if (p->panic)
        return;
    p->panic = true;
    if (p->cur.kind == TK_ERROR)
        return; /* the lexer already said why */
    char buf[64];
    if (dn__lang_diag_add(p->d, &p->cur.sp, NULL, "unexpected_token", hint, "expected %s, found %s",
                          what, tok_desc(&p->cur, buf, sizeof(buf))))
        p->err = DN_ENOMEM;
}

static dn__expr *new_expr(parser *p, dn__expr_kind k, const dn__span *sp)
{
    dn__expr *e = dn__arena_calloc(p->a, sizeof(*e));
    if (!e) {
        p->err = DN_ENOMEM;
        return NULL;
    }
    e->kind = k;
    e->sp = *sp;
    e->op_sp = *sp;
    return e;
}

static void span_to(dn__span *sp, const dn__span *end)
{
    if (end->off + end->len > sp->off)
        sp->len = end->off + end->len - sp->off;
}

static dn__expr *parse_expr(parser *p);
static dn__expr *parse_or(parser *p);

/* One more level of nesting; false (diagnosed once) beyond MAX_DEPTH. */
static bool enter(parser *p)
{
    if (p->depth >= MAX_DEPTH) {
        if (!p->panic && dn__lang_diag_add(p->d, &p->cur.sp, NULL, "too_deep",
                                           "split the condition into several rules or params",
                                           "expression nested more than %d levels deep", MAX_DEPTH))
            p->err = DN_ENOMEM;
        p->panic = true;
        return false;
    }
    p->depth++;
    return true;
}

static bool add_kid(parser *p, dn__expr *e, dn__expr *k, uint32_t *cap)
{
    if (e->kid_count == *cap) {
        uint32_t nc = *cap ? *cap * 2 : 4;
        dn__expr **nk = dn__arena_alloc(p->a, nc * sizeof(*nk));
        if (!nk) {
            p->err = DN_ENOMEM;
            return false;
        }
        if (e->kid_count)
            memcpy(nk, e->kids, e->kid_count * sizeof(*nk));
        e->kids = nk;
        *cap = nc;
    }
    e->kids[e->kid_count++] = k;
    return true;
}

static bool is_currency_tok(const dn__token *t)
{
    /* `3 AND x` is a typo of `and`, not three units of a currency called AND */
    return t->kind == TK_IDENT && !t->newline_before && t->text_len == 3 &&
           dn__lang_currency_code_ok(t->text, 3) && memcmp(t->text, "AND", 3) != 0 &&
           memcmp(t->text, "NOT", 3) != 0;
}

static dn__expr *parse_primary(parser *p)
{
    dn__token t = p->cur;
    dn__expr *e = NULL;
    switch (t.kind) {
    case TK_NUMBER:
        next(p);
        if (is_currency_tok(&p->cur)) {
            e = new_expr(p, E_CONST, &t.sp);
            if (!e)
                return NULL;
            e->is_money = true;
            e->num = t.num;
            e->name = p->cur.text;
            e->name_len = 3;
            e->type = T_MONEY;
            e->val.type = T_MONEY;
            span_to(&e->sp, &p->cur.sp);
            next(p);
            return e;
        }
        e = new_expr(p, E_CONST, &t.sp);
        if (!e)
            return NULL;
        e->num = t.num;
        e->name = t.text; /* the literal's digits (integer check for scores) */
        e->type = T_NUMBER;
        e->val.type = T_NUMBER;
        e->val.v.d = t.num;
        return e;
    case TK_DURATION:
        next(p);
        e = new_expr(p, E_CONST, &t.sp);
        if (!e)
            return NULL;
        e->type = T_DURATION;
        e->val.type = T_DURATION;
        e->val.v.i = t.ival;
        return e;
    case TK_STRING:
        next(p);
        e = new_expr(p, E_CONST, &t.sp);
        if (!e)
            return NULL;
        e->type = T_STRING;
        e->val.type = T_STRING;
        e->val.v.s.ptr = t.text;
        e->val.v.s.len = t.text_len;
        return e;
    case TK_REGEX:
        next(p);
        e = new_expr(p, E_REGEX, &t.sp);
        if (!e)
            return NULL;
        e->name = t.text;
        e->name_len = t.text_len;
        memcpy(e->flags, t.flags, sizeof(e->flags));
        e->type = T_REGEX;
        return e;
    case TK_PARAM:
        next(p);
        e = new_expr(p, E_PARAM, &t.sp);
        if (!e)
            return NULL;
        e->name = t.text;
        e->name_len = t.text_len;
        return e;
    case TK_LBRACK: {
        next(p);
        e = new_expr(p, E_LIST, &t.sp);
        if (!e)
            return NULL;
        uint32_t cap = 0;
        if (p->cur.kind != TK_RBRACK) {
            for (;;) {
                dn__expr *k = parse_expr(p);
                if (!k || !add_kid(p, e, k, &cap))
                    return NULL;
                if (p->cur.kind != TK_COMMA)
                    break;
                next(p);
            }
        }
        if (p->cur.kind != TK_RBRACK) {
            expected(p, "',' or ']' in a list", NULL);
            return NULL;
        }
        span_to(&e->sp, &p->cur.sp);
        next(p);
        return e;
    }
    case TK_LPAREN: {
        next(p);
        e = parse_expr(p);
        if (!e)
            return NULL;
        if (p->cur.kind != TK_RPAREN) {
            expected(p, "')'", NULL);
            return NULL;
        }
        /* the parenthesised span includes the parentheses for because strings */
        dn__span sp = t.sp;
        span_to(&sp, &p->cur.sp);
        e->sp = sp;
        next(p);
        return e;
    }
    case TK_IDENT: {
        next(p);
        if (is_kw(&t, "true") || is_kw(&t, "false")) {
            e = new_expr(p, E_CONST, &t.sp);
            if (!e)
                return NULL;
            e->type = T_BOOL;
            e->val.type = T_BOOL;
            e->val.v.b = is_kw(&t, "true");
            return e;
        }
        if (t.text_len > 6 && memcmp(t.text, "attrs.", 6) == 0) {
            e = new_expr(p, E_ATTR, &t.sp);
            if (!e)
                return NULL;
            e->name = t.text + 6;
            e->name_len = t.text_len - 6;
            e->type = T_DYN;
            return e;
        }
        if (p->cur.kind == TK_LPAREN && !p->cur.newline_before) {
            e = new_expr(p, E_CALL, &t.sp);
            if (!e)
                return NULL;
            e->name = t.text;
            e->name_len = t.text_len;
            next(p);
            uint32_t cap = 0;
            if (p->cur.kind != TK_RPAREN) {
                for (;;) {
                    if (is_kw(&p->cur, "where")) {
                        next(p);
                        dn__expr *w = parse_expr(p);
                        if (!w)
                            return NULL;
                        e->where = w;
                    } else {
                        dn__expr *k = parse_expr(p);
                        if (!k || !add_kid(p, e, k, &cap))
                            return NULL;
                    }
                    if (p->cur.kind != TK_COMMA)
                        break;
                    next(p);
                }
            }
            if (p->cur.kind != TK_RPAREN) {
                expected(p, "',' or ')' after a function argument", NULL);
                return NULL;
            }
            span_to(&e->sp, &p->cur.sp);
            next(p);
            return e;
        }
        e = new_expr(p, E_NAME, &t.sp);
        if (!e)
            return NULL;
        e->name = t.text;
        e->name_len = t.text_len;
        return e;
    }
    default:
        expected(p, "a value (number, money, duration, string, list, field, $param or function)",
                 NULL);
        return NULL;
    }
}

static dn__expr *parse_unary(parser *p)
{
    if (p->cur.kind == TK_MINUS) {
        dn__token t = p->cur;
        next(p);
        if (!enter(p))
            return NULL;
        dn__expr *k = parse_unary(p);
        p->depth--;
        if (!k)
            return NULL;
        dn__expr *e = new_expr(p, E_UNARY, &t.sp);
        if (!e)
            return NULL;
        e->op = TK_MINUS;
        span_to(&e->sp, &k->sp);
        e->kids = dn__arena_alloc(p->a, sizeof(*e->kids));
        if (!e->kids) {
            p->err = DN_ENOMEM;
            return NULL;
        }
        e->kids[0] = k;
        e->kid_count = 1;
        return e;
    }
    return parse_primary(p);
}

static dn__expr *binary(parser *p, dn__expr_kind k, int op, const dn__span *op_sp, dn__expr *l,
                        dn__expr *r)
{
    dn__expr *e = new_expr(p, k, &l->sp);
    if (!e)
        return NULL;
    e->op = op;
    e->op_sp = *op_sp;
    span_to(&e->sp, &r->sp);
    e->kids = dn__arena_alloc(p->a, 2 * sizeof(*e->kids));
    if (!e->kids) {
        p->err = DN_ENOMEM;
        return NULL;
    }
    e->kids[0] = l;
    e->kids[1] = r;
    e->kid_count = 2;
    return e;
}

/* One left-associative level of binary operators (k1 or k2) over operands parsed by sub. A
 * left-deep chain nests one level per operator. */
static dn__expr *parse_left_assoc(parser *p, dn__expr *(*sub)(parser *), dn__tok_kind k1,
                                  dn__tok_kind k2)
{
    dn__expr *l = sub(p);
    int levels = 0;
    while (l && (p->cur.kind == k1 || p->cur.kind == k2)) {
        dn__token op = p->cur;
        next(p);
        if (!enter(p))
            return NULL;
        levels++;
        dn__expr *r = sub(p);
        if (!r)
            return NULL;
        l = binary(p, E_BINARY, op.kind, &op.sp, l, r);
    }
    p->depth -= levels;
    return l;
}

static dn__expr *parse_mul(parser *p)
{
    return parse_left_assoc(p, parse_unary, TK_STAR, TK_SLASH);
}

static dn__expr *parse_add(parser *p)
{
    return parse_left_assoc(p, parse_mul, TK_PLUS, TK_MINUS);
}

static dn__expr *parse_cmp(parser *p)
{
    dn__expr *l = parse_add(p);
    if (!l)
        return NULL;
    dn__tok_kind k = p->cur.kind;
    bool is_in = is_kw(&p->cur, "in");
    bool is_not_in = is_kw(&p->cur, "not") && is_kw(&p->nxt, "in");
    if (k == TK_EQ || k == TK_NE || k == TK_LT || k == TK_LE || k == TK_GT || k == TK_GE ||
        k == TK_MATCH || k == TK_NOMATCH || is_in || is_not_in) {
        dn__token op = p->cur;
        next(p);
        if (is_not_in) {
            span_to(&op.sp, &p->cur.sp);
            next(p);
        }
        dn__expr *r = parse_add(p);
        if (!r)
            return NULL;
        dn__expr *e = binary(p, E_BINARY, (is_in || is_not_in) ? TK_IDENT : (int)k, &op.sp, l, r);
        if (e)
            e->is_not = is_not_in;
        return e;
    }
    return l;
}

static dn__expr *parse_not(parser *p)
{
    if (is_kw(&p->cur, "not")) {
        dn__token t = p->cur;
        next(p);
        if (!enter(p))
            return NULL;
        dn__expr *k = parse_not(p);
        p->depth--;
        if (!k)
            return NULL;
        dn__expr *e = new_expr(p, E_NOT, &t.sp);
        if (!e)
            return NULL;
        span_to(&e->sp, &k->sp);
        e->kids = dn__arena_alloc(p->a, sizeof(*e->kids));
        if (!e->kids) {
            p->err = DN_ENOMEM;
            return NULL;
        }
        e->kids[0] = k;
        e->kid_count = 1;
        return e;
    }
    return parse_cmp(p);
}

/* A left-deep chain of `and` or `or` (keyword kw, node kind) over operands parsed by sub; the
 * nesting depth grows one level per operator. */
static dn__expr *parse_kw_chain(parser *p, dn__expr *(*sub)(parser *), const char *kw,
                                dn__expr_kind kind)
{
    dn__expr *l = sub(p);
    int levels = 0;
    while (l && is_kw(&p->cur, kw)) {
        dn__token op = p->cur;
        next(p);
        if (!enter(p))
            return NULL;
        levels++;
        dn__expr *r = sub(p);
        if (!r)
            return NULL;
        l = binary(p, kind, 0, &op.sp, l, r);
    }
    p->depth -= levels;
    return l;
}

static dn__expr *parse_and(parser *p)
{
    return parse_kw_chain(p, parse_not, "and", E_AND);
}

static dn__expr *parse_expr(parser *p)
{
    if (p->err)
        return NULL;
    if (!enter(p))
        return NULL;
    dn__expr *r = parse_or(p);
    p->depth--;
    return r;
}

static dn__expr *parse_or(parser *p)
{
    return parse_kw_chain(p, parse_and, "or", E_OR);
}

static dn__item *new_item(parser *p, dn__item_kind k, const dn__span *sp)
{
    dn__item *it = dn__arena_calloc(p->a, sizeof(*it));
    if (!it) {
        p->err = DN_ENOMEM;
        return NULL;
    }
    it->kind = k;
    it->sp = *sp;
    return it;
}

/* NAME after a keyword; false (and diagnosed) when missing. */
static bool take_name(parser *p, dn__item *it, const char *what)
{
    if (p->cur.kind != TK_IDENT) {
        expected(p, what, NULL);
        return false;
    }
    it->name = p->cur.text;
    it->name_sp = p->cur.sp;
    next(p);
    return true;
}

static void parse_block(parser *p, dn__item *it)
{
    if (!take_name(p, it,
                   it->kind == I_RULE ? "a rule id after 'rule'"
                                      : "a typology name after 'typology'"))
        return;
    if (p->cur.kind != TK_STRING) {
        expected(p, "a description string after the name", "write rule NAME \"what it detects\" {");
        return;
    }
    it->text = p->cur.text;
    next(p);
    if (p->cur.kind != TK_LBRACE) {
        expected(p, "'{'", NULL);
        return;
    }
    next(p);
    dn__clause **tail = &it->clauses;
    while (!p->err && p->cur.kind != TK_RBRACE) {
        if (p->cur.kind != TK_IDENT ||
            (is_top_kw(&p->cur) && p->cur.newline_before && !is_kw(&p->cur, "rules"))) {
            bool is_end = p->cur.kind == TK_EOF || p->cur.kind == TK_IDENT;
            expected(p, is_end ? "'}' to close the block" : "a clause name", NULL);
            return;
        }
        dn__clause *c = dn__arena_calloc(p->a, sizeof(*c));
        if (!c) {
            p->err = DN_ENOMEM;
            return;
        }
        c->name = p->cur.text;
        c->sp = p->cur.sp;
        next(p);
        uint32_t cap = 0;
        dn__expr holder = {0};
        for (;;) {
            dn__expr *e = parse_expr(p);
            if (!e)
                return;
            if (!add_kid(p, &holder, e, &cap))
                return;
            if (p->cur.kind != TK_COMMA)
                break;
            next(p);
        }
        c->args = holder.kids;
        c->arg_count = holder.kid_count;
        *tail = c;
        tail = &c->next;
    }
    if (p->cur.kind == TK_RBRACE)
        next(p);
}

int dn__lang_parse_file(const dn__src *src, dn__arena *a, dn_diags *d, dn__item ***tail)
{
    parser p;
    memset(&p, 0, sizeof(p));
    p.a = a;
    p.d = d;
    dn__lang_lexer_init(&p.lx, src, a, d);
    dn__lang_lexer_next(&p.lx, &p.nxt);
    next(&p);
    p.cur.newline_before = true;
    while (!p.err && p.cur.kind != TK_EOF) {
        if (p.panic) {
            /* recover: skip to a top-level keyword that starts a line */
            while (p.cur.kind != TK_EOF && !(is_top_kw(&p.cur) && p.cur.newline_before))
                next(&p);
            p.panic = false;
            if (p.cur.kind == TK_EOF)
                break;
        }
        dn__token kw = p.cur;
        dn__item *it = NULL;
        if (is_kw(&kw, "version")) {
            next(&p);
            it = new_item(&p, I_VERSION, &kw.sp);
            if (!it)
                break;
            if (p.cur.kind != TK_STRING) {
                expected(&p, "a quoted version after 'version'", "write version \"2026.11\"");
                continue;
            }
            it->text = p.cur.text;
            it->name_sp = p.cur.sp;
            next(&p);
        } else if (is_kw(&kw, "base")) {
            next(&p);
            it = new_item(&p, I_BASE, &kw.sp);
            if (!it)
                break;
            if (p.cur.kind != TK_IDENT) {
                expected(&p, "a currency code after 'base'", "write base EUR");
                continue;
            }
            it->text = p.cur.text;
            it->name_sp = p.cur.sp;
            next(&p);
        } else if (is_kw(&kw, "memory")) {
            next(&p);
            it = new_item(&p, I_MEMORY, &kw.sp);
            if (!it)
                break;
            if (!is_kw(&p.cur, "counterparty")) {
                expected(&p, "'counterparty' after 'memory'", "write memory counterparty 90d");
                continue;
            }
            next(&p);
            it->value = parse_expr(&p);
            if (!it->value)
                continue;
        } else if (is_kw(&kw, "param")) {
            next(&p);
            it = new_item(&p, I_PARAM, &kw.sp);
            if (!it || !take_name(&p, it, "a parameter name after 'param'"))
                continue;
            if (p.cur.kind != TK_ASSIGN) {
                expected(&p, "'=' after the parameter name", NULL);
                continue;
            }
            next(&p);
            it->value = parse_expr(&p);
            if (!it->value)
                continue;
        } else if (is_kw(&kw, "list")) {
            next(&p);
            it = new_item(&p, I_LIST, &kw.sp);
            if (!it || !take_name(&p, it, "a list name after 'list'"))
                continue;
            if (!is_kw(&p.cur, "from")) {
                expected(&p, "'from' after the list name", "write list NAME from \"file.txt\"");
                continue;
            }
            next(&p);
            if (p.cur.kind != TK_STRING) {
                expected(&p, "a quoted file name after 'from'", NULL);
                continue;
            }
            it->text = p.cur.text;
            it->value = new_expr(&p, E_CONST, &p.cur.sp); /* span of the path */
            next(&p);
        } else if (is_kw(&kw, "rule") || is_kw(&kw, "typology")) {
            next(&p);
            it = new_item(&p, is_kw(&kw, "rule") ? I_RULE : I_TYPOLOGY, &kw.sp);
            if (!it)
                break;
            parse_block(&p, it);
            if (p.panic) {
                it->is_broken = true;
                if (it->name) {
                    **tail = it;
                    *tail = &it->next;
                }
                continue;
            }
        } else {
            expected(&p, "'version', 'base', 'memory', 'param', 'list', 'rule' or 'typology'",
                     NULL);
            continue;
        }
        if (p.err || p.panic || !it)
            continue;
        /* an item ends at the end of its line or block */
        **tail = it;
        *tail = &it->next;
        if (p.cur.kind != TK_EOF && !p.cur.newline_before && it->kind != I_RULE &&
            it->kind != I_TYPOLOGY) {
            expected(&p, "the end of the line", NULL);
        }
    }
    return p.err ? p.err : (p.lx.err ? p.lx.err : 0);
}
