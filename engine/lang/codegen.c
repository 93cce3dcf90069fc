/*
 * codegen.c - typed, folded expression tree to a flat stack-machine program (opcodes.h).
 *
 * `and` / `or` short-circuit with JF / JT whose targets are backpatched; `or` and `not` bracket
 * their left side / operand with MARK/RESET so that only comparisons on the path that made the
 * condition true stay as witnesses. A bool that is used as a condition but is not itself a
 * comparison (new_counterparty, remote_access, a bool param) gets a TEST so that it is explained
 * too ("new_counterparty = true"). The stack depth is tracked to size the scratch.
 *
 * Everything is allocated in the rule set's arena; programs are immutable after codegen.
 */
#include "lang/ast.h"
#include "lang/opcodes.h"

#include <string.h>

typedef struct gen {
    dn__compiler *c;
    dn__program *p;
    uint32_t cap, const_cap, site_cap;
    uint32_t depth;
    bool witness;
} gen;

/* An arena array of len elements with room for one more (capacity *cap, doubling from first):
 * arr itself, or a larger copy (the old block stays in the arena until the rule set is freed).
 * NULL and err set when the arena is out of memory. */
static void *grow(gen *g, void *arr, uint32_t len, uint32_t *cap, size_t elem, uint32_t first)
{
    if (len < *cap)
        return arr;
    uint32_t nc = *cap ? *cap * 2 : first;
    void *n = dn__arena_alloc(g->c->a, nc * elem);
    if (!n) {
        g->c->err = DN_ENOMEM;
        return NULL;
    }
    if (len)
        memcpy(n, arr, len * elem);
    *cap = nc;
    return n;
}

static uint32_t emit(gen *g, uint8_t op, uint8_t a, uint16_t c, uint32_t b, int delta)
{
    dn__program *p = g->p;
    void *code = grow(g, p->code, p->len, &g->cap, sizeof(*p->code), 32);
    if (!code)
        return 0;
    p->code = code;
    p->code[p->len] = (dn__insn){op, a, c, b};
    g->depth = (uint32_t)((int)g->depth + delta);
    if (g->depth > p->max_stack)
        p->max_stack = g->depth;
    return p->len++;
}

static uint32_t add_const(gen *g, const dn__value *v)
{
    dn__program *p = g->p;
    void *consts = grow(g, p->consts, p->const_count, &g->const_cap, sizeof(*p->consts), 8);
    if (!consts)
        return 0;
    p->consts = consts;
    p->consts[p->const_count] = *v;
    return p->const_count++;
}

static const char *span_text(gen *g, const dn__span *sp)
{
    char *s = dn__arena_strndup(g->c->a, sp->src->text + sp->off, sp->len);
    if (!s)
        g->c->err = DN_ENOMEM;
    return s;
}

/* Text with every run of blanks and newlines written as one space (what a because string
 * shows), made once here rather than on every hit. */
static const char *flat(gen *g, const char *in, size_t len)
{
    char *s = dn__arena_alloc(g->c->a, len + 1);
    if (!s) {
        g->c->err = DN_ENOMEM;
        return NULL;
    }
    size_t n = 0;
    bool blank = false;
    for (size_t i = 0; i < len; i++) {
        char ch = in[i];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
            blank = true;
            continue;
        }
        if (blank)
            s[n++] = ' ';
        blank = false;
        s[n++] = ch;
    }
    s[n] = '\0';
    return s;
}

static const char *flat_text(gen *g, const dn__span *sp)
{
    return flat(g, sp->src->text + sp->off, sp->len);
}

static uint16_t add_site(gen *g, const dn__expr *e, const dn__expr *left, const char *op,
                         const char *right)
{
    /* sites are kept for filters too (the disassembler shows them); only rule programs record
     * witnesses */
    dn__program *p = g->p;
    if (p->site_count == 65535)
        return 0;
    void *sites = grow(g, p->sites, p->site_count, &g->site_cap, sizeof(*p->sites), 8);
    if (!sites)
        return 0;
    p->sites = sites;
    dn__site *s = &p->sites[p->site_count];
    memset(s, 0, sizeof(*s));
    s->left_text = flat_text(g, left ? &left->sp : &e->sp);
    s->op_text = op;
    s->right_text = right ? flat(g, right, strlen(right)) : NULL;
    s->off = e->sp.off;
    return (uint16_t)p->site_count++;
}

static void gen_expr(gen *g, dn__expr *e);

static bool is_condition_node(const dn__expr *e)
{
    if (e->kind == E_AND || e->kind == E_OR || e->kind == E_NOT)
        return true;
    if (e->kind != E_BINARY)
        return false;
    return e->op != TK_PLUS && e->op != TK_MINUS && e->op != TK_STAR && e->op != TK_SLASH;
}

/* A single comparison over non-bool operands: it records a witness only when it is true. */
static bool is_leaf_condition(const dn__expr *e)
{
    return e->kind == E_BINARY && is_condition_node(e) && e->kids[0]->type != T_BOOL &&
           e->kids[1]->type != T_BOOL;
}

/* Does e, when false, leave no witness behind? A leaf does not; an `or` does not when its right
 * side does not (its left side's were dropped before the right side ran). */
static bool is_clean_when_false(const dn__expr *e)
{
    if (is_leaf_condition(e))
        return true;
    return e->kind == E_OR && is_clean_when_false(e->kids[1]);
}

/* A bool in a condition position. */
static void gen_cond(gen *g, dn__expr *e)
{
    gen_expr(g, e);
    if (!is_condition_node(e)) {
        uint16_t s = add_site(g, e, NULL, "=", NULL);
        if (!g->c->err)
            g->p->sites[s].is_bare = true;
        emit(g, OP_TEST, 0, s, 0, 0);
    }
}

static void gen_expr(gen *g, dn__expr *e)
{
    if (g->c->err)
        return;
    dn_ruleset *rs = g->c->rs;
    switch (e->kind) {
    case E_CONST:
        emit(g, OP_CONST, 0, 0, add_const(g, &e->val), 1);
        return;
    case E_FIELD:
        emit(g, OP_FIELD, 0, 0, (uint32_t)e->ival, 1);
        return;
    case E_ATTR: {
        char *k = dn__arena_strndup(g->c->a, e->name, e->name_len);
        if (!k) {
            g->c->err = DN_ENOMEM;
            return;
        }
        dn__value v = {.type = T_STRING, .v.s = {k, e->name_len}};
        emit(g, OP_ATTR, 0, 0, add_const(g, &v), 1);
        return;
    }
    case E_CALL:
        switch (e->op) {
        case FN_COUNT:
        case FN_SUM:
        case FN_AVG:
        case FN_MAX:
        case FN_MIN:
        case FN_DISTINCT:
        case FN_PAIR_COUNT:
        case FN_PAIR_SUM:
        case FN_PAIR_MAX:
            g->p->has_state = true;
            emit(g, OP_AGG, (uint8_t)e->type, 0, (uint32_t)e->ival, 1);
            return;
        case FN_NEWCP:
            g->p->has_state = true;
            emit(g, OP_NEWCP, 0, 0, 0, 1);
            return;
        case FN_AGE:
            g->p->has_state = true;
            emit(g, OP_AGE, 0, 0, 0, 1);
            return;
        case FN_FIRST_SEEN:
            g->p->has_state = true;
            emit(g, OP_FIRST_SEEN, 0, 0, 0, 1);
            return;
        case FN_SINCE_LAST:
            g->p->has_state = true;
            emit(g, OP_SINCE_LAST, (uint8_t)e->ival, 0, 0, 1);
            return;
        case FN_HITS: {
            g->p->has_state = true;
            dn__value w = {.type = T_DURATION, .v.i = (int64_t)e->num};
            emit(g, OP_HITS, 0, (uint16_t)add_const(g, &w), (uint32_t)e->ival, 1);
            return;
        }
        case FN_NOW:
            emit(g, OP_NOW, 0, 0, 0, 1);
            return;
        default:
            gen_expr(g, e->kids[0]);
            emit(g, OP_CALL, (uint8_t)e->op, 0, 0, 0);
            return;
        }
    case E_UNARY:
        gen_expr(g, e->kids[0]);
        emit(g, OP_NEG, 0, 0, 0, 0);
        return;
    case E_BINARY: {
        dn__expr *l = e->kids[0], *r = e->kids[1];
        switch (e->op) {
        case TK_PLUS:
        case TK_MINUS:
        case TK_STAR:
        case TK_SLASH:
            gen_expr(g, l);
            gen_expr(g, r);
            emit(g,
                 e->op == TK_PLUS    ? OP_ADD
                 : e->op == TK_MINUS ? OP_SUB
                 : e->op == TK_STAR  ? OP_MUL
                                     : OP_DIV,
                 0, 0, 0, -1);
            return;
        case TK_IDENT: { /* in, not in */
            bool is_fused = l->kind == E_FIELD && l->ival >= 0 && l->ival < 256 &&
                            (uint64_t)r->ival < (1u << 24);
            if (!is_fused)
                gen_expr(g, l);
            /* the right side as written: `$scam.hotspots` or the literal list */
            const char *rt = span_text(g, &r->sp);
            uint16_t s = add_site(g, e, l, e->is_not ? "not in" : "in", rt);
            if (is_fused)
                emit(g, OP_INF, e->is_not, s, (uint32_t)r->ival | (uint32_t)l->ival << 24, 1);
            else
                emit(g, OP_IN, e->is_not, s, (uint32_t)r->ival, 0);
            return;
        }
        case TK_MATCH:
        case TK_NOMATCH: {
            gen_expr(g, l);
            const dn__regex *re = &rs->regexes[r->ival];
            uint16_t s = add_site(g, e, l, dn__lang_op_text(e->op), re->src_text);
            emit(g, OP_MATCH, e->op == TK_NOMATCH, s, (uint32_t)r->ival, 0);
            return;
        }
        default: {
            if (l->kind == E_FIELD && r->kind == E_CONST && l->ival >= 0 && l->ival < 256) {
                /* the commonest comparison, `field op constant`, in one instruction */
                uint32_t k = add_const(g, &r->val);
                uint16_t s = add_site(g, e, l, dn__lang_op_text(e->op), NULL);
                dn_event_type t;
                if (k < (1u << 24) && l->ival == F_TYPE && r->val.type == T_STRING &&
                    (e->op == TK_EQ || e->op == TK_NE) &&
                    dn_event_type_parse(r->val.v.s.ptr, r->val.v.s.len, &t) == 0) {
                    emit(g, OP_TYPEIS, (uint8_t)e->op, s, (uint32_t)t | k << 8, 1);
                    return;
                }
                if (k < (1u << 24)) {
                    emit(g, OP_CMPFC, (uint8_t)e->op, s, (uint32_t)l->ival | k << 8, 1);
                    return;
                }
                emit(g, OP_FIELD, 0, 0, (uint32_t)l->ival, 1);
                emit(g, OP_CONST, 0, 0, k, 1);
                emit(g, OP_CMP, (uint8_t)e->op, s, 0, -1);
                return;
            }
            gen_expr(g, l);
            if (r->kind == E_CONST) {
                /* `expression op constant`: the constant is an operand, not a push */
                uint32_t k = add_const(g, &r->val);
                uint16_t s = add_site(g, e, l, dn__lang_op_text(e->op), NULL);
                emit(g, OP_CMPC, (uint8_t)e->op, s, k, 0);
                return;
            }
            gen_expr(g, r);
            uint16_t s = add_site(g, e, l, dn__lang_op_text(e->op), NULL);
            emit(g, OP_CMP, (uint8_t)e->op, s, 0, -1);
            return;
        }
        }
    }
    case E_AND: {
        gen_cond(g, e->kids[0]);
        uint32_t j = emit(g, OP_JF, 0, 0, 0, -1);
        gen_cond(g, e->kids[1]);
        if (!g->c->err)
            g->p->code[j].b = g->p->len;
        return;
    }
    case E_OR: {
        /* MARK/RESET drop what a false left side witnessed; a left side that leaves nothing
         * when false needs neither (a chain `a or b or c` of comparisons has none) */
        bool is_marked = g->witness && !is_clean_when_false(e->kids[0]);
        uint8_t m = (uint8_t)g->p->mark_count;
        if (is_marked && g->p->mark_count < 255)
            g->p->mark_count++;
        if (is_marked)
            emit(g, OP_MARK, m, 0, 0, 0);
        gen_cond(g, e->kids[0]);
        uint32_t j = emit(g, OP_JT, 0, 0, 0, -1);
        if (is_marked)
            emit(g, OP_RESET, m, 0, 0, 0);
        gen_cond(g, e->kids[1]);
        if (!g->c->err)
            g->p->code[j].b = g->p->len;
        return;
    }
    case E_NOT: {
        /* MARK/RESET drop what the operand witnessed; a single comparison over non-bool
         * operands witnesses only when it is true, and then the `not` is false, and whatever
         * consumes a false (and, or, not, the end of the rule) drops or ignores it already */
        bool is_marked = g->witness && !is_leaf_condition(e->kids[0]);
        uint8_t m = (uint8_t)g->p->mark_count;
        if (is_marked && g->p->mark_count < 255)
            g->p->mark_count++;
        if (is_marked)
            emit(g, OP_MARK, m, 0, 0, 0);
        gen_cond(g, e->kids[0]);
        if (is_marked)
            emit(g, OP_RESET, m, 0, 0, 0);
        uint16_t s = add_site(g, e, NULL, NULL, NULL);
        if (!g->c->err)
            g->p->sites[s].is_text_only = true;
        emit(g, OP_NOT, 0, s, 0, 0);
        return;
    }
    default:
        g->c->err = DN_EINVAL; /* unresolved node: a checker bug */
        return;
    }
}

/* Jump threading: a JF that lands on a JF (a JT on a JT) leaves the same value on top, so the
 * second jump is taken too; jump straight to where the chain ends. Nested `and`s otherwise fail
 * through one JF per level. A JF that ends on RET returns false itself. */
static void thread_jumps(dn__program *p)
{
    for (uint32_t i = 0; i < p->len; i++) {
        dn__insn *in = &p->code[i];
        if (in->op != OP_JF && in->op != OP_JT)
            continue;
        uint32_t t = in->b;
        for (uint32_t hops = 0; t < p->len && p->code[t].op == in->op && hops < p->len; hops++)
            t = p->code[t].b;
        in->b = t;
        if (in->op == OP_JF && t < p->len && p->code[t].op == OP_RET)
            in->a = 1; /* the jump would only return the false on top: return at once */
    }
}

static bool pushes_condition(uint8_t op)
{
    return op == OP_CMP || op == OP_CMPC || op == OP_CMPFC || op == OP_TYPEIS || op == OP_INF ||
           op == OP_IN || op == OP_MATCH || op == OP_TEST || op == OP_NOT;
}

/* A condition followed by a JF that returns (and that no jump lands on) becomes one instruction
 * with DN__RETF set in a: false returns false at once, true goes on without a value on the
 * stack, exactly what the JF did with it. The JFs go and the jump targets move up. */
static void fuse_return_false(gen *g, dn__program *p)
{
    uint32_t *map = dn__arena_alloc(g->c->a, (p->len + 1) * sizeof(*map));
    bool *is_target = dn__arena_alloc(g->c->a, (p->len + 1) * sizeof(*is_target));
    if (!map || !is_target)
        return; /* unfused is correct too */
    memset(is_target, 0, (p->len + 1) * sizeof(*is_target));
    for (uint32_t i = 0; i < p->len; i++)
        if ((p->code[i].op == OP_JF || p->code[i].op == OP_JT) && p->code[i].b <= p->len)
            is_target[p->code[i].b] = true;
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->len; i++) {
        dn__insn *in = &p->code[i];
        map[i] = n;
        bool is_fused = in->op == OP_JF && in->a == 1 && i > 0 && !is_target[i] &&
                        pushes_condition(p->code[i - 1].op) && !(p->code[i - 1].a & DN__RETF);
        if (is_fused) {
            p->code[n - 1].a |= DN__RETF;
            continue;
        }
        p->code[n++] = *in;
    }
    map[p->len] = n;
    for (uint32_t i = 0; i < n; i++)
        if (p->code[i].op == OP_JF || p->code[i].op == OP_JT)
            p->code[i].b = map[p->code[i].b];
    p->len = n;
}

int dn__lang_codegen(dn__compiler *c, dn__expr *e, bool witness, dn__program *out)
{
    memset(out, 0, sizeof(*out));
    gen g = {.c = c, .p = out, .witness = witness};
    gen_cond(&g, e);
    emit(&g, OP_RET, 0, 0, 0, 0);
    if (!c->err)
        thread_jumps(out);
    if (!c->err)
        fuse_return_false(&g, out);
    out->src_text = span_text(&g, &e->sp);
    return c->err;
}
