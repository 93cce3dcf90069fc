/*
 * fold.c - constant folding, value arithmetic (shared with the VM) and cost-based reordering.
 *
 * Folding happens bottom-up as the checker types each node: a unary minus, an arithmetic node or
 * abs()/len() whose operands are all constants becomes a constant. Params were already replaced
 * by their folded values and money literals converted to base minor units, so
 * `$mule.out_ratio * 2000 EUR` is one constant in the program.
 *
 * Arithmetic semantics (dn__lang_value_arith): money, duration and time are int64; numbers double;
 * money*number and money/number round half away from zero; division by zero or an int64
 * overflow makes the result missing (so the comparison reading it is false).
 *
 * Reordering: the operands of a chain of `and` are stably sorted by estimated cost (field
 * comparisons, then functions over entity state, then regexes) since every expression is free of
 * side effects; short-circuit then skips the expensive ones. `or` keeps its order.
 */
#include "lang/ast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool d2i(double d, int64_t *out)
{
    if (!isfinite(d) || d >= 9.2e18 || d <= -9.2e18)
        return false;
    *out = (int64_t)llround(d);
    return true;
}

bool dn__lang_value_arith(int op, const dn__value *l, const dn__value *r, dn__value *out)
{
    memset(out, 0, sizeof(*out));
    if (l->is_missing || (r && r->is_missing))
        return false;
    dn__type lt = (dn__type)l->type, rt = r ? (dn__type)r->type : T_ERROR;
    if (!r) { /* unary minus */
        out->type = l->type;
        if (lt == T_NUMBER)
            out->v.d = -l->v.d;
        else if (l->v.i == INT64_MIN)
            return false;
        else
            out->v.i = -l->v.i;
        return true;
    }
    bool ok = true;
    switch (op) {
    case TK_PLUS:
    case TK_MINUS:
        if (lt == T_NUMBER) {
            out->type = T_NUMBER;
            out->v.d = op == TK_PLUS ? l->v.d + r->v.d : l->v.d - r->v.d;
            break;
        }
        out->type = (lt == T_TIME && rt == T_TIME)   ? T_DURATION
                    : (lt == T_TIME || rt == T_TIME) ? T_TIME
                                                     : lt;
        ok = op == TK_PLUS ? !__builtin_add_overflow(l->v.i, r->v.i, &out->v.i)
                           : !__builtin_sub_overflow(l->v.i, r->v.i, &out->v.i);
        break;
    case TK_STAR:
        if (lt == T_NUMBER && rt == T_NUMBER) {
            out->type = T_NUMBER;
            out->v.d = l->v.d * r->v.d;
        } else {
            const dn__value *iv = lt == T_NUMBER ? r : l, *dv = lt == T_NUMBER ? l : r;
            out->type = iv->type;
            ok = d2i((double)iv->v.i * dv->v.d, &out->v.i);
        }
        break;
    case TK_SLASH:
        if (lt == T_NUMBER) {
            out->type = T_NUMBER;
            ok = r->v.d != 0;
            out->v.d = ok ? l->v.d / r->v.d : 0;
        } else if (rt == T_NUMBER) {
            out->type = lt;
            ok = r->v.d != 0 && d2i((double)l->v.i / r->v.d, &out->v.i);
        } else {
            out->type = T_NUMBER;
            ok = r->v.i != 0;
            out->v.d = ok ? (double)l->v.i / (double)r->v.i : 0;
        }
        break;
    default:
        ok = false;
    }
    if (ok && out->type == T_NUMBER && !isfinite(out->v.d))
        ok = false;
    return ok;
}

int dn__lang_expr_cost(const dn__expr *e)
{
    int c = 0;
    switch (e->kind) {
    case E_CONST:
    case E_SET:
    case E_REGEX:
        return 0;
    case E_FIELD:
    case E_ATTR:
        return 1;
    case E_CALL:
        c = e->op <= FN_PAIR_MAX || e->op == FN_HITS ? 20 : 2;
        break;
    case E_BINARY:
        /* `field ~ /re/` on an event field goes first: its regex is in the field's prefilter,
         * which rules it out for nearly every event without reading the field or running PCRE2
         * (a rule that opens with it is skipped whole, vm.c) */
        if (e->op == TK_MATCH && e->kids[0]->kind == E_FIELD)
            return 0;
        c = (e->op == TK_MATCH || e->op == TK_NOMATCH) ? 100 : 1;
        break;
    default:
        c = 1;
    }
    for (uint32_t i = 0; i < e->kid_count; i++)
        c += dn__lang_expr_cost(e->kids[i]);
    return c;
}

static uint32_t count_and(const dn__expr *e)
{
    return e->kind == E_AND ? count_and(e->kids[0]) + count_and(e->kids[1]) : 1;
}

static void flatten_and(dn__expr *e, dn__expr **out, uint32_t *n)
{
    if (e->kind == E_AND) {
        flatten_and(e->kids[0], out, n);
        flatten_and(e->kids[1], out, n);
    } else {
        out[(*n)++] = e;
    }
}

static void reorder_and(dn__compiler *c, dn__expr *e)
{
    dn__expr *ops[64];
    uint32_t n = 0;
    if (count_and(e) > 64)
        return; /* a very long chain keeps its written order */
    flatten_and(e, ops, &n);
    int costs[64];
    for (uint32_t i = 0; i < n; i++)
        costs[i] = dn__lang_expr_cost(ops[i]);
    for (uint32_t i = 1; i < n; i++) { /* stable insertion sort */
        dn__expr *x = ops[i];
        int cx = costs[i];
        uint32_t j = i;
        while (j > 0 && costs[j - 1] > cx) {
            ops[j] = ops[j - 1];
            costs[j] = costs[j - 1];
            j--;
        }
        ops[j] = x;
        costs[j] = cx;
    }
    /* rebuild left-associated: (((o0 and o1) and o2) ...), reusing e as the root */
    dn__expr *acc = ops[0];
    for (uint32_t i = 1; i + 1 < n; i++) {
        dn__expr *a = dn__arena_calloc(c->a, sizeof(*a));
        dn__expr **k = dn__arena_alloc(c->a, 2 * sizeof(*k));
        if (!a || !k) {
            c->err = DN_ENOMEM;
            return;
        }
        *a = *e;
        a->kids = k;
        a->kids[0] = acc;
        a->kids[1] = ops[i];
        acc = a;
    }
    e->kids[0] = acc;
    e->kids[1] = ops[n - 1];
}

void dn__lang_fold(dn__compiler *c, dn__expr *e)
{
    if (e->kind == E_AND && e->type == T_BOOL) {
        reorder_and(c, e);
        return;
    }
    if (e->kind == E_UNARY && e->kids[0]->kind == E_CONST) {
        dn__value v;
        if (dn__lang_value_arith(TK_MINUS, &e->kids[0]->val, NULL, &v)) {
            e->kind = E_CONST;
            e->val = v;
            e->kid_count = 0;
        }
        return;
    }
    if (e->kind == E_BINARY && e->kid_count == 2 && e->kids[0]->kind == E_CONST &&
        e->kids[1]->kind == E_CONST &&
        (e->op == TK_PLUS || e->op == TK_MINUS || e->op == TK_STAR || e->op == TK_SLASH)) {
        dn__value v;
        if (dn__lang_value_arith(e->op, &e->kids[0]->val, &e->kids[1]->val, &v)) {
            e->kind = E_CONST;
            e->val = v;
            e->kid_count = 0;
        }
        return;
    }
    if (e->kind == E_CALL && e->kid_count == 1 && e->kids[0]->kind == E_CONST) {
        const dn__value *a = &e->kids[0]->val;
        dn__value v = {.type = (uint8_t)e->type};
        if (e->op == FN_LEN) {
            v.v.d = a->v.s.len;
        } else if (e->op == FN_ABS) {
            if (a->type == T_NUMBER)
                v.v.d = fabs(a->v.d);
            else if (a->v.i == INT64_MIN)
                return;
            else
                v.v.i = a->v.i < 0 ? -a->v.i : a->v.i;
        } else {
            return;
        }
        e->kind = E_CONST;
        e->val = v;
        e->kid_count = 0;
    }
}
