/*
 * check.c - the checker: resolves names, types every expression, folds constants (fold.c),
 * validates clauses and builds the per-entity-kind state plans.
 *
 * Passes over the items of every file (already parsed, in file order):
 *   1. settings (`version`, `base`, `memory counterparty`), then the names of params, lists,
 *      rules and typologies (duplicates diagnosed at the second, with a note of the first);
 *   2. params in order (a param may use params declared before it), list files;
 *   3. rules: clauses, the `when` expression (names, types, aggregates into plan slots,
 *      where-filters into filter bits), then `and` reordering by cost;
 *   4. typologies, then the rule -> typology back references and the plans' retention.
 *
 * Type rules (T_DYN is an attrs.<key>, which takes the type of the other operand):
 *   money+-money=money, money*number=number*money=money, money/number=money,
 *   money/money=number, number(+-*\/)number=number, duration+-duration=duration,
 *   duration*number=number*duration=duration, duration/number=duration, time-time=duration,
 *   time+-duration=time, duration+time=time, unary - on number, money, duration.
 *   == != on equal types (bool, number, money, duration, time, string; T_DYN with number,
 *   string or bool); < <= > >= on number, money, duration, time; `in` / `not in`: string or
 *   number on the left, a list of the same element type on the right; `~` / `!~`: string on the
 *   left, a regex literal on the right; and/or/not on bool.
 *
 * Every diagnostic has a stable code; the list is in the report and each has a unit test.
 */
#include "lang/ast.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

const char *const dn__lang_fn_names[FN_COUNT_] = {
    "count",    "sum",        "avg",        "max",      "min",
    "distinct", "pair_count", "pair_sum",   "pair_max", "new_counterparty",
    "age",      "first_seen", "since_last", "hits",     "now",
    "hour",     "year",       "lower",      "len",      "abs"};

const char *const dn__lang_field_names[F_COUNT_] = {
#define DN__FIELD_NAME(id, name, type) name,
    DN__FIELD_MAP(DN__FIELD_NAME)
#undef DN__FIELD_NAME
};
const dn__type dn__lang_field_types[F_COUNT_] = {
#define DN__FIELD_TYPE(id, name, type) type,
    DN__FIELD_MAP(DN__FIELD_TYPE)
#undef DN__FIELD_TYPE
};

const char *dn__lang_type_name(dn__type t)
{
    static const char *const n[] = {"error",
                                    "bool",
                                    "number",
                                    "money",
                                    "duration",
                                    "time",
                                    "string",
                                    "list of strings",
                                    "list of numbers",
                                    "regex",
                                    "attribute",
                                    "direction",
                                    "name"};
    return (unsigned)t < sizeof(n) / sizeof(n[0]) ? n[t] : "?";
}

static void diag(dn__compiler *c, const dn__span *sp, const char *code, const char *hint,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void diag(dn__compiler *c, const dn__span *sp, const char *code, const char *hint,
                 const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (dn__lang_diag_add(c->d, sp, NULL, code, hint, "%s", msg))
        c->err = DN_ENOMEM;
}

static bool name_eq(const char *a, uint32_t alen, const char *b)
{
    return strlen(b) == alen && memcmp(a, b, alen) == 0;
}

static char *xstrdup(dn__compiler *c, const char *s, size_t n)
{
    char *p = dn__arena_strndup(c->a, s, n);
    if (!p)
        c->err = DN_ENOMEM;
    return p;
}

/* The source text of a node (arena copy). */
static const char *src_text(dn__compiler *c, const dn__span *sp)
{
    if (!sp->src)
        return "";
    return xstrdup(c, sp->src->text + sp->off, sp->len);
}

/* ---- plan slots and filters ------------------------------------------------------------- */

static int add_slot(dn__compiler *c, dn__entity_kind k, const dn__agg_spec *s, uint32_t *slot)
{
    dn_ruleset *rs = c->rs;
    dn__state_plan *pl = &rs->plans[k];
    for (uint32_t i = 0; i < pl->agg_count; i++) {
        const dn__agg_spec *o = &rs->aggs[k][i];
        if (o->kind == s->kind && o->dir == s->dir && o->field == s->field &&
            o->window_ms == s->window_ms && o->filter == s->filter) {
            *slot = i;
            return 0;
        }
    }
    if (pl->agg_count == c->agg_cap[k]) {
        uint32_t nc = c->agg_cap[k] ? c->agg_cap[k] * 2 : 16;
        dn__agg_spec *na = dn__arena_alloc(c->a, nc * sizeof(*na));
        if (!na)
            return c->err = DN_ENOMEM;
        if (pl->agg_count)
            memcpy(na, rs->aggs[k], pl->agg_count * sizeof(*na));
        rs->aggs[k] = na;
        c->agg_cap[k] = nc;
    }
    rs->aggs[k][pl->agg_count] = *s;
    *slot = pl->agg_count++;
    pl->aggs = rs->aggs[k];
    return 0;
}

/* Canonical text of a where-expression: its source with runs of blanks collapsed. */
static char *canon(dn__compiler *c, const dn__span *sp)
{
    char *s = dn__arena_alloc(c->a, sp->len + 1);
    if (!s) {
        c->err = DN_ENOMEM;
        return NULL;
    }
    size_t n = 0;
    bool blank = false;
    for (uint32_t i = 0; i < sp->len; i++) {
        char ch = sp->src->text[sp->off + i];
        if (ch == '#') { /* comment inside a multi-line where: skip to the line end */
            while (i < sp->len && sp->src->text[sp->off + i] != '\n')
                i++;
            blank = true;
            continue;
        }
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
            blank = true;
            continue;
        }
        if (blank && n)
            s[n++] = ' ';
        blank = false;
        s[n++] = ch;
    }
    s[n] = '\0';
    return s;
}

static int add_filter(dn__compiler *c, dn__entity_kind k, dn__expr *w)
{
    dn_ruleset *rs = c->rs;
    char *key = canon(c, &w->sp);
    if (!key)
        return -1;
    for (uint32_t i = 0; i < rs->filter_count[k]; i++)
        if (strcmp(rs->filters[k][i].key, key) == 0)
            return (int)i;
    if (rs->filter_count[k] == 64) {
        diag(c, &w->sp, "too_many_filters", "reuse an existing where-expression",
             "more than 64 distinct where-filters for one entity kind");
        return -1;
    }
    if (!rs->filters[k]) {
        rs->filters[k] = dn__arena_calloc(c->a, 64 * sizeof(dn__filter));
        if (!rs->filters[k]) {
            c->err = DN_ENOMEM;
            return -1;
        }
    }
    dn__filter *f = &rs->filters[k][rs->filter_count[k]];
    f->key = key;
    f->expr = w;
    rs->plans[k].filter_count = ++rs->filter_count[k];
    return (int)rs->filter_count[k] - 1;
}

/* ---- expressions ------------------------------------------------------------------------ */

typedef struct ctx {
    bool is_const; /* param values: literals, params and arithmetic only */
    bool is_where; /* where-filters: event fields only */
    bool is_in_rhs;
} ctx;

static dn__type check_expr(dn__compiler *c, dn__expr *e, ctx x);

static bool is_window(const dn__expr *e)
{
    return e->kind == E_CONST && e->type == T_DURATION && !e->is_money;
}

/* Checks that e is a window: a positive duration constant. */
static bool check_window(dn__compiler *c, dn__expr *e, int64_t *ms)
{
    dn__type t = check_expr(c, e, (ctx){.is_const = true});
    if (t == T_ERROR)
        return false;
    if (!is_window(e) || e->val.v.i <= 0) {
        diag(c, &e->sp, "bad_window", "write a duration such as 24h, 7d or 90m",
             "expected a positive duration for the window, found %s",
             t == T_DURATION ? "a duration that is not positive" : dn__lang_type_name(t));
        return false;
    }
    *ms = e->val.v.i;
    return true;
}

static bool check_dir(dn__compiler *c, dn__expr *e, dn__dir *dir)
{
    if (e->kind == E_NAME) {
        if (name_eq(e->name, e->name_len, "in"))
            *dir = DN__DIR_IN;
        else if (name_eq(e->name, e->name_len, "out"))
            *dir = DN__DIR_OUT;
        else if (name_eq(e->name, e->name_len, "any"))
            *dir = DN__DIR_ANY;
        else
            goto bad;
        if (c->cur_role >= DN__ROLE_DEVICE && *dir != DN__DIR_ANY) {
            diag(c, &e->sp, "bad_dir", "write any",
                 "device and ip entities have no direction: use any");
            return false;
        }
        e->type = T_DIR;
        return true;
    }
bad:
    diag(c, &e->sp, "bad_dir", NULL, "expected a direction: in, out or any");
    return false;
}

static int find_rule(dn__compiler *c, const char *name, uint32_t len)
{
    for (uint32_t i = 0; i < c->rs->rule_count; i++)
        if (name_eq(name, len, c->rule_items[i]->name))
            return (int)i;
    return -1;
}

static void unknown_rule(dn__compiler *c, const dn__span *sp, const char *name)
{
    const char **cands = malloc((c->rs->rule_count + 1) * sizeof(*cands));
    const char *s = NULL;
    if (cands) {
        for (uint32_t i = 0; i < c->rs->rule_count; i++)
            cands[i] = c->rule_items[i]->name;
        s = dn__lang_suggest(name, cands, c->rs->rule_count);
        free(cands);
    }
    char hint[160];
    if (s)
        snprintf(hint, sizeof(hint), "did you mean %s?", s);
    diag(c, sp, "unknown_rule", s ? hint : NULL, "unknown rule '%s'", name);
}

static dn__type check_call(dn__compiler *c, dn__expr *e, ctx x)
{
    int fn = -1;
    for (int i = 0; i < FN_COUNT_; i++)
        if (name_eq(e->name, e->name_len, dn__lang_fn_names[i]))
            fn = i;
    char nm[80];
    snprintf(nm, sizeof(nm), "%.*s", (int)e->name_len, e->name);
    if (fn < 0) {
        const char *s = dn__lang_suggest(nm, dn__lang_fn_names, FN_COUNT_);
        char hint[160];
        if (s)
            snprintf(hint, sizeof(hint), "did you mean %s?", s);
        diag(c, &e->sp, "unknown_function",
             s ? hint
               : "functions: count sum avg max min distinct "
                 "pair_count pair_sum pair_max since_last "
                 "hits hour year lower len abs",
             "unknown function '%s'", nm);
        return T_ERROR;
    }
    e->op = fn;
    bool is_entity = fn <= FN_HITS;
    if (x.is_const && fn != FN_LOWER && fn != FN_LEN && fn != FN_ABS) {
        diag(c, &e->sp, "not_constant", NULL, "a param value must be a constant; '%s' is not", nm);
        return T_ERROR;
    }
    if (x.is_where && is_entity) {
        diag(c, &e->sp, "where_entity_function", "a where-filter reads only the event's fields",
             "'%s' reads entity history and cannot be used inside where", nm);
        return T_ERROR;
    }
    if (e->where && fn > FN_MIN) {
        diag(c, &e->where->sp, "bad_arity", NULL, "'%s' takes no where-filter", nm);
        return T_ERROR;
    }
    static const int arity[FN_COUNT_] = {2, 2, 2, 2, 2, 3, 1, 1, 1, 0,
                                         0, 0, 1, 2, 0, 1, 1, 1, 1, 1};
    static const char *const usage[FN_COUNT_] = {"count(dir, window [, where EXPR])",
                                                 "sum(dir, window [, where EXPR])",
                                                 "avg(dir, window [, where EXPR])",
                                                 "max(dir, window [, where EXPR])",
                                                 "min(dir, window [, where EXPR])",
                                                 "distinct(field, dir, window)",
                                                 "pair_count(window [, dir])",
                                                 "pair_sum(window [, dir])",
                                                 "pair_max(window [, dir])",
                                                 "new_counterparty",
                                                 "age",
                                                 "first_seen",
                                                 "since_last(dir)",
                                                 "hits(rule, window)",
                                                 "now",
                                                 "hour(time)",
                                                 "year(time)",
                                                 "lower(string)",
                                                 "len(string)",
                                                 "abs(x)"};
    /* pair_*(window, dir): the pair's history in one direction only (e.g. a bait credit in). */
    bool is_pair = fn == FN_PAIR_COUNT || fn == FN_PAIR_SUM || fn == FN_PAIR_MAX;
    if ((int)e->kid_count != arity[fn] && !(is_pair && e->kid_count == 2)) {
        diag(c, &e->sp, "bad_arity", usage[fn], "'%s' takes %d argument%s, found %u", nm, arity[fn],
             arity[fn] == 1 ? "" : "s", e->kid_count);
        return T_ERROR;
    }
    dn__entity_kind k = dn__role_kind(c->cur_role);
    dn__agg_spec s = {.filter = -1, .dir = DN__DIR_ANY};
    switch (fn) {
    case FN_COUNT:
    case FN_SUM:
    case FN_AVG:
    case FN_MAX:
    case FN_MIN: {
        static const dn__agg_kind ak[] = {DN__AGG_COUNT, DN__AGG_SUM, DN__AGG_AVG, DN__AGG_MAX,
                                          DN__AGG_MIN};
        s.kind = ak[fn - FN_COUNT];
        bool ok = check_dir(c, e->kids[0], &s.dir);
        ok &= check_window(c, e->kids[1], &s.window_ms);
        if (e->where) {
            ctx wx = {.is_where = true};
            dn__type wt = check_expr(c, e->where, wx);
            if (wt != T_ERROR && wt != T_BOOL) {
                diag(c, &e->where->sp, "type_mismatch", NULL,
                     "a where-filter must be a condition (bool), found %s", dn__lang_type_name(wt));
                ok = false;
            } else if (wt == T_ERROR) {
                ok = false;
            } else {
                s.filter = add_filter(c, k, e->where);
                ok &= s.filter >= 0;
            }
        }
        if (!ok)
            return T_ERROR;
        uint32_t slot;
        if (add_slot(c, k, &s, &slot))
            return T_ERROR;
        e->ival = slot;
        return fn == FN_COUNT ? T_NUMBER : T_MONEY;
    }
    case FN_DISTINCT: {
        static const char *const fields[] = {"counterparty", "device",  "ip",     "ip_country",
                                             "country",      "channel", "account"};
        s.kind = DN__AGG_DISTINCT;
        dn__expr *f = e->kids[0];
        int fid = -1;
        for (int i = 0; f->kind == E_NAME && i < DN__FIELD_COUNT_; i++)
            if (name_eq(f->name, f->name_len, fields[i]))
                fid = i;
        bool ok = true;
        if (fid < 0) {
            diag(c, &f->sp, "bad_distinct_field",
                 "counterparty, device, ip, ip_country, country, "
                 "channel or account",
                 "distinct() counts one of the kept fields");
            ok = false;
        } else {
            f->type = T_NAME;
            s.field = (dn__fact_field)fid;
        }
        ok &= check_dir(c, e->kids[1], &s.dir);
        ok &= check_window(c, e->kids[2], &s.window_ms);
        if (!ok)
            return T_ERROR;
        uint32_t slot;
        if (add_slot(c, k, &s, &slot))
            return T_ERROR;
        e->ival = slot;
        return T_NUMBER;
    }
    case FN_PAIR_COUNT:
    case FN_PAIR_SUM:
    case FN_PAIR_MAX: {
        s.kind = fn == FN_PAIR_COUNT ? DN__AGG_PAIR_COUNT
                 : fn == FN_PAIR_SUM ? DN__AGG_PAIR_SUM
                                     : DN__AGG_PAIR_MAX;
        if (!check_window(c, e->kids[0], &s.window_ms))
            return T_ERROR;
        if (e->kid_count == 2 && !check_dir(c, e->kids[1], &s.dir))
            return T_ERROR;
        uint32_t slot;
        if (add_slot(c, k, &s, &slot))
            return T_ERROR;
        e->ival = slot;
        return fn == FN_PAIR_COUNT ? T_NUMBER : T_MONEY;
    }
    case FN_NEWCP:
        c->cur_uses_newcp = true;
        return T_BOOL;
    case FN_AGE:
        return T_DURATION;
    case FN_FIRST_SEEN:
    case FN_NOW:
        return T_TIME;
    case FN_SINCE_LAST: {
        dn__dir d;
        if (!check_dir(c, e->kids[0], &d))
            return T_ERROR;
        e->ival = d;
        return T_DURATION;
    }
    case FN_HITS: {
        dn__expr *r = e->kids[0];
        int64_t w;
        bool ok = check_window(c, e->kids[1], &w);
        if (r->kind != E_NAME) {
            diag(c, &r->sp, "unknown_rule", NULL, "hits() expects a rule id");
            return T_ERROR;
        }
        char rn[128];
        snprintf(rn, sizeof(rn), "%.*s", (int)r->name_len, r->name);
        int ri = find_rule(c, r->name, r->name_len);
        if (ri < 0) {
            unknown_rule(c, &r->sp, rn);
            return T_ERROR;
        }
        r->type = T_NAME;
        e->ival = ri;
        /* hits are kept on the entity the rule fired for: the kinds must agree */
        for (const dn__clause *cl = c->rule_items[ri]->clauses; cl; cl = cl->next) {
            if (strcmp(cl->name, "for") != 0 || cl->args[0]->kind != E_NAME)
                continue;
            const dn__expr *a = cl->args[0];
            dn__role other = name_eq(a->name, a->name_len, "device") ? DN__ROLE_DEVICE
                             : name_eq(a->name, a->name_len, "ip")   ? DN__ROLE_IP
                                                                     : DN__ROLE_SRC;
            if (dn__role_kind(other) != k) {
                static const char *const kinds[] = {"account", "device", "ip"};
                diag(c, &r->sp, "hits_other_kind", "hits() counts rules of the same entity kind",
                     "rule '%s' fires for %s entities, this rule for %s entities", rn,
                     kinds[dn__role_kind(other)], kinds[k]);
                return T_ERROR;
            }
        }
        if (!ok)
            return T_ERROR;
        e->num = (double)w;
        if (c->rs->plans[k].retention_ms < w)
            c->rs->plans[k].retention_ms = w;
        return T_NUMBER;
    }
    case FN_HOUR:
    case FN_YEAR:
    case FN_LOWER:
    case FN_LEN:
    case FN_ABS: {
        dn__type t = check_expr(c, e->kids[0], x);
        if (t == T_ERROR)
            return T_ERROR;
        dn__type want = fn == FN_HOUR || fn == FN_YEAR ? T_TIME : T_STRING;
        if (fn == FN_ABS) {
            if (t == T_NUMBER || t == T_MONEY || t == T_DURATION)
                return t;
            diag(c, &e->kids[0]->sp, "type_mismatch", NULL,
                 "abs() takes a number, money or duration, found %s", dn__lang_type_name(t));
            return T_ERROR;
        }
        if (t != want) {
            diag(c, &e->kids[0]->sp, "type_mismatch", usage[fn], "%s() takes a %s, found %s", nm,
                 dn__lang_type_name(want), dn__lang_type_name(t));
            return T_ERROR;
        }
        return fn == FN_LOWER ? T_STRING : T_NUMBER;
    }
    }
    return T_ERROR;
}

static dn__type check_name(dn__compiler *c, dn__expr *e, ctx x)
{
    char nm[128];
    snprintf(nm, sizeof(nm), "%.*s", (int)e->name_len, e->name);
    for (int i = 0; i < F_COUNT_; i++) {
        if (strcmp(nm, dn__lang_field_names[i]) == 0) {
            if (x.is_const) {
                diag(c, &e->sp, "not_constant", NULL,
                     "a param value must be a constant; '%s' is an event field", nm);
                return T_ERROR;
            }
            e->kind = E_FIELD;
            e->ival = i;
            return dn__lang_field_types[i];
        }
    }
    static const char *const bare[] = {"new_counterparty", "age", "first_seen", "now"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(nm, bare[i]) == 0) {
            e->kind = E_CALL;
            e->kid_count = 0;
            return check_call(c, e, x);
        }
    }
    const char *cands[F_COUNT_ + 8];
    size_t n = 0;
    for (int i = 0; i < F_COUNT_; i++)
        cands[n++] = dn__lang_field_names[i];
    for (size_t i = 0; i < 4; i++)
        cands[n++] = bare[i];
    const char *s = dn__lang_suggest(nm, cands, n);
    char hint[200];
    if (s)
        snprintf(hint, sizeof(hint), "did you mean %s?", s);
    else if (strncmp(nm, "customer.", 9) == 0)
        snprintf(hint, sizeof(hint), "customer fields: birth_year, opened, segment, residence");
    else
        snprintf(hint, sizeof(hint), "fields the schema does not name are read as attrs.%s", nm);
    bool is_fn = false;
    for (int i = 0; i < FN_COUNT_; i++)
        is_fn |= strcmp(nm, dn__lang_fn_names[i]) == 0;
    if (is_fn)
        diag(c, &e->sp, "bad_arity", NULL, "'%s' is a function: call it with arguments", nm);
    else
        diag(c, &e->sp, "unknown_field", hint, "unknown field '%s'", nm);
    return T_ERROR;
}

static int find_param(dn__compiler *c, const char *name, uint32_t len)
{
    for (uint32_t i = 0; i < c->param_count; i++)
        if (name_eq(name, len, c->params[i]->name))
            return (int)i;
    return -1;
}

static int find_list(dn__compiler *c, const char *name, uint32_t len)
{
    for (uint32_t i = 0; i < c->list_count; i++)
        if (name_eq(name, len, c->lists[i]->name))
            return (int)i;
    return -1;
}

static dn__type check_param(dn__compiler *c, dn__expr *e, ctx x)
{
    int pi = find_param(c, e->name, e->name_len);
    if (pi >= 0) {
        if (c->param_types[pi] == T_ERROR)
            return T_ERROR; /* its own error was reported, or declared later */
        dn__value v = c->param_vals[pi];
        if (v.type == T_LIST_STR || v.type == T_LIST_NUM) {
            e->kind = E_SET;
            e->ival = v.v.idx;
            return (dn__type)v.type;
        }
        e->kind = E_CONST;
        e->val = v;
        e->is_money = false;
        return (dn__type)v.type;
    }
    int li = find_list(c, e->name, e->name_len);
    if (li >= 0) {
        e->kind = E_SET;
        e->ival = c->list_sets[li];
        return c->list_sets[li] == UINT32_MAX ? T_ERROR : T_LIST_STR;
    }
    char nm[128];
    snprintf(nm, sizeof(nm), "%.*s", (int)e->name_len, e->name);
    const char **cands = malloc((c->param_count + c->list_count + 1) * sizeof(*cands));
    const char *s = NULL;
    if (cands) {
        for (uint32_t i = 0; i < c->param_count; i++)
            cands[i] = c->params[i]->name;
        for (uint32_t i = 0; i < c->list_count; i++)
            cands[c->param_count + i] = c->lists[i]->name;
        s = dn__lang_suggest(nm, cands, c->param_count + c->list_count);
        free(cands);
    }
    char hint[200];
    if (s)
        snprintf(hint, sizeof(hint), "did you mean $%s?", s);
    if (x.is_in_rhs)
        diag(c, &e->sp, "unknown_list", s ? hint : "declare it: list NAME from \"file.txt\"",
             "unknown list '$%s'", nm);
    else
        diag(c, &e->sp, "unknown_param", s ? hint : "declare it: param NAME = VALUE",
             "unknown param '$%s'", nm);
    return T_ERROR;
}

/* A list literal: every item a constant of one type (string or number). */
static dn__type check_list(dn__compiler *c, dn__expr *e, ctx x)
{
    ctx kx = {.is_const = true};
    dn__type et = T_ERROR;
    bool ok = true;
    dn__value *vals = malloc((e->kid_count ? e->kid_count : 1) * sizeof(*vals));
    if (!vals) {
        c->err = DN_ENOMEM;
        return T_ERROR;
    }
    for (uint32_t i = 0; i < e->kid_count; i++) {
        dn__type t = check_expr(c, e->kids[i], kx);
        if (t == T_ERROR) {
            ok = false;
            continue;
        }
        if ((t != T_STRING && t != T_NUMBER) || e->kids[i]->kind != E_CONST) {
            diag(c, &e->kids[i]->sp, "type_mismatch", NULL,
                 "list items must be strings or numbers, found %s", dn__lang_type_name(t));
            ok = false;
            continue;
        }
        if (et == T_ERROR)
            et = t;
        else if (t != et) {
            diag(c, &e->kids[i]->sp, "type_mismatch", NULL,
                 "a list holds one type: this item is a %s, the first a %s", dn__lang_type_name(t),
                 dn__lang_type_name(et));
            ok = false;
            continue;
        }
        vals[i] = e->kids[i]->val;
    }
    if (ok && et == T_ERROR)
        et = T_STRING; /* the empty list */
    if (!ok) {
        free(vals);
        return T_ERROR;
    }
    dn_ruleset *rs = c->rs;
    if (rs->set_count == c->set_cap) {
        uint32_t nc = c->set_cap ? c->set_cap * 2 : 16;
        dn__set *ns = dn__arena_alloc(c->a, nc * sizeof(*ns));
        if (!ns) {
            free(vals);
            c->err = DN_ENOMEM;
            return T_ERROR;
        }
        if (rs->set_count)
            memcpy(ns, rs->sets, rs->set_count * sizeof(*ns));
        rs->sets = ns;
        c->set_cap = nc;
    }
    dn__set *set = &rs->sets[rs->set_count];
    if (dn__lang_set_from_values(c->a, vals, e->kid_count, et == T_NUMBER, set)) {
        free(vals);
        c->err = DN_ENOMEM;
        return T_ERROR;
    }
    free(vals);
    set->src_text = src_text(c, &e->sp);
    e->kind = E_SET;
    e->ival = rs->set_count++;
    (void)x;
    return et == T_NUMBER ? T_LIST_NUM : T_LIST_STR;
}

static dn__type check_regex(dn__compiler *c, dn__expr *e, int subject_field)
{
    dn_ruleset *rs = c->rs;
    /* one regex per (pattern, flags, subject field) */
    for (uint32_t i = 0; i < rs->regex_count; i++) {
        dn__regex *r = &rs->regexes[i];
        if (strcmp(r->pattern, e->name) == 0 && strcmp(r->flags, e->flags) == 0 &&
            r->field == subject_field) {
            e->ival = i;
            return T_REGEX;
        }
    }
    if (rs->regex_count == c->regex_cap) {
        uint32_t nc = c->regex_cap ? c->regex_cap * 2 : 16;
        dn__regex *nr = dn__arena_alloc(c->a, nc * sizeof(*nr));
        if (!nr) {
            c->err = DN_ENOMEM;
            return T_ERROR;
        }
        if (rs->regex_count)
            memcpy(nr, rs->regexes, rs->regex_count * sizeof(*nr));
        rs->regexes = nr;
        c->regex_cap = nc;
    }
    dn__regex *r = &rs->regexes[rs->regex_count];
    memset(r, 0, sizeof(*r));
    r->pattern = e->name;
    memcpy(r->flags, e->flags, sizeof(r->flags));
    r->src_text = src_text(c, &e->sp);
    r->field = subject_field;
    const char *msg = NULL;
    size_t off = 0;
    int rc = dn__lang_regex_compile(c->a, r, &msg, &off);
    if (rc == DN_ENOMEM) {
        c->err = rc;
        return T_ERROR;
    }
    if (rc) {
        dn__span sp = e->sp;
        sp.col += 1 + (int)off; /* after the opening slash */
        sp.off += 1 + (uint32_t)off;
        diag(c, &sp, "bad_regex", NULL, "bad regex: %s", msg ? msg : "cannot compile");
        return T_ERROR;
    }
    e->ival = rs->regex_count++;
    return T_REGEX;
}

static bool is_ordered(dn__type t)
{
    return t == T_NUMBER || t == T_MONEY || t == T_DURATION || t == T_TIME;
}

static dn__type arith_type(int op, dn__type l, dn__type r)
{
    switch (op) {
    case TK_PLUS:
        if (l == r && (l == T_MONEY || l == T_NUMBER || l == T_DURATION))
            return l;
        if ((l == T_TIME && r == T_DURATION) || (l == T_DURATION && r == T_TIME))
            return T_TIME;
        return T_ERROR;
    case TK_MINUS:
        if (l == r && (l == T_MONEY || l == T_NUMBER || l == T_DURATION))
            return l;
        if (l == T_TIME && r == T_DURATION)
            return T_TIME;
        if (l == T_TIME && r == T_TIME)
            return T_DURATION;
        return T_ERROR;
    case TK_STAR:
        if (l == T_NUMBER && r == T_NUMBER)
            return T_NUMBER;
        if ((l == T_MONEY && r == T_NUMBER) || (l == T_NUMBER && r == T_MONEY))
            return T_MONEY;
        if ((l == T_DURATION && r == T_NUMBER) || (l == T_NUMBER && r == T_DURATION))
            return T_DURATION;
        return T_ERROR;
    case TK_SLASH:
        if (l == T_NUMBER && r == T_NUMBER)
            return T_NUMBER;
        if (l == T_MONEY && r == T_NUMBER)
            return T_MONEY;
        if (l == T_MONEY && r == T_MONEY)
            return T_NUMBER;
        if (l == T_DURATION && r == T_NUMBER)
            return T_DURATION;
        if (l == T_DURATION && r == T_DURATION)
            return T_NUMBER;
        return T_ERROR;
    }
    return T_ERROR;
}

const char *dn__lang_op_text(int op)
{
    switch (op) {
    case TK_PLUS:
        return "+";
    case TK_MINUS:
        return "-";
    case TK_STAR:
        return "*";
    case TK_SLASH:
        return "/";
    case TK_EQ:
        return "==";
    case TK_NE:
        return "!=";
    case TK_LT:
        return "<";
    case TK_LE:
        return "<=";
    case TK_GT:
        return ">";
    case TK_GE:
        return ">=";
    case TK_MATCH:
        return "~";
    case TK_NOMATCH:
        return "!~";
    default:
        return "in";
    }
}

static void money_hint(dn__compiler *c, const dn__expr *num, char *hint, size_t cap)
{
    if (num->kind == E_CONST && num->name)
        snprintf(hint, cap, "money and number do not mix: write %s %s", num->name, c->rs->base);
    else
        snprintf(hint, cap, "money and number do not mix: write 2000 %s", c->rs->base);
}

static void check_type_literal(dn__compiler *c, dn__expr *f, dn__expr *lit)
{
    if (f->kind != E_FIELD || f->ival != F_TYPE || lit->kind != E_CONST || lit->type != T_STRING)
        return;
    dn_event_type t;
    if (dn_event_type_parse(lit->val.v.s.ptr, lit->val.v.s.len, &t) == 0)
        return;
    const char *names[DN_EV_TYPE_COUNT];
    for (int i = 0; i < DN_EV_TYPE_COUNT; i++)
        names[i] = dn_event_type_name((dn_event_type)i);
    char nm[64];
    snprintf(nm, sizeof(nm), "%.*s", (int)(lit->val.v.s.len > 40 ? 40 : lit->val.v.s.len),
             lit->val.v.s.ptr);
    const char *s = dn__lang_suggest(nm, names, DN_EV_TYPE_COUNT);
    char hint[160];
    snprintf(hint, sizeof(hint), s ? "did you mean \"%s\"?" : "%s",
             s ? s
               : "types: transfer card cash_deposit cash_withdrawal crypto_buy crypto_sell "
                 "account_open login");
    diag(c, &lit->sp, "unknown_event_type", hint, "unknown event type \"%s\"", nm);
}

static dn__type check_binary(dn__compiler *c, dn__expr *e, ctx x)
{
    int op = e->op;
    dn__expr *l = e->kids[0], *r = e->kids[1];
    if (op == TK_MATCH || op == TK_NOMATCH) {
        dn__type lt = check_expr(c, l, x);
        if (r->kind != E_REGEX) {
            dn__type rt = check_expr(c, r, x);
            if (rt != T_ERROR)
                diag(c, &r->sp, "type_mismatch", "write reference ~ /pattern/i",
                     "the right side of %s must be a regex literal /.../, found %s",
                     dn__lang_op_text(op), dn__lang_type_name(rt));
            return T_ERROR;
        }
        if (x.is_const) {
            diag(c, &e->sp, "not_constant", NULL, "a param value must be a constant");
            return T_ERROR;
        }
        if (lt == T_ERROR) {
            check_regex(c, r, -1); /* still report a bad pattern */
            return T_ERROR;
        }
        if (lt != T_STRING && lt != T_DYN) {
            diag(c, &e->op_sp, "type_mismatch", NULL, "%s matches a string, found %s on its left",
                 dn__lang_op_text(op), dn__lang_type_name(lt));
            return T_ERROR;
        }
        int field = l->kind == E_FIELD && dn__lang_field_is_fixed((int)l->ival) ? (int)l->ival : -1;
        if (check_regex(c, r, field) == T_ERROR)
            return T_ERROR;
        return T_BOOL;
    }
    if (op == TK_IDENT) { /* in / not in */
        dn__type lt = check_expr(c, l, x);
        ctx rx = x;
        rx.is_in_rhs = true;
        dn__type rt = check_expr(c, r, rx);
        if (lt == T_ERROR || rt == T_ERROR)
            return T_ERROR;
        if (rt != T_LIST_STR && rt != T_LIST_NUM) {
            diag(c, &r->sp, "type_mismatch", "write x in [\"a\", \"b\"] or x in $list",
                 "the right side of 'in' must be a list, found %s", dn__lang_type_name(rt));
            return T_ERROR;
        }
        dn__type et = rt == T_LIST_STR ? T_STRING : T_NUMBER;
        if (l->kind == E_FIELD && l->ival == F_TYPE && r->kind == E_SET) {
            const dn__set *set = &c->rs->sets[r->ival];
            for (uint32_t i = 0; !set->is_num && i < set->count; i++) {
                dn__expr lit = {.kind = E_CONST, .type = T_STRING, .sp = r->sp};
                lit.val.type = T_STRING;
                lit.val.v.s = set->strs[i];
                check_type_literal(c, l, &lit);
            }
        }
        if (lt != et && lt != T_DYN) {
            diag(c, &e->op_sp, "type_mismatch", NULL, "'in' looks for a %s in a %s, found %s",
                 dn__lang_type_name(et), dn__lang_type_name(rt), dn__lang_type_name(lt));
            return T_ERROR;
        }
        return T_BOOL;
    }
    dn__type lt = check_expr(c, l, x);
    dn__type rt = check_expr(c, r, x);
    if (lt == T_ERROR || rt == T_ERROR)
        return T_ERROR;
    bool is_cmp =
        op == TK_EQ || op == TK_NE || op == TK_LT || op == TK_LE || op == TK_GT || op == TK_GE;
    char hint[160];
    if (is_cmp) {
        dn__type t = lt == T_DYN ? rt : lt;
        dn__type u = rt == T_DYN ? lt : rt;
        bool ok = t == u || t == T_DYN;
        if (ok && (lt == T_DYN || rt == T_DYN) && t != T_NUMBER && t != T_STRING && t != T_BOOL &&
            t != T_DYN) {
            diag(c, &e->op_sp, "type_mismatch",
                 "attributes compare with numbers, strings and bools",
                 "cannot compare an attribute with %s", dn__lang_type_name(t));
            return T_ERROR;
        }
        if (ok && op != TK_EQ && op != TK_NE && !is_ordered(t) && t != T_DYN) {
            diag(c, &e->op_sp, "type_mismatch", "use == or !=", "cannot order %s values with %s",
                 dn__lang_type_name(t), dn__lang_op_text(op));
            return T_ERROR;
        }
        if (ok && (t == T_LIST_STR || t == T_LIST_NUM || t == T_REGEX)) {
            diag(c, &e->op_sp, "type_mismatch", "use in", "cannot compare lists with %s",
                 dn__lang_op_text(op));
            return T_ERROR;
        }
        if (!ok) {
            const char *h = NULL;
            if ((lt == T_MONEY && rt == T_NUMBER) || (lt == T_NUMBER && rt == T_MONEY)) {
                money_hint(c, lt == T_NUMBER ? l : r, hint, sizeof(hint));
                h = hint;
            }
            diag(c, &e->op_sp, "type_mismatch", h, "cannot compare %s with %s",
                 dn__lang_type_name(lt), dn__lang_type_name(rt));
            return T_ERROR;
        }
        check_type_literal(c, l, r);
        check_type_literal(c, r, l);
        return T_BOOL;
    }
    if (lt == T_DYN || rt == T_DYN) {
        diag(c, &e->op_sp, "type_mismatch", "compare the attribute instead",
             "attributes cannot be used in arithmetic");
        return T_ERROR;
    }
    dn__type t = arith_type(op, lt, rt);
    if (t == T_ERROR) {
        const char *h = NULL;
        if ((lt == T_MONEY && rt == T_NUMBER) || (lt == T_NUMBER && rt == T_MONEY)) {
            money_hint(c, lt == T_NUMBER ? l : r, hint, sizeof(hint));
            h = hint;
        }
        diag(c, &e->op_sp, "type_mismatch", h, "cannot apply %s to %s and %s", dn__lang_op_text(op),
             dn__lang_type_name(lt), dn__lang_type_name(rt));
    }
    return t;
}

static dn__type check_expr_inner(dn__compiler *c, dn__expr *e, ctx x)
{
    switch (e->kind) {
    case E_CONST:
        if (e->is_money) {
            char code[4];
            memcpy(code, e->name, 3);
            code[3] = '\0';
            int64_t v;
            if (!dn__lang_money_literal(c->rs, code, e->num, &v)) {
                char hint[128];
                snprintf(hint, sizeof(hint), "add a row %s,RATE to rates.csv beside the rules",
                         code);
                diag(c, &e->sp, "unknown_currency", hint,
                     "no rate for %s: the rate table does not list it", code);
                return T_ERROR;
            }
            e->val.v.i = v;
            e->val.type = T_MONEY;
        }
        return e->type;
    case E_SET:
        return e->type;
    case E_LIST:
        return check_list(c, e, x);
    case E_REGEX:
        diag(c, &e->sp, "type_mismatch", "write field ~ /pattern/",
             "a regex can only be the right side of ~ or !~");
        return T_ERROR;
    case E_PARAM:
        return check_param(c, e, x);
    case E_FIELD:
        return dn__lang_field_types[e->ival];
    case E_ATTR:
        if (x.is_const) {
            diag(c, &e->sp, "not_constant", NULL, "a param value must be a constant");
            return T_ERROR;
        }
        return T_DYN;
    case E_NAME:
        return check_name(c, e, x);
    case E_CALL:
        return check_call(c, e, x);
    case E_UNARY: {
        dn__type t = check_expr(c, e->kids[0], x);
        if (t == T_ERROR)
            return T_ERROR;
        if (t != T_NUMBER && t != T_MONEY && t != T_DURATION) {
            diag(c, &e->sp, "type_mismatch", NULL, "cannot negate %s", dn__lang_type_name(t));
            return T_ERROR;
        }
        return t;
    }
    case E_BINARY:
        return check_binary(c, e, x);
    case E_AND:
    case E_OR:
    case E_NOT: {
        dn__type res = T_BOOL;
        for (uint32_t i = 0; i < e->kid_count; i++) {
            dn__type t = check_expr(c, e->kids[i], x);
            if (t == T_ERROR) {
                res = T_ERROR;
            } else if (t != T_BOOL) {
                diag(c, &e->kids[i]->sp, "type_mismatch", "compare it: x > 0, x == \"...\"",
                     "'%s' needs a condition (bool), found %s",
                     e->kind == E_AND  ? "and"
                     : e->kind == E_OR ? "or"
                                       : "not",
                     dn__lang_type_name(t));
                res = T_ERROR;
            }
        }
        if (x.is_const && res != T_ERROR) {
            diag(c, &e->sp, "not_constant", NULL, "a param value must be a constant");
            return T_ERROR;
        }
        return res;
    }
    }
    return T_ERROR;
}

static dn__type check_expr(dn__compiler *c, dn__expr *e, ctx x)
{
    if (c->err)
        return T_ERROR;
    e->type = check_expr_inner(c, e, x);
    if (e->type != T_ERROR)
        dn__lang_fold(c, e);
    return e->type;
}

/* ---- items ------------------------------------------------------------------------------ */

static const dn__item *find_item(dn__item **arr, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(arr[i]->name, name) == 0)
            return arr[i];
    return NULL;
}

static void dup_diag(dn__compiler *c, const dn__item *it, const dn__item *first, const char *what)
{
    char hint[300];
    snprintf(hint, sizeof(hint), "first defined at %s:%d:%d", first->name_sp.src->name,
             first->name_sp.line, first->name_sp.col);
    diag(c, &it->name_sp, "duplicate_name", hint, "%s '%s' is defined twice", what, it->name);
}

static bool is_name_arg(const dn__expr *e)
{
    return e->kind == E_NAME;
}

static char *arg_name(dn__compiler *c, const dn__expr *e)
{
    return xstrdup(c, e->name, e->name_len);
}

/* Files each clause of an item under its name's index in seen (clauses[0..n)): an unknown name
 * (with the nearest known one as a hint) and a repeated one are errors; `where` completes
 * "unknown clause '%s' in ...". */
static void sort_clauses(dn__compiler *c, const dn__item *it, const char *const *clauses, int n,
                         const dn__clause **seen, const char *where)
{
    for (dn__clause *cl = it->clauses; cl; cl = cl->next) {
        int ci = -1;
        for (int i = 0; i < n; i++)
            if (strcmp(cl->name, clauses[i]) == 0)
                ci = i;
        if (ci < 0) {
            const char *s = dn__lang_suggest(cl->name, clauses, n);
            char hint[100];
            if (s)
                snprintf(hint, sizeof(hint), "did you mean %s?", s);
            diag(c, &cl->sp, "unknown_clause", s ? hint : NULL, "unknown clause '%s' in %s",
                 cl->name, where);
            continue;
        }
        if (seen[ci]) {
            diag(c, &cl->sp, "duplicate_clause", NULL, "clause '%s' given twice", cl->name);
            continue;
        }
        seen[ci] = cl;
    }
}

static void check_rule(dn__compiler *c, uint32_t ri)
{
    dn__item *it = c->rule_items[ri];
    dn__rule *r = &c->rs->rules[ri];
    dn__rule_info *info = &r->info;
    info->id = it->name;
    info->description = it->text ? it->text : "";
    info->file = it->name_sp.src->name;
    info->line = it->name_sp.line;
    if (it->is_broken)
        return;
    static const char *const clauses[] = {"on", "for", "when", "score", "tags", "mode"};
    const dn__clause *seen[6] = {0};
    sort_clauses(c, it, clauses, 6, seen, "a rule: expected on, for, when, score, tags or mode");
    bool ok = true, role_ok = false;
    for (int i = 0; i < 4; i++) {
        if (!seen[i]) {
            diag(c, &it->name_sp, "missing_clause", NULL, "rule '%s' has no '%s' clause", it->name,
                 clauses[i]);
            ok = false;
        }
    }
    /* on */
    if (seen[0]) {
        for (uint32_t i = 0; i < seen[0]->arg_count; i++) {
            dn__expr *a = seen[0]->args[i];
            dn_event_type t;
            if (is_name_arg(a) && dn_event_type_parse(a->name, a->name_len, &t) == 0) {
                info->type_mask |= 1u << t;
                continue;
            }
            const char *names[DN_EV_TYPE_COUNT];
            for (int k = 0; k < DN_EV_TYPE_COUNT; k++)
                names[k] = dn_event_type_name((dn_event_type)k);
            char nm[64] = "";
            if (is_name_arg(a))
                snprintf(nm, sizeof(nm), "%.*s", (int)a->name_len, a->name);
            const char *s = nm[0] ? dn__lang_suggest(nm, names, DN_EV_TYPE_COUNT) : NULL;
            char hint[200];
            snprintf(hint, sizeof(hint), s ? "did you mean %s?" : "%s",
                     s ? s
                       : "types: transfer card cash_deposit cash_withdrawal crypto_buy "
                         "crypto_sell account_open login");
            diag(c, &a->sp, "unknown_event_type", hint, "unknown event type '%s'",
                 nm[0] ? nm : "?");
            ok = false;
        }
    }
    /* for */
    if (seen[1]) {
        static const char *const roles[] = {"src", "dst", "device", "ip"};
        dn__expr *a = seen[1]->args[0];
        int role = -1;
        for (int k = 0; k < 4 && is_name_arg(a); k++)
            if (name_eq(a->name, a->name_len, roles[k]))
                role = k;
        if (role < 0 || seen[1]->arg_count != 1) {
            char nm[64] = "?";
            if (is_name_arg(a))
                snprintf(nm, sizeof(nm), "%.*s", (int)a->name_len, a->name);
            const char *s = dn__lang_suggest(nm, roles, 4);
            char hint[100];
            snprintf(hint, sizeof(hint), s ? "did you mean %s?" : "%s",
                     s ? s : "a rule is for one of src, dst, device, ip");
            diag(c, &a->sp, "unknown_role", hint,
                 "unknown role '%s': expected src, dst, device or ip", nm);
            ok = false;
        } else {
            info->role = (dn__role)role;
            role_ok = true;
        }
    }
    /* score */
    if (seen[3]) {
        dn__expr *a = seen[3]->args[0];
        dn__type t = check_expr(c, a, (ctx){.is_const = true});
        if (t != T_ERROR &&
            (t != T_NUMBER || a->kind != E_CONST || a->val.v.d != floor(a->val.v.d) ||
             fabs(a->val.v.d) > 1e9 || seen[3]->arg_count != 1)) {
            diag(c, &a->sp, "bad_score", "write score 40", "a score must be a whole number");
            ok = false;
        } else if (t == T_ERROR) {
            ok = false;
        } else {
            info->score = (int32_t)a->val.v.d;
        }
    }
    /* tags */
    if (seen[4]) {
        info->tags = dn__arena_alloc(c->a, seen[4]->arg_count * sizeof(char *));
        if (!info->tags) {
            c->err = DN_ENOMEM;
            return;
        }
        const char **tags = (const char **)info->tags;
        for (uint32_t i = 0; i < seen[4]->arg_count; i++) {
            dn__expr *a = seen[4]->args[i];
            if (!is_name_arg(a)) {
                diag(c, &a->sp, "unexpected_token", "write tags mule, layering", "a tag is a name");
                ok = false;
                continue;
            }
            tags[info->tag_count++] = arg_name(c, a);
        }
    }
    /* mode */
    if (seen[5]) {
        dn__expr *a = seen[5]->args[0];
        if (is_name_arg(a) && name_eq(a->name, a->name_len, "shadow"))
            info->is_shadow = true;
        else if (!(is_name_arg(a) && name_eq(a->name, a->name_len, "live"))) {
            diag(c, &a->sp, "bad_mode", NULL, "mode is live or shadow");
            ok = false;
        }
    }
    /* when: needs the role */
    (void)ok; /* other clause errors do not stop the `when` from being checked */
    if (seen[2] && seen[1] && role_ok) {
        if (seen[2]->arg_count != 1) {
            diag(c, &seen[2]->args[1]->sp, "unexpected_token", "join conditions with and / or",
                 "'when' takes one condition");
            return;
        }
        c->cur_rule = (int)ri;
        c->cur_role = info->role;
        c->cur_uses_newcp = false;
        dn__expr *w = seen[2]->args[0];
        dn__type t = check_expr(c, w, (ctx){0});
        if (t != T_ERROR && t != T_BOOL) {
            diag(c, &w->sp, "type_mismatch", "compare it: x > 0, x == \"...\"",
                 "'when' needs a condition (bool), found %s", dn__lang_type_name(t));
            return;
        }
        if (t == T_ERROR)
            return;
        if (c->cur_uses_newcp) {
            dn__state_plan *pl = &c->rs->plans[dn__role_kind(info->role)];
            pl->counterparty_memory_ms = c->memory_ms;
        }
        r->when = w;
    }
}

static int64_t int_clause(dn__compiler *c, const dn__clause *cl, const char *code)
{
    dn__expr *a = cl->args[0];
    dn__type t = check_expr(c, a, (ctx){.is_const = true});
    if (t == T_ERROR)
        return -1;
    if (t != T_NUMBER || a->kind != E_CONST || a->val.v.d != floor(a->val.v.d) || a->val.v.d < 0 ||
        a->val.v.d > 1e12 || cl->arg_count != 1) {
        diag(c, &a->sp, code, NULL, "'%s' takes a whole number of points", cl->name);
        return -1;
    }
    return (int64_t)a->val.v.d;
}

static void check_typology(dn__compiler *c, uint32_t ti)
{
    dn__item *it = c->typ_items[ti];
    dn__typology_info *ty = &c->rs->typologies[ti];
    ty->name = it->name;
    ty->description = it->text ? it->text : "";
    ty->severity = "medium";
    ty->review = -1;
    ty->block = -1;
    if (it->is_broken)
        return;
    static const char *const clauses[] = {"rules",    "window", "threshold", "severity",
                                          "suppress", "review", "block"};
    const dn__clause *seen[7] = {0};
    sort_clauses(c, it, clauses, 7, seen,
                 "a typology: expected rules, window, threshold, severity, suppress, review or "
                 "block");
    for (int i = 0; i < 3; i++)
        if (!seen[i])
            diag(c, &it->name_sp, "missing_clause", NULL, "typology '%s' has no '%s' clause",
                 it->name, clauses[i]);
    if (seen[0]) {
        uint32_t *rules = dn__arena_alloc(c->a, seen[0]->arg_count * sizeof(uint32_t));
        if (!rules) {
            c->err = DN_ENOMEM;
            return;
        }
        ty->rules = rules;
        for (uint32_t i = 0; i < seen[0]->arg_count; i++) {
            dn__expr *a = seen[0]->args[i];
            int ri = is_name_arg(a) ? find_rule(c, a->name, a->name_len) : -1;
            if (ri < 0) {
                char nm[128] = "?";
                if (is_name_arg(a))
                    snprintf(nm, sizeof(nm), "%.*s", (int)a->name_len, a->name);
                unknown_rule(c, &a->sp, nm);
                continue;
            }
            bool dup = false;
            for (uint32_t k = 0; k < ty->rule_count; k++)
                dup |= rules[k] == (uint32_t)ri;
            if (!dup)
                rules[ty->rule_count++] = (uint32_t)ri;
        }
    }
    if (seen[1])
        check_window(c, seen[1]->args[0], &ty->window_ms);
    if (seen[2])
        ty->threshold = int_clause(c, seen[2], "bad_score");
    if (seen[3]) {
        static const char *const sev[] = {"low", "medium", "high", "critical"};
        dn__expr *a = seen[3]->args[0];
        int si = -1;
        for (int k = 0; k < 4 && is_name_arg(a); k++)
            if (name_eq(a->name, a->name_len, sev[k]))
                si = k;
        if (si < 0)
            diag(c, &a->sp, "bad_severity", "low, medium, high or critical",
                 "severity is low, medium, high or critical");
        else
            ty->severity = sev[si];
    }
    if (seen[4])
        check_window(c, seen[4]->args[0], &ty->suppress_ms);
    if (seen[5])
        ty->review = int_clause(c, seen[5], "bad_score");
    if (seen[6])
        ty->block = int_clause(c, seen[6], "bad_score");
}

static int push_item(dn__compiler *c, dn__item ***arr, uint32_t *n, uint32_t *cap, dn__item *it)
{
    if (*n == *cap) {
        uint32_t nc = *cap ? *cap * 2 : 16;
        dn__item **na = dn__arena_alloc(c->a, nc * sizeof(*na));
        if (!na)
            return c->err = DN_ENOMEM;
        if (*n)
            memcpy(na, *arr, *n * sizeof(*na));
        *arr = na;
        *cap = nc;
    }
    (*arr)[(*n)++] = it;
    return 0;
}

int dn__lang_check(dn__compiler *c)
{
    dn_ruleset *rs = c->rs;
    uint32_t pcap = 0, lcap = 0, rcap = 0, tcap = 0, nrules = 0, ntyp = 0;
    const dn__item *version = NULL, *base = NULL, *memory = NULL;
    c->memory_ms = 90 * DAY_MS;
    /* 1. settings and names */
    for (dn__item *it = c->items; it && !c->err; it = it->next) {
        const dn__item *first = NULL;
        switch (it->kind) {
        case I_VERSION:
        case I_BASE:
        case I_MEMORY: {
            const dn__item **slot = it->kind == I_VERSION ? &version
                                    : it->kind == I_BASE  ? &base
                                                          : &memory;
            if (*slot) {
                char hint[300];
                snprintf(hint, sizeof(hint), "first set at %s:%d:%d", (*slot)->sp.src->name,
                         (*slot)->sp.line, (*slot)->sp.col);
                diag(c, &it->sp, "duplicate_setting", hint, "'%s' is set twice",
                     it->kind == I_VERSION ? "version"
                     : it->kind == I_BASE  ? "base"
                                           : "memory");
            } else {
                *slot = it;
            }
            break;
        }
        case I_PARAM:
        case I_LIST:
            first = find_item(c->params, c->param_count, it->name);
            if (!first)
                first = find_item(c->lists, c->list_count, it->name);
            if (first) {
                dup_diag(c, it, first, it->kind == I_PARAM ? "param" : "list");
                break;
            }
            if (it->kind == I_PARAM)
                push_item(c, &c->params, &c->param_count, &pcap, it);
            else
                push_item(c, &c->lists, &c->list_count, &lcap, it);
            break;
        case I_RULE:
            first = find_item(c->rule_items, nrules, it->name);
            if (first) {
                dup_diag(c, it, first, "rule");
                break;
            }
            push_item(c, &c->rule_items, &nrules, &rcap, it);
            break;
        case I_TYPOLOGY:
            first = find_item(c->typ_items, ntyp, it->name);
            if (first) {
                dup_diag(c, it, first, "typology");
                break;
            }
            push_item(c, &c->typ_items, &ntyp, &tcap, it);
            break;
        }
    }
    if (c->err)
        return c->err;
    dn__span top = {c->first_src, 0, 0, 1, 1};
    const dn__span *topp = c->first_src ? &top : NULL;
    if (version) {
        rs->version = version->text;
    } else {
        diag(c, topp, "missing_version", "add a line: version \"2026.11\"",
             "the rule set has no 'version'");
        rs->version = "";
    }
    if (base) {
        if (!dn__lang_currency_code_ok(base->text, strlen(base->text)))
            diag(c, &base->name_sp, "bad_currency", "write base EUR",
                 "'%s' is not an ISO 4217 currency code", base->text);
        else
            memcpy(rs->base, base->text, 4);
    } else {
        diag(c, topp, "missing_base", "add a line: base EUR",
             "the rule set has no 'base' currency");
    }
    if (!rs->base[0])
        memcpy(rs->base, "EUR", 4);
    rs->base_digits = dn__lang_currency_digits(rs->base);
    /* 2. params, lists */
    c->param_vals = dn__arena_calloc(c->a, (c->param_count + 1) * sizeof(dn__value));
    c->param_types = dn__arena_calloc(c->a, (c->param_count + 1) * sizeof(dn__type));
    c->list_sets = dn__arena_alloc(c->a, (c->list_count + 1) * sizeof(uint32_t));
    rs->rules = dn__arena_calloc(c->a, (nrules + 1) * sizeof(dn__rule));
    rs->rule_infos = dn__arena_calloc(c->a, (nrules + 1) * sizeof(dn__rule_info));
    rs->typologies = dn__arena_calloc(c->a, (ntyp + 1) * sizeof(dn__typology_info));
    if (!c->param_vals || !c->param_types || !c->list_sets || !rs->rules || !rs->rule_infos ||
        !rs->typologies)
        return c->err = DN_ENOMEM;
    rs->rule_count = nrules;
    rs->typology_count = ntyp;
    for (uint32_t i = 0; i < c->list_count; i++)
        c->list_sets[i] = UINT32_MAX;
    uint32_t declared = c->param_count;
    for (uint32_t i = 0; i < declared && !c->err; i++) {
        dn__item *it = c->params[i];
        c->param_count = i; /* only earlier params are visible */
        dn__type t = check_expr(c, it->value, (ctx){.is_const = true});
        c->param_count = declared;
        if (t == T_ERROR)
            continue;
        dn__expr *v = it->value;
        if (v->kind == E_CONST) {
            c->param_vals[i] = v->val;
        } else if (v->kind == E_SET) {
            c->param_vals[i].type = (uint8_t)t;
            c->param_vals[i].v.idx = (uint32_t)v->ival;
        } else {
            diag(c, &v->sp, "not_constant", NULL, "a param value must be a constant");
            continue;
        }
        c->param_types[i] = t;
    }
    c->param_count = declared;
    for (uint32_t i = 0; i < c->list_count && !c->err; i++) {
        dn__item *it = c->lists[i];
        char *text = NULL;
        size_t len = 0;
        int rc = c->load ? c->load(c->load_ctx, it->text, &text, &len) : DN_ENOENT;
        if (rc == DN_ENOMEM)
            return c->err = rc;
        if (rc) {
            diag(c, &it->value->sp, "missing_list_file",
                 "list paths are relative to the rule folder", "cannot read list file \"%s\"",
                 it->text);
            continue;
        }
        if (rs->set_count == c->set_cap) {
            uint32_t nc = c->set_cap ? c->set_cap * 2 : 16;
            dn__set *ns = dn__arena_alloc(c->a, nc * sizeof(*ns));
            if (!ns) {
                free(text);
                return c->err = DN_ENOMEM;
            }
            if (rs->set_count)
                memcpy(ns, rs->sets, rs->set_count * sizeof(*ns));
            rs->sets = ns;
            c->set_cap = nc;
        }
        rc = dn__lang_set_from_text(c->a, text, len, &rs->sets[rs->set_count]);
        if (c->hash_cb)
            c->hash_cb(c->hash_ctx, text, len);
        free(text);
        if (rc)
            return c->err = rc;
        char *st = dn__arena_alloc(c->a, strlen(it->name) + 2);
        if (!st)
            return c->err = DN_ENOMEM;
        st[0] = '$';
        strcpy(st + 1, it->name);
        rs->sets[rs->set_count].src_text = st;
        c->list_sets[i] = rs->set_count++;
    }
    rs->param_count = c->param_count;
    rs->list_count = c->list_count;
    if (memory) { /* after params: the window may be a $param */
        int64_t ms;
        if (check_window(c, memory->value, &ms))
            c->memory_ms = ms;
    }
    /* 3. rules */
    for (uint32_t i = 0; i < nrules && !c->err; i++)
        check_rule(c, i);
    /* 4. typologies, back references, retention */
    for (uint32_t i = 0; i < ntyp && !c->err; i++)
        check_typology(c, i);
    if (c->err)
        return c->err;
    uint32_t *counts = calloc(nrules + 1, sizeof(uint32_t));
    if (!counts)
        return c->err = DN_ENOMEM;
    for (uint32_t t = 0; t < ntyp; t++)
        for (uint32_t k = 0; k < rs->typologies[t].rule_count; k++)
            counts[rs->typologies[t].rules[k]]++;
    for (uint32_t r = 0; r < nrules; r++) {
        dn__rule_info *info = &rs->rules[r].info;
        info->typologies = dn__arena_alloc(c->a, (counts[r] + 1) * sizeof(uint32_t));
        if (!info->typologies) {
            free(counts);
            return c->err = DN_ENOMEM;
        }
    }
    free(counts);
    for (uint32_t t = 0; t < ntyp; t++) {
        const dn__typology_info *ty = &rs->typologies[t];
        for (uint32_t k = 0; k < ty->rule_count; k++) {
            dn__rule_info *info = &rs->rules[ty->rules[k]].info;
            ((uint32_t *)info->typologies)[info->typology_count++] = t;
            dn__state_plan *pl = &rs->plans[dn__role_kind(info->role)];
            if (pl->retention_ms < ty->window_ms)
                pl->retention_ms = ty->window_ms;
        }
    }
    for (int k = 0; k < DN__ENT_KIND_COUNT; k++) {
        dn__state_plan *pl = &rs->plans[k];
        for (uint32_t i = 0; i < pl->agg_count; i++)
            if (pl->retention_ms < pl->aggs[i].window_ms)
                pl->retention_ms = pl->aggs[i].window_ms;
        pl->rule_count = nrules;
        pl->typology_count = ntyp;
    }
    return c->err;
}
