/*
 * vm.c - evaluation: per-shard scratch, the prefilter scan, where-filters and rule programs.
 *
 * Threads: a dn__lang_scratch belongs to one shard (one thread); the rule set it was made from is
 * shared and read-only. Memory: dn__lang_scratch_new sizes everything from the rule set (stack,
 * mark registers, witness list, regex cache, hit/because/event-id pools, a text buffer for the
 * because strings and one for lower()); evaluation allocates nothing. What dn__lang_eval returns
 * lives in the scratch until the next dn__lang_eval or dn__lang_event_end.
 *
 * State: only AGG, HITS, NEWCP, AGE, FIRST_SEEN and SINCE_LAST read st/e/pre, and event ids are
 * collected only from aggregate slots a rule actually read; a rule without them never touches
 * state (st, e and pre may be NULL for such rule sets).
 *
 * Regex results are cached per event for regexes on fixed fields (the subject is the same for
 * every role); with the prefilter on, PCRE2 runs only when vectorscan flagged the regex.
 */
#include "common/hash.h"
#include "lang/ast.h"
#include "lang/opcodes.h"

#include <hs.h>
#include <stddef.h>
#include <math.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MATCH_LIMIT    100000u
#define JIT_STACK_MIN  (32u * 1024u)
#define JIT_STACK_MAX  (256u * 1024u)
#define LOWER_BUF      4096u
#define EVENT_IDS_MAX  16u
#define SLOTS_READ_MAX 32u
#define MEMO_SLOTS     2048u
#define MEMO_TEXT      48u

/* What the regexes of one prefiltered field made of one subject string: references repeat
 * ("Rent March", "Salary"), and the vectorscan pass and PCRE2 confirmations of a repeated one are
 * taken from here (bits by regex index: rule sets of at most 64 regexes). */
typedef struct re_memo {
    uint64_t h;
    uint64_t fired; /* the prefilter fired */
    uint64_t known; /* the answer is known ... */
    uint64_t match; /* ... and is this */
    uint32_t len;
    char text[MEMO_TEXT];
} re_memo;

/* A where-filter of the usual shape, `t1 and t2 ... and tn`, each test one instruction
 * (TYPEIS, INF, CMPFC, or FIELD then MATCH) maybe negated by a NOT, evaluated without the VM:
 * what filter_test below does for each is what the VM does for those instructions. */
#define FILTER_LITS_MAX 4

typedef struct filter_lit {
    dn__insn in;    /* the test's instruction (MATCH's for FIELD, MATCH), a copy */
    uint32_t field; /* FIELD's field, for MATCH */
    bool is_not;    /* a NOT follows */
} filter_lit;

typedef struct filter_lits {
    const dn__program *prog;
    uint32_t n; /* 0: not of this shape, run by the VM */
    bool is_or; /* `t1 or t2 ... or tn` instead */
    filter_lit lit[FILTER_LITS_MAX];
} filter_lits;

/* The tests a rule's program opens with, each returning false when false (`t1 and t2 and ...`
 * before the rest of its condition): worked out like a filter's, without entering the VM. */
typedef struct rule_guard {
    const dn__program *prog; /* the rule's */
    int32_t gate;            /* see guards in the scratch */
    uint32_t n;              /* 0: the program opens otherwise */
    uint32_t pc;             /* the instruction after them */
    filter_lit lit[FILTER_LITS_MAX];
} rule_guard;

/* The tests of the filters of one kind that run for one event type, back to back in filter
 * order: a failed test skips the rest of its filter, the last one passing sets its bit. */
typedef struct flat_lit {
    filter_lit lit;
    const dn__program *prog;
    uint64_t on_stop; /* bits set when the test decides its filter (false in a conjunction, true in
                         a disjunction): the filter's bit for a disjunction, else none */
    uint64_t on_go;   /* bits set when it does not: the filter's bit after a conjunction's last */
    bool is_or;       /* its filter is a disjunction: a true test decides it */
    uint8_t skip;     /* how many entries on the next filter's first test is */
} flat_lit;

typedef struct witness {
    uint16_t site;
    dn__value l, r;
} witness;

struct dn__lang_scratch {
    const dn_ruleset *rs;
    const dn_event *ev;
    int64_t amount;
    dn__value *stack;
    uint32_t *marks;
    witness *wit;
    uint32_t wit_n;
    /* regexes */
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jstack;
    hs_scratch_t *hs;
    uint8_t *fired; /* per regex: the prefilter fired for this event */
    int8_t *cache;  /* per regex: -1 unknown, 0, 1 */
    bool is_prefilter_on;
    re_memo *memo;               /* MEMO_SLOTS per prefilter database; NULL: no memo */
    re_memo *memo_cur[F_COUNT_]; /* per database: this event's subject's entry, or NULL */
    int8_t *re_db;               /* per regex: the database of its field, -1 when none */
    /* where-filter bits per entity kind, for the current event: src and dst share the account
     * kind's filters, computed once when no filter reads a role-relative field */
    uint64_t src_h, dst_h; /* dn__hash64 of the event's src and dst (0 when absent or empty) */
    uint64_t filter_bits[DN__ENT_KIND_COUNT];
    bool has_filter_bits[DN__ENT_KIND_COUNT];
    /* filters that read nothing but the event type are worked out once per type: their bits
     * per type, and the mask of the filters that still run per event */
    uint64_t type_bits[DN__ENT_KIND_COUNT][DN_EV_TYPE_COUNT];
    uint64_t run_mask[DN__ENT_KIND_COUNT][DN_EV_TYPE_COUNT + 1]; /* the last: no valid type */
    bool is_filter_role_free[DN__ENT_KIND_COUNT];
    /* per kind and filter: the filter as a conjunction or disjunction of tests (filter_lits), or
     * count 0 */
    filter_lits *lits[DN__ENT_KIND_COUNT];
    /* per kind and type: the run_mask filters of that shape as flat tests, and the others */
    flat_lit *flat[DN__ENT_KIND_COUNT][DN_EV_TYPE_COUNT + 1];
    uint32_t flat_n[DN__ENT_KIND_COUNT][DN_EV_TYPE_COUNT + 1];
    uint64_t vm_mask[DN__ENT_KIND_COUNT][DN_EV_TYPE_COUNT + 1];
    /* per rule: its opening tests, and (gate) the prefiltered regex its program opens with
     * (`field ~ /re/ and ...`), -1 if none: when the prefilter did not fire for it, the rule is
     * false without running */
    rule_guard *guards;
    bool is_filter_tests_on;
    /* event fields read so far (role-free ones only), valid where field_valid has their bit */
    dn__value fields[F_COUNT_];
    uint64_t field_valid;
    /* `field in set` answers so far this event, per set a bit per role-free field (field_in_set):
     * known, answered (the field was present and of the set's kind), member */
    uint64_t *in_known, *in_answered, *in_member;
    /* per rule */
    uint32_t slots_read[SLOTS_READ_MAX];
    uint32_t slots_read_n;
    char lower[LOWER_BUF];
    uint32_t lower_len;
    /* results */
    dn__lang_hit *hits;
    dn_str *because;
    uint32_t because_n, because_cap;
    dn_str *ids;
    uint32_t ids_n, ids_cap;
    char *text;
    size_t text_len, text_cap;
    bool is_because_deferred;
    unsigned char *why; /* the deferred hits' records */
    size_t why_len, why_cap;
    dn__lang_stats stats;
};

void dn__lang_scratch_free(dn__lang_scratch *sc)
{
    if (!sc)
        return;
    pcre2_match_data_free(sc->md);
    pcre2_match_context_free(sc->mctx);
    pcre2_jit_stack_free(sc->jstack);
    if (sc->hs)
        hs_free_scratch(sc->hs);
    free(sc->stack);
    free(sc->marks);
    free(sc->wit);
    free(sc->fired);
    free(sc->cache);
    free(sc->memo);
    free(sc->re_db);
    free(sc->in_known);
    for (int k = 0; k < DN__ENT_KIND_COUNT; k++) {
        free(sc->lits[k]);
        for (int t = 0; t <= DN_EV_TYPE_COUNT; t++)
            free(sc->flat[k][t]);
    }
    free(sc->guards);
    free(sc->hits);
    free(sc->because);
    free(sc->ids);
    free(sc->text);
    free(sc->why);
    free(sc);
}

/* True when the where-filters of kind k give the same bits for every role of the kind: they read
 * only the event's own fields (no counterparty*, nothing from state). */
static bool filters_role_free(const dn_ruleset *rs, dn__entity_kind k)
{
    for (uint32_t i = 0; i < rs->filter_count[k]; i++) {
        const dn__program *p = &rs->filters[k][i].prog;
        for (uint32_t j = 0; j < p->len; j++) {
            const dn__insn *in = &p->code[j];
            switch ((dn__opcode)in->op) {
            case OP_FIELD:
                if (in->b == F_COUNTERPARTY || in->b == F_COUNTERPARTY_COUNTRY)
                    return false;
                break;
            case OP_CMPFC:
                if ((in->b & 255) == F_COUNTERPARTY || (in->b & 255) == F_COUNTERPARTY_COUNTRY)
                    return false;
                break;
            case OP_INF:
                if (in->b >> 24 == F_COUNTERPARTY || in->b >> 24 == F_COUNTERPARTY_COUNTRY)
                    return false;
                break;
            case OP_AGG:
            case OP_NEWCP:
            case OP_AGE:
            case OP_FIRST_SEEN:
            case OP_SINCE_LAST:
            case OP_HITS:
                return false;
            default:
                break;
            }
        }
    }
    return true;
}

/* Does the program read nothing but the event's type (`type == "x"`, `type in [...]`)? */
static bool is_type_only(const dn__program *p)
{
    for (uint32_t j = 0; j < p->len; j++) {
        switch ((dn__opcode)p->code[j].op) {
        case OP_INF:
            if ((p->code[j].b >> 24) != F_TYPE)
                return false;
            break;
        case OP_TYPEIS:
        case OP_JF:
        case OP_JT:
        case OP_NOT:
        case OP_MARK:
        case OP_RESET:
        case OP_RET:
            break;
        default:
            return false;
        }
    }
    return true;
}

static bool run_filter(dn__lang_scratch *sc, const dn__program *p, dn__role role);

/* The one event type a program can be true for when it opens with `type == T and ...`, else -1. */
static int only_type(const dn__program *p)
{
    const dn__insn *in = &p->code[0];
    if (p->len == 0 || in->op != OP_TYPEIS || !(in->a & DN__RETF) || (in->a & ~DN__RETF) != TK_EQ)
        return -1;
    return (int)(in->b & 255);
}

/* One test of a filter at *pc (TYPEIS, INF, CMPFC, or FIELD then MATCH) into l; pc moves past
 * it. False when the code there is no such test. */
static bool parse_lit(const dn__program *p, uint32_t *pc, filter_lit *l)
{
    const dn__insn *in = &p->code[*pc];
    memset(l, 0, sizeof(*l));
    if (in->op == OP_TYPEIS || in->op == OP_INF || in->op == OP_CMPFC) {
        l->in = *in;
        *pc += 1;
    } else if (in->op == OP_FIELD && *pc + 1 < p->len && p->code[*pc + 1].op == OP_MATCH) {
        l->field = in->b;
        l->in = p->code[*pc + 1];
        *pc += 2;
    } else {
        return false;
    }
    return true;
}

/* p as `t1 and t2 ... and tn`, each test maybe negated by a NOT after it. */
static bool parse_lits_and(const dn__program *p, filter_lits *out)
{
    uint32_t pc = 0;
    while (pc < p->len && out->n < FILTER_LITS_MAX) {
        filter_lit *l = &out->lit[out->n];
        if (!parse_lit(p, &pc, l))
            return false;
        bool is_retf = l->in.a & DN__RETF;
        if (pc < p->len && p->code[pc].op == OP_NOT) {
            if (is_retf)
                return false; /* a NOT after a test that returned already: not what codegen makes */
            l->is_not = true;
            is_retf = p->code[pc].a & DN__RETF;
            pc++;
        }
        out->n++;
        if (is_retf)
            continue; /* false returned false; true went on with nothing on the stack */
        return pc < p->len && p->code[pc].op == OP_RET; /* the last test's bool is the result */
    }
    return false;
}

/* p as `t1 or t2 ... or tn`: each test but the last followed by a JT to the closing RET, none
 * negated or returning. */
static bool parse_lits_or(const dn__program *p, filter_lits *out)
{
    uint32_t pc = 0, ret = p->len - 1;
    if (p->len < 2 || p->code[ret].op != OP_RET)
        return false;
    while (pc < ret && out->n < FILTER_LITS_MAX) {
        filter_lit *l = &out->lit[out->n];
        if (!parse_lit(p, &pc, l) || (l->in.a & DN__RETF) || pc > ret)
            return false;
        out->n++;
        if (pc == ret)
            return out->n >= 2;
        if (p->code[pc].op != OP_JT || p->code[pc].b != ret)
            return false;
        pc++;
    }
    return false;
}

/* p as a conjunction or a disjunction of tests (see filter_lits); false, with n 0, when it is of
 * neither shape. */
static bool parse_lits(const dn__program *p, filter_lits *out)
{
    memset(out, 0, sizeof(*out));
    out->prog = p;
    if (parse_lits_and(p, out))
        return true;
    memset(out, 0, sizeof(*out));
    out->prog = p;
    out->is_or = true;
    if (parse_lits_or(p, out))
        return true;
    memset(out, 0, sizeof(*out));
    out->prog = p;
    return false;
}

/* The tests p opens with that return false when false, into g (n 0: none). */
static void parse_guard(const dn__program *p, rule_guard *g)
{
    memset(g, 0, sizeof(*g));
    g->prog = p;
    uint32_t pc = 0;
    while (pc < p->len && g->n < FILTER_LITS_MAX) {
        filter_lit l;
        uint32_t at = pc;
        if (!parse_lit(p, &at, &l))
            break;
        bool is_retf = l.in.a & DN__RETF;
        if (!is_retf && at < p->len && p->code[at].op == OP_NOT) {
            l.is_not = true;
            is_retf = p->code[at].a & DN__RETF;
            at++;
        }
        if (!is_retf)
            break;
        g->lit[g->n++] = l;
        pc = at;
    }
    g->pc = pc;
}

/* The regex a program's first test matches its fixed field against, when a failed match makes
 * the program false (FIELD f, then MATCH, not negated, that returns false or is the result; the
 * regex prefiltered on f); -1 when the program opens otherwise. */
static int32_t regex_gate(const dn_ruleset *rs, const dn__program *p)
{
    if (p->len < 2 || p->code[0].op != OP_FIELD || p->code[1].op != OP_MATCH)
        return -1;
    const dn__insn *m = &p->code[1];
    bool is_decisive = (m->a & DN__RETF) || (p->len > 2 && p->code[2].op == OP_RET);
    if (!is_decisive || (m->a & 1) || m->b >= rs->regex_count)
        return -1;
    const dn__regex *re = &rs->regexes[m->b];
    if (!re->is_prefiltered || re->field < 0 || (uint32_t)re->field != p->code[0].b)
        return -1;
    return (int32_t)m->b;
}

/* Forgets the fields and `in` answers worked out for the event before. */
static void reset_field_caches(dn__lang_scratch *sc)
{
    sc->field_valid = 0;
    memset(sc->in_known, 0, 3 * (size_t)(sc->rs->set_count + 1) * sizeof(uint64_t));
}

/* Fills flat and vm_mask from run_mask and lits: false when memory ran out. */
static bool plan_flat(dn__lang_scratch *sc)
{
    for (int k = 0; k < DN__ENT_KIND_COUNT; k++) {
        for (int t = 0; t <= DN_EV_TYPE_COUNT; t++) {
            uint32_t n = 0;
            for (uint64_t m = sc->run_mask[k][t]; m; m &= m - 1)
                n += sc->lits[k][__builtin_ctzll(m)].n;
            sc->flat[k][t] = calloc(n + 1, sizeof(flat_lit));
            if (!sc->flat[k][t])
                return false;
            flat_lit *out = sc->flat[k][t];
            for (uint64_t m = sc->run_mask[k][t]; m; m &= m - 1) {
                uint32_t i = (uint32_t)__builtin_ctzll(m);
                const filter_lits *fl = &sc->lits[k][i];
                if (fl->n == 0) {
                    sc->vm_mask[k][t] |= 1ull << i;
                    continue;
                }
                for (uint32_t j = 0; j < fl->n; j++)
                    *out++ = (flat_lit){.lit = fl->lit[j],
                                        .prog = fl->prog,
                                        .on_stop = fl->is_or ? 1ull << i : 0,
                                        .on_go = !fl->is_or && j + 1 == fl->n ? 1ull << i : 0,
                                        .is_or = fl->is_or,
                                        .skip = (uint8_t)(fl->n - j)};
            }
            sc->flat_n[k][t] = (uint32_t)(out - sc->flat[k][t]);
        }
    }
    return true;
}

/* Fills type_bits, run_mask and lits (see the scratch): false when memory ran out. */
static bool plan_filters(dn__lang_scratch *sc)
{
    const dn_ruleset *rs = sc->rs;
    for (int k = 0; k < DN__ENT_KIND_COUNT; k++) {
        sc->lits[k] = calloc(rs->filter_count[k] + 1, sizeof(*sc->lits[k]));
        if (!sc->lits[k])
            return false;
        for (uint32_t i = 0; i < rs->filter_count[k]; i++) {
            const dn__program *p = &rs->filters[k][i].prog;
            if (!parse_lits(p, &sc->lits[k][i]))
                sc->lits[k][i].n = 0;
            if (!is_type_only(p)) {
                int only = only_type(p);
                for (int t = 0; t <= DN_EV_TYPE_COUNT; t++)
                    if (only < 0 || only == t)
                        sc->run_mask[k][t] |= 1ull << i;
                continue;
            }
            for (int t = 0; t < DN_EV_TYPE_COUNT; t++) {
                dn_event ev = {.type = (dn_event_type)t};
                sc->ev = &ev;
                reset_field_caches(sc);
                if (run_filter(sc, p, DN__ROLE_SRC))
                    sc->type_bits[k][t] |= 1ull << i;
            }
        }
    }
    sc->ev = NULL;
    reset_field_caches(sc);
    return plan_flat(sc);
}

int dn__lang_scratch_new(const dn_ruleset *rs, dn__lang_scratch **out)
{
    *out = NULL;
    dn__lang_scratch *sc = calloc(1, sizeof(*sc));
    if (!sc)
        return DN_ENOMEM;
    sc->rs = rs;
    uint32_t nre = rs->regex_count + 1, nr = rs->rule_count + 1;
    sc->stack = calloc(rs->max_stack + 2, sizeof(*sc->stack));
    sc->marks = calloc(rs->max_marks + 1, sizeof(*sc->marks));
    sc->wit = calloc(rs->total_sites + 1, sizeof(*sc->wit));
    sc->fired = calloc(nre, 1);
    sc->cache = calloc(nre, 1);
    uint32_t nset = rs->set_count + 1;
    sc->in_known = calloc(3 * (size_t)nset, sizeof(uint64_t));
    if (sc->in_known) {
        sc->in_answered = sc->in_known + nset;
        sc->in_member = sc->in_answered + nset;
    }
    sc->hits = calloc(nr, sizeof(*sc->hits));
    sc->because_cap = rs->total_sites + 1;
    sc->because = calloc(sc->because_cap, sizeof(*sc->because));
    sc->ids_cap = nr * EVENT_IDS_MAX;
    sc->ids = calloc(sc->ids_cap, sizeof(*sc->ids));
    sc->text_cap = (size_t)sc->because_cap * DN__BECAUSE_MAX;
    sc->text = malloc(sc->text_cap);
    sc->why_cap = (size_t)sc->because_cap * DN__WHY_MAX;
    sc->why = malloc(sc->why_cap);
    sc->md = pcre2_match_data_create(1, NULL);
    sc->mctx = pcre2_match_context_create(NULL);
    sc->jstack = pcre2_jit_stack_create(JIT_STACK_MIN, JIT_STACK_MAX, NULL);
    if (!sc->stack || !sc->marks || !sc->wit || !sc->fired || !sc->cache || !sc->in_known ||
        !sc->hits || !sc->because || !sc->ids || !sc->text || !sc->why || !sc->md || !sc->mctx ||
        !sc->jstack)
        goto oom;
    pcre2_set_match_limit(sc->mctx, MATCH_LIMIT);
    pcre2_set_depth_limit(sc->mctx, MATCH_LIMIT);
    pcre2_jit_stack_assign(sc->mctx, NULL, sc->jstack);
    for (uint32_t i = 0; i < rs->db_count; i++)
        if (hs_alloc_scratch(rs->dbs[i].db, &sc->hs) != HS_SUCCESS)
            goto oom;
    for (int k = 0; k < DN__ENT_KIND_COUNT; k++)
        sc->is_filter_role_free[k] = filters_role_free(rs, (dn__entity_kind)k);
    if (!plan_filters(sc))
        goto oom;
    sc->guards = calloc(nr, sizeof(*sc->guards));
    if (!sc->guards)
        goto oom;
    for (uint32_t i = 0; i < rs->rule_count; i++) {
        parse_guard(&rs->rules[i].prog, &sc->guards[i]);
        sc->guards[i].gate = regex_gate(rs, &rs->rules[i].prog);
    }
    sc->re_db = malloc(nre);
    if (!sc->re_db)
        goto oom;
    for (uint32_t r = 0; r < nre; r++) {
        sc->re_db[r] = -1;
        for (uint32_t i = 0; r < rs->regex_count && i < rs->db_count; i++)
            if (rs->regexes[r].field >= 0 && rs->dbs[i].field == rs->regexes[r].field)
                sc->re_db[r] = (int8_t)i;
    }
    if (rs->regex_count <= 64 && rs->db_count > 0) {
        sc->memo = calloc((size_t)rs->db_count * MEMO_SLOTS, sizeof(*sc->memo));
        if (!sc->memo)
            goto oom;
    }
    const char *env = getenv("DRAGNET_NO_PREFILTER");
    sc->is_prefilter_on = !rs->no_prefilter && !(env && env[0] == '1');
    sc->is_filter_tests_on = true;
    *out = sc;
    return 0;
oom:
    dn__lang_scratch_free(sc);
    return DN_ENOMEM;
}

void dn__lang_scratch_set_prefilter(dn__lang_scratch *sc, bool on)
{
    sc->is_prefilter_on = on;
}

void dn__lang_scratch_defer_because(dn__lang_scratch *sc, bool on)
{
    sc->is_because_deferred = on;
}

void dn__lang_scratch_set_filter_tests(dn__lang_scratch *sc, bool on)
{
    sc->is_filter_tests_on = on;
}

bool dn__lang_filter_is_fast(const dn__lang_scratch *sc, dn__entity_kind k, uint32_t i)
{
    return (unsigned)k < DN__ENT_KIND_COUNT && i < sc->rs->filter_count[k] && sc->lits[k][i].n > 0;
}

void dn__lang_stats_get(const dn__lang_scratch *sc, dn__lang_stats *out)
{
    *out = sc->stats;
}

/* ---- fields ----------------------------------------------------------------------------- */

static void set_str(dn__value *v, dn_str s)
{
    v->type = T_STRING;
    v->v.s = s;
    v->is_missing = s.ptr == NULL;
}

/* ISO codes are at most 3 letters (currency; countries 2), NUL-terminated in the event */
static void set_code(dn__value *v, const char *code)
{
    uint32_t n = 0;
    while (n < 3 && code[n])
        n++;
    v->type = T_STRING;
    v->v.s = (dn_str){code, n};
    v->is_missing = n == 0;
}

static const dn_str type_strs[DN_EV_TYPE_COUNT] = {
#define DN__TYPE_STR(name, text) {text, sizeof(text) - 1},
    DN_EVENT_TYPE_MAP(DN__TYPE_STR)
#undef DN__TYPE_STR
};

static dn_str counterparty(const dn_event *ev, dn__role role)
{
    return role == DN__ROLE_SRC ? ev->dst : ev->src;
}

static void get_field(const dn__lang_scratch *sc, dn__role role, uint32_t f, dn__value *v)
{
    const dn_event *ev = sc->ev;
    memset(v, 0, sizeof(*v));
    switch ((dn__field_id)f) {
    case F_ID:
        set_str(v, ev->id);
        break;
    case F_TS:
        v->type = T_TIME;
        v->v.i = ev->ts_ms;
        break;
    case F_TYPE:
        v->type = T_STRING;
        v->is_missing = (unsigned)ev->type >= DN_EV_TYPE_COUNT;
        if (!v->is_missing)
            v->v.s = type_strs[ev->type];
        break;
    case F_AMOUNT:
        v->type = T_MONEY;
        v->v.i = sc->amount;
        v->is_missing = !ev->has_amount;
        break;
    case F_CURRENCY:
        set_code(v, ev->currency);
        break;
    case F_SRC:
        set_str(v, ev->src);
        break;
    case F_DST:
        set_str(v, ev->dst);
        break;
    case F_SRC_NAME:
        set_str(v, ev->src_name);
        break;
    case F_DST_NAME:
        set_str(v, ev->dst_name);
        break;
    case F_SRC_COUNTRY:
        set_code(v, ev->src_country);
        break;
    case F_DST_COUNTRY:
        set_code(v, ev->dst_country);
        break;
    case F_SRC_BANK:
        set_str(v, ev->src_bank);
        break;
    case F_DST_BANK:
        set_str(v, ev->dst_bank);
        break;
    case F_REFERENCE:
        set_str(v, ev->reference);
        break;
    case F_PURPOSE:
        set_str(v, ev->purpose);
        break;
    case F_CHANNEL:
        set_str(v, ev->channel);
        break;
    case F_DEVICE:
        set_str(v, ev->device);
        break;
    case F_IP:
        set_str(v, ev->ip);
        break;
    case F_IP_COUNTRY:
        set_code(v, ev->ip_country);
        break;
    case F_MCC:
        v->type = T_NUMBER;
        v->v.d = ev->mcc;
        v->is_missing = !ev->has_mcc;
        break;
    case F_REMOTE_ACCESS:
        v->type = T_BOOL;
        v->v.b = ev->remote_access == 1;
        v->is_missing = ev->remote_access < 0;
        break;
    case F_BIRTH_YEAR:
        v->type = T_NUMBER;
        v->v.d = ev->customer.birth_year;
        v->is_missing = !ev->customer.has_birth_year;
        break;
    case F_OPENED:
        v->type = T_TIME;
        v->v.i = ev->customer.opened_ms;
        v->is_missing = !ev->customer.has_opened;
        break;
    case F_SEGMENT:
        set_str(v, ev->customer.segment);
        break;
    case F_RESIDENCE:
        set_code(v, ev->customer.residence);
        break;
    case F_COUNTERPARTY:
        set_str(v, counterparty(ev, role));
        break;
    case F_COUNTERPARTY_COUNTRY:
        set_code(v, role == DN__ROLE_SRC ? ev->dst_country : ev->src_country);
        break;
    default:
        v->is_missing = true;
    }
}

_Static_assert(F_COUNT_ <= 64, "field_valid has a bit per field");

/* get_field through the per-event cache: a field is decoded once per event, whichever rule or
 * role reads it; counterparty fields depend on the role and are not cached. */
static inline void field_value(dn__lang_scratch *sc, dn__role role, uint32_t f, dn__value *v)
{
    if (f == F_COUNTERPARTY || f == F_COUNTERPARTY_COUNTRY || f >= F_COUNT_) {
        get_field(sc, role, f, v);
        return;
    }
    if (!(sc->field_valid >> f & 1u)) {
        get_field(sc, role, f, &sc->fields[f]);
        sc->field_valid |= 1ull << f;
    }
    *v = sc->fields[f];
}

static void get_attr(const dn__lang_scratch *sc, dn_str key, dn__value *v)
{
    memset(v, 0, sizeof(*v));
    v->is_missing = true;
    v->type = T_DYN;
    const dn_attr *a = dn_event_attr(sc->ev, key.ptr, key.len);
    if (!a)
        return;
    switch (a->kind) {
    case DN_VAL_BOOL:
        v->type = T_BOOL;
        v->v.b = a->v.b;
        v->is_missing = false;
        break;
    case DN_VAL_INT:
        v->type = T_NUMBER;
        v->v.d = (double)a->v.i;
        v->is_missing = false;
        break;
    case DN_VAL_FLOAT:
        v->type = T_NUMBER;
        v->v.d = a->v.f;
        v->is_missing = false;
        break;
    case DN_VAL_STR:
        v->type = T_STRING;
        v->v.s = a->v.s;
        v->is_missing = false;
        break;
    default:
        break;
    }
}

/* ---- event ------------------------------------------------------------------------------ */

static int on_prefilter(unsigned int id, unsigned long long from, unsigned long long to,
                        unsigned int flags, void *ctx)
{
    (void)from;
    (void)to;
    (void)flags;
    ((uint8_t *)ctx)[id] = 1;
    return 0;
}

static uint64_t str_hash(dn_str s)
{
    return s.ptr && s.len > 0 ? dn__hash64(s.ptr, s.len) : 0;
}

void dn__lang_event_begin(dn__lang_scratch *sc, const dn_event *ev, int64_t amount_base_minor)
{
    dn__lang_event_begin_h(sc, ev, amount_base_minor, str_hash(ev->src), str_hash(ev->dst));
}

void dn__lang_event_begin_h(dn__lang_scratch *sc, const dn_event *ev, int64_t amount_base_minor,
                            uint64_t src_h, uint64_t dst_h)
{
    const dn_ruleset *rs = sc->rs;
    sc->ev = ev;
    sc->amount = amount_base_minor;
    reset_field_caches(sc);
    sc->hits[0].rule = 0;
    memset(sc->cache, -1, rs->regex_count + 1);
    memset(sc->has_filter_bits, 0, sizeof(sc->has_filter_bits));
    sc->src_h = src_h;
    sc->dst_h = dst_h;
    for (uint32_t i = 0; i < rs->db_count; i++)
        sc->memo_cur[i] = NULL;
    if (!sc->is_prefilter_on)
        return;
    memset(sc->fired, 0, rs->regex_count + 1);
    for (uint32_t i = 0; i < rs->db_count; i++) {
        dn__value v;
        get_field(sc, DN__ROLE_SRC, (uint32_t)rs->dbs[i].field, &v);
        if (v.is_missing)
            continue;
        re_memo *m = NULL;
        if (sc->memo && v.v.s.len <= MEMO_TEXT) {
            uint64_t h = dn__hash64(v.v.s.ptr, v.v.s.len);
            m = &sc->memo[(size_t)i * MEMO_SLOTS + (h & (MEMO_SLOTS - 1))];
            sc->memo_cur[i] = m;
            if (m->h == h && m->len == v.v.s.len && memcmp(m->text, v.v.s.ptr, v.v.s.len) == 0) {
                for (uint64_t b = m->fired; b; b &= b - 1)
                    sc->fired[__builtin_ctzll(b)] = 1;
                continue;
            }
            *m = (re_memo){.h = h, .len = v.v.s.len};
            memcpy(m->text, v.v.s.ptr, v.v.s.len);
        }
        hs_scan(rs->dbs[i].db, v.v.s.ptr ? v.v.s.ptr : "", v.v.s.len, 0, sc->hs, on_prefilter,
                sc->fired);
        for (uint32_t r = 0; m && r < rs->regex_count; r++)
            if (sc->fired[r] && sc->re_db[r] == (int8_t)i)
                m->fired |= 1ull << r;
    }
}

void dn__lang_event_end(dn__lang_scratch *sc)
{
    sc->ev = NULL;
    sc->because_n = 0;
    sc->ids_n = 0;
    sc->text_len = 0;
    sc->why_len = 0;
}

/* ---- operations ------------------------------------------------------------------------- */

static bool run_regex(dn__lang_scratch *sc, uint32_t ri, const dn__value *s)
{
    const dn__regex *re = &sc->rs->regexes[ri];
    bool is_cached = re->field >= 0;
    if (is_cached && sc->cache[ri] >= 0)
        return sc->cache[ri] == 1;
    re_memo *memo = is_cached && sc->re_db[ri] >= 0 ? sc->memo_cur[sc->re_db[ri]] : NULL;
    if (memo && (memo->known >> ri & 1u)) {
        sc->stats.memo_hits++;
        sc->cache[ri] = (int8_t)(memo->match >> ri & 1u);
        return sc->cache[ri] == 1;
    }
    bool m = false;
    if (is_cached && sc->is_prefilter_on && re->is_prefiltered && !sc->fired[ri]) {
        sc->stats.prefilter_skips++;
    } else {
        sc->stats.regex_runs++;
        int rc = pcre2_match(re->code, (PCRE2_SPTR)(s->v.s.ptr ? s->v.s.ptr : ""), s->v.s.len, 0, 0,
                             sc->md, sc->mctx);
        if (rc >= 0)
            m = true;
        else if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
                 rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT) {
            sc->stats.regex_limit_hits++;
            memo = NULL; /* counted once per event that hits the limit, as without the memo */
        }
    }
    if (is_cached)
        sc->cache[ri] = m;
    if (memo) {
        memo->known |= 1ull << ri;
        memo->match |= (uint64_t)m << ri;
    }
    return m;
}

static inline __attribute__((always_inline)) int cmp_values(int op, const dn__value *l,
                                                            const dn__value *r)
{
    if (l->is_missing || r->is_missing || l->type != r->type)
        return 0;
    int c;
    switch (l->type) {
    case T_NUMBER:
        c = l->v.d < r->v.d ? -1 : l->v.d > r->v.d ? 1 : 0;
        if (l->v.d != l->v.d || r->v.d != r->v.d)
            return 0;
        break;
    case T_BOOL:
        c = (int)l->v.b - (int)r->v.b;
        break;
    case T_STRING: {
        if (op == TK_EQ || op == TK_NE) {
            /* equality: lengths first, then the bytes (most `type == "..."` tests end at the
             * length or the first byte, without a call) */
            uint32_t len = l->v.s.len;
            bool eq = len == r->v.s.len;
            for (uint32_t i = 0; eq && i < len && i < 16; i++)
                eq = l->v.s.ptr[i] == r->v.s.ptr[i];
            if (eq && len > 16)
                eq = memcmp(l->v.s.ptr + 16, r->v.s.ptr + 16, len - 16) == 0;
            return op == TK_EQ ? eq : !eq;
        }
        uint32_t n = l->v.s.len < r->v.s.len ? l->v.s.len : r->v.s.len;
        c = n ? memcmp(l->v.s.ptr, r->v.s.ptr, n) : 0;
        if (c == 0)
            c = l->v.s.len < r->v.s.len ? -1 : l->v.s.len > r->v.s.len;
        break;
    }
    default:
        c = l->v.i < r->v.i ? -1 : l->v.i > r->v.i;
    }
    switch (op) {
    case TK_EQ:
        return c == 0;
    case TK_NE:
        return c != 0;
    case TK_LT:
        return c < 0;
    case TK_LE:
        return c <= 0;
    case TK_GT:
        return c > 0;
    case TK_GE:
        return c >= 0;
    }
    return 0;
}

static void builtin(dn__lang_scratch *sc, int fn, dn__value *v)
{
    if (v->is_missing)
        return;
    switch (fn) {
    case FN_HOUR:
    case FN_YEAR: {
        int64_t ms = v->v.i;
        time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
        struct tm tm;
        if (!gmtime_r(&secs, &tm)) {
            v->is_missing = true;
            break;
        }
        v->type = T_NUMBER;
        v->v.d = fn == FN_HOUR ? tm.tm_hour : tm.tm_year + 1900;
        break;
    }
    case FN_LEN:
        v->type = T_NUMBER;
        v->v.d = v->v.s.len;
        break;
    case FN_LOWER: {
        if (sc->lower_len + v->v.s.len > LOWER_BUF) {
            v->is_missing = true;
            break;
        }
        char *d = sc->lower + sc->lower_len;
        for (uint32_t i = 0; i < v->v.s.len; i++) {
            char ch = v->v.s.ptr[i];
            d[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
        }
        v->v.s.ptr = d;
        sc->lower_len += v->v.s.len;
        break;
    }
    case FN_ABS:
        if (v->type == T_NUMBER)
            v->v.d = v->v.d < 0 ? -v->v.d : v->v.d;
        else if (v->v.i == INT64_MIN)
            v->is_missing = true;
        else if (v->v.i < 0)
            v->v.i = -v->v.i;
        break;
    }
}

/* The counterparty's hash for role: counterparty() is dst for src, src for every other role. */
static uint64_t cp_hash(const dn__lang_scratch *sc, dn__role role)
{
    return role == DN__ROLE_SRC ? sc->dst_h : sc->src_h;
}

typedef struct run_ctx {
    dn__role role;
    uint64_t cp_h; /* hash of the counterparty for this role (pair aggregates) */
    const dn__state *st;
    const dn__entity *e;
    const dn__observation *pre;
    bool witness;
} run_ctx;

static void witness_add(dn__lang_scratch *sc, const run_ctx *x, uint16_t site, const dn__value *l,
                        const dn__value *r)
{
    if (!x->witness)
        return;
    witness *w = &sc->wit[sc->wit_n++];
    w->site = site;
    if (l)
        w->l = *l;
    if (r)
        w->r = *r;
}

/* Offsets (plus one) of the event's plain string fields, which get_field reads as they are. */
static const uint16_t str_field_off1[F_COUNT_] = {
    [F_ID] = offsetof(dn_event, id) + 1,
    [F_SRC] = offsetof(dn_event, src) + 1,
    [F_DST] = offsetof(dn_event, dst) + 1,
    [F_SRC_NAME] = offsetof(dn_event, src_name) + 1,
    [F_DST_NAME] = offsetof(dn_event, dst_name) + 1,
    [F_SRC_BANK] = offsetof(dn_event, src_bank) + 1,
    [F_DST_BANK] = offsetof(dn_event, dst_bank) + 1,
    [F_REFERENCE] = offsetof(dn_event, reference) + 1,
    [F_PURPOSE] = offsetof(dn_event, purpose) + 1,
    [F_CHANNEL] = offsetof(dn_event, channel) + 1,
    [F_DEVICE] = offsetof(dn_event, device) + 1,
    [F_IP] = offsetof(dn_event, ip) + 1,
    [F_SEGMENT] = offsetof(dn_event, customer.segment) + 1,
};

/* `field op constant` straight from the event for the two common kinds, a plain string field
 * against a string (== and !=) and the amount against money, with cmp_values' answers (a
 * missing field compares false); -1 for every other kind. */
static inline int field_cmp_fast(const dn__lang_scratch *sc, uint32_t f, int op, const dn__value *k)
{
    if (k->type == T_STRING && (op == TK_EQ || op == TK_NE) && f < F_COUNT_ && str_field_off1[f]) {
        dn_str v;
        memcpy(&v, (const char *)sc->ev + str_field_off1[f] - 1, sizeof(v));
        if (!v.ptr || k->is_missing)
            return 0;
        bool eq = v.len == k->v.s.len && (v.len == 0 || memcmp(v.ptr, k->v.s.ptr, v.len) == 0);
        return op == TK_EQ ? eq : !eq;
    }
    if (f == F_AMOUNT && k->type == T_MONEY) {
        if (!sc->ev->has_amount || k->is_missing)
            return 0;
        int64_t a = sc->amount, b = k->v.i;
        switch (op) {
        case TK_EQ:
            return a == b;
        case TK_NE:
            return a != b;
        case TK_LT:
            return a < b;
        case TK_LE:
            return a <= b;
        case TK_GT:
            return a > b;
        case TK_GE:
            return a >= b;
        }
        return 0;
    }
    return -1;
}

/* Membership of l in set: 1 in, 0 not in, -1 when neither answer holds (l missing, or not of the
 * set's kind). */
static int value_in_set(const dn__set *set, const dn__value *l)
{
    if (l->is_missing)
        return -1;
    if (l->type == T_STRING && !set->is_num)
        return dn__lang_set_has_str(set, l->v.s);
    if (l->type == T_NUMBER && set->is_num)
        return dn__lang_set_has_num(set, l->v.d);
    return -1;
}

/* value_in_set for event field f, worked out once per event for a role-free field: the same
 * `customer.segment in $kyc.business_segments` opens many rules and filters. */
static inline int field_in_set_first(dn__lang_scratch *sc, dn__role role, uint32_t f, uint32_t set)
{
    const dn__set *s = &sc->rs->sets[set];
    int m;
    if (str_field_off1[f]) { /* a plain string field: value_in_set without the copy */
        dn_str v;
        memcpy(&v, (const char *)sc->ev + str_field_off1[f] - 1, sizeof(v));
        m = !v.ptr || s->is_num ? -1 : dn__lang_set_has_str(s, v);
    } else {
        dn__value l;
        field_value(sc, role, f, &l);
        m = value_in_set(s, &l);
    }
    uint64_t bit = 1ull << f;
    sc->in_known[set] |= bit;
    if (m >= 0)
        sc->in_answered[set] |= bit;
    if (m > 0)
        sc->in_member[set] |= bit;
    return m;
}

static inline int field_in_set(dn__lang_scratch *sc, dn__role role, uint32_t f, uint32_t set)
{
    if (f == F_COUNTERPARTY || f == F_COUNTERPARTY_COUNTRY || f >= F_COUNT_) {
        dn__value l;
        get_field(sc, role, f, &l);
        return value_in_set(&sc->rs->sets[set], &l);
    }
    uint64_t bit = 1ull << f;
    if (!(sc->in_known[set] & bit))
        return field_in_set_first(sc, role, f, set);
    if (!(sc->in_answered[set] & bit))
        return -1;
    return (sc->in_member[set] & bit) != 0;
}

static bool truthy(const dn__value *v)
{
    return !v->is_missing && v->type == T_BOOL && v->v.b;
}

/* The end of a condition instruction: its bool goes on the stack (PUSH) or replaces the top
 * (REPLACE_TOP); with DN__RETF in a, false returns false and true leaves nothing. */
#define PUSH(res)                                                                                  \
    do {                                                                                           \
        if (!(in->a & DN__RETF))                                                                   \
            *sp++ = (dn__value){.type = T_BOOL, .v.b = (res)};                                     \
        else if (!(res))                                                                           \
            return false;                                                                          \
    } while (0)
#define REPLACE_TOP(res)                                                                           \
    do {                                                                                           \
        if (!(in->a & DN__RETF))                                                                   \
            sp[-1] = (dn__value){.type = T_BOOL, .v.b = (res)};                                    \
        else if (!(res))                                                                           \
            return false;                                                                          \
        else                                                                                       \
            sp--;                                                                                  \
    } while (0)

/* Runs one program from instruction pc (0, or past tests that leave the stack empty); returns its
 * boolean result. */
static inline __attribute__((always_inline)) bool run(dn__lang_scratch *sc, const dn__program *p,
                                                      const run_ctx *x, uint32_t pc)
{
    dn__value *sp = sc->stack; /* next free slot */
    const dn__insn *code = p->code;
    for (;;) {
        const dn__insn *in = &code[pc++];
        switch ((dn__opcode)in->op) {
        case OP_CONST:
            *sp++ = p->consts[in->b];
            break;
        case OP_FIELD:
            field_value(sc, x->role, in->b, sp++);
            break;
        case OP_ATTR:
            get_attr(sc, p->consts[in->b].v.s, sp++);
            break;
        case OP_AGG: {
            dn__agg_value av = {0};
            dn__state_agg(x->st, x->e, in->b, sc->ev->ts_ms, x->cp_h, &av);
            memset(sp, 0, sizeof(*sp));
            sp->type = in->a;
            if (in->a == T_NUMBER)
                sp->v.d = av.is_double ? av.d : (double)av.i;
            else
                sp->v.i = av.is_double ? (int64_t)llround(av.d) : av.i;
            sp++;
            const dn__insn *nx = &code[pc];
            if (nx->op == OP_CMPC && (nx->a & DN__RETF)) {
                /* the CMPC that returns on false after an aggregate, as most rules open
                 * (`sum(...) >= x and ...`): here, without a dispatch or the stack */
                const dn__value *r = &p->consts[nx->b];
                if (!cmp_values(nx->a & ~DN__RETF, sp - 1, r))
                    return false;
                witness_add(sc, x, nx->c, sp - 1, r);
                sp--;
                pc++;
            }
            bool seen = false;
            for (uint32_t i = 0; i < sc->slots_read_n; i++)
                seen |= sc->slots_read[i] == in->b;
            if (!seen && sc->slots_read_n < SLOTS_READ_MAX)
                sc->slots_read[sc->slots_read_n++] = in->b;
            break;
        }
        case OP_NEWCP:
            *sp = (dn__value){.type = T_BOOL, .v.b = x->pre && x->pre->is_new_counterparty};
            sp->is_missing = !x->pre;
            sp++;
            break;
        case OP_AGE: {
            /* the event's own customer.opened (the src customer) wins over what state held */
            const dn_customer *cu = &sc->ev->customer;
            bool is_own = x->role == DN__ROLE_SRC && cu->has_opened;
            *sp = (dn__value){.type = T_DURATION, .is_missing = !x->pre && !is_own};
            if (is_own)
                sp->v.i = sc->ev->ts_ms - cu->opened_ms;
            else if (x->pre)
                sp->v.i = sc->ev->ts_ms - x->pre->opened_ms;
            sp++;
            break;
        }
        case OP_FIRST_SEEN:
            *sp = (dn__value){.type = T_TIME, .is_missing = !x->pre};
            if (x->pre)
                sp->v.i = x->pre->first_seen_ms;
            sp++;
            break;
        case OP_SINCE_LAST: {
            *sp = (dn__value){.type = T_DURATION, .is_missing = true};
            if (x->pre && x->pre->last_ms[in->a & 3] != INT64_MIN) {
                sp->v.i = sc->ev->ts_ms - x->pre->last_ms[in->a & 3];
                sp->is_missing = false;
            }
            sp++;
            break;
        }
        case OP_HITS:
            *sp = (dn__value){.type = T_NUMBER};
            sp->v.d = dn__state_hits(x->st, x->e, in->b, p->consts[in->c].v.i, sc->ev->ts_ms);
            sp++;
            break;
        case OP_NOW:
            *sp++ = (dn__value){.type = T_TIME, .v.i = sc->ev->ts_ms};
            break;
        case OP_CALL:
            builtin(sc, in->a, sp - 1);
            break;
        case OP_NEG: {
            dn__value r;
            if (!dn__lang_value_arith(TK_MINUS, sp - 1, NULL, &r))
                r = (dn__value){.type = sp[-1].type, .is_missing = true};
            sp[-1] = r;
            break;
        }
        case OP_ADD:
        case OP_SUB:
        case OP_MUL:
        case OP_DIV: {
            static const int ops[] = {TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH};
            dn__value r;
            sp--;
            if (!dn__lang_value_arith(ops[in->op - OP_ADD], sp - 1, sp, &r))
                r.is_missing = true;
            sp[-1] = r;
            break;
        }
        case OP_CMP: {
            sp--;
            bool res = cmp_values(in->a & ~DN__RETF, sp - 1, sp);
            if (res)
                witness_add(sc, x, in->c, sp - 1, sp);
            REPLACE_TOP(res);
            break;
        }
        case OP_CMPC: {
            const dn__value *r = &p->consts[in->b];
            bool res = cmp_values(in->a & ~DN__RETF, sp - 1, r);
            if (res)
                witness_add(sc, x, in->c, sp - 1, r);
            REPLACE_TOP(res);
            break;
        }
        case OP_CMPFC: {
            dn__value l;
            const dn__value *r = &p->consts[in->b >> 8];
            uint32_t f = in->b & 255;
            int op = in->a & ~DN__RETF;
            int fast = field_cmp_fast(sc, f, op, r);
            bool res;
            if (fast >= 0) {
                res = fast;
                if (res && x->witness) {
                    field_value(sc, x->role, f, &l);
                    witness_add(sc, x, in->c, &l, r);
                }
            } else {
                field_value(sc, x->role, f, &l);
                res = cmp_values(op, &l, r);
                if (res)
                    witness_add(sc, x, in->c, &l, r);
            }
            PUSH(res);
            break;
        }
        case OP_TYPEIS: {
            dn_event_type t = sc->ev->type;
            bool is_valid = (unsigned)t < DN_EV_TYPE_COUNT;
            bool is_eq = t == (dn_event_type)(in->b & 255);
            bool res = is_valid && ((in->a & ~DN__RETF) == TK_EQ ? is_eq : !is_eq);
            if (res && x->witness) {
                dn__value l;
                field_value(sc, x->role, F_TYPE, &l);
                witness_add(sc, x, in->c, &l, &p->consts[in->b >> 8]);
            }
            PUSH(res);
            break;
        }
        case OP_INF: {
            uint32_t f = in->b >> 24;
            int m = field_in_set(sc, x->role, f, in->b & 0xffffffu);
            bool res = m >= 0 && ((in->a & 1) ? !m : m);
            if (res && x->witness) {
                dn__value l;
                field_value(sc, x->role, f, &l);
                witness_add(sc, x, in->c, &l, NULL);
            }
            PUSH(res);
            break;
        }
        case OP_IN: {
            dn__value *l = sp - 1;
            int m = value_in_set(&sc->rs->sets[in->b & 0xffffffu], l);
            bool res = m >= 0 && ((in->a & 1) ? !m : m);
            if (res)
                witness_add(sc, x, in->c, l, NULL);
            REPLACE_TOP(res);
            break;
        }
        case OP_MATCH: {
            dn__value *l = sp - 1;
            bool res = false;
            if (!l->is_missing && l->type == T_STRING) {
                bool m = run_regex(sc, in->b, l);
                res = (in->a & 1) ? !m : m;
            }
            if (res)
                witness_add(sc, x, in->c, l, NULL);
            REPLACE_TOP(res);
            break;
        }
        case OP_TEST: {
            bool res = truthy(sp - 1);
            if (res)
                witness_add(sc, x, in->c, sp - 1, NULL);
            REPLACE_TOP(res);
            break;
        }
        case OP_NOT: {
            bool res = !truthy(sp - 1);
            if (res)
                witness_add(sc, x, in->c, NULL, NULL);
            REPLACE_TOP(res);
            break;
        }
        case OP_JF:
            if (!truthy(sp - 1)) {
                if (in->a)
                    return false;
                pc = in->b;
            } else {
                sp--;
            }
            break;
        case OP_JT:
            if (truthy(sp - 1))
                pc = in->b;
            else
                sp--;
            break;
        case OP_MARK:
            sc->marks[in->a] = sc->wit_n;
            break;
        case OP_RESET:
            sc->wit_n = sc->marks[in->a];
            break;
        case OP_RET:
            return truthy(sp - 1);
        default:
            return false;
        }
    }
}

static bool run_filter(dn__lang_scratch *sc, const dn__program *p, dn__role role)
{
    run_ctx x = {.role = role};
    sc->lower_len = 0;
    return run(sc, p, &x, 0);
}

/* One test of a filter_lits, as the VM would work it out (no witnesses: filters have none). */
static inline bool filter_test(dn__lang_scratch *sc, dn__role role, const filter_lit *l,
                               const dn__program *p)
{
    const dn__insn *in = &l->in;
    int op = in->a & ~DN__RETF;
    bool res;
    switch ((dn__opcode)in->op) {
    case OP_TYPEIS: {
        dn_event_type t = sc->ev->type;
        bool is_eq = t == (dn_event_type)(in->b & 255);
        res = (unsigned)t < DN_EV_TYPE_COUNT && (op == TK_EQ ? is_eq : !is_eq);
        break;
    }
    case OP_INF: {
        int m = field_in_set(sc, role, in->b >> 24, in->b & 0xffffffu);
        res = m >= 0 && ((in->a & 1) ? !m : m);
        break;
    }
    case OP_CMPFC: {
        const dn__value *k = &p->consts[in->b >> 8];
        int fast = field_cmp_fast(sc, in->b & 255, op, k);
        if (fast >= 0) {
            res = fast;
        } else {
            dn__value v;
            field_value(sc, role, in->b & 255, &v);
            res = cmp_values(op, &v, k);
        }
        break;
    }
    default: { /* OP_MATCH on FIELD l->field */
        const dn__regex *re = &sc->rs->regexes[in->b];
        if (!(in->a & 1) && sc->is_prefilter_on && re->is_prefiltered &&
            re->field == (int)l->field && !sc->fired[in->b]) {
            sc->stats.prefilter_skips++; /* cannot match: no need to read the field */
            res = false;
            break;
        }
        dn__value v;
        field_value(sc, role, l->field, &v);
        res = false;
        if (!v.is_missing && v.type == T_STRING) {
            bool m = run_regex(sc, in->b, &v);
            res = (in->a & 1) ? !m : m;
        }
        break;
    }
    }
    return l->is_not ? !res : res;
}

uint64_t dn__lang_filters(dn__lang_scratch *sc, dn__role role)
{
    const dn_ruleset *rs = sc->rs;
    dn__entity_kind k = dn__role_kind(role);
    if (sc->has_filter_bits[k])
        return sc->filter_bits[k];
    run_ctx x = {.role = role};
    unsigned type = (unsigned)sc->ev->type;
    if (type > DN_EV_TYPE_COUNT)
        type = DN_EV_TYPE_COUNT;
    uint64_t bits = type < DN_EV_TYPE_COUNT ? sc->type_bits[k][type] : 0;
    uint64_t vm = sc->run_mask[k][type];
    if (sc->is_filter_tests_on) {
        vm = sc->vm_mask[k][type];
        const flat_lit *l = sc->flat[k][type], *end = l + sc->flat_n[k][type];
        while (l < end) {
            if (filter_test(sc, role, &l->lit, l->prog) == l->is_or) {
                bits |= l->on_stop;
                l += l->skip;
            } else {
                bits |= l->on_go;
                l++;
            }
        }
    }
    for (; vm; vm &= vm - 1) {
        uint32_t i = (uint32_t)__builtin_ctzll(vm);
        sc->lower_len = 0;
        if (run(sc, &rs->filters[k][i].prog, &x, 0))
            bits |= 1ull << i;
    }
    if (sc->is_filter_role_free[k]) {
        sc->filter_bits[k] = bits;
        sc->has_filter_bits[k] = true;
    }
    return bits;
}

/* ---- hits ------------------------------------------------------------------------------- */

/* Equal ids: sequential ids share their start and differ at the end, so the last byte is
 * compared before the rest; the same stored string is equal at once. */
static inline bool same_id(dn_str a, dn_str b)
{
    if (a.len != b.len)
        return false;
    if (a.ptr == b.ptr || a.len == 0)
        return true;
    return a.ptr[a.len - 1] == b.ptr[a.len - 1] && memcmp(a.ptr, b.ptr, a.len - 1) == 0;
}

/* A cheap stand-in for an id in duplicate tests: its last (up to) 8 bytes and its length; equal
 * ids have equal fingerprints, and sequential ids differ in them. */
static inline uint64_t id_fingerprint(dn_str s)
{
    uint64_t w = 0;
    if (s.len >= 8)
        memcpy(&w, s.ptr + s.len - 8, 8);
    else if (s.len)
        memcpy(&w, s.ptr, s.len);
    return w ^ ((uint64_t)s.len << 56);
}

static void collect_ids(dn__lang_scratch *sc, const run_ctx *x, dn__lang_hit *h)
{
    dn_str *ids = sc->ids + sc->ids_n;
    uint64_t fps[EVENT_IDS_MAX];
    uint32_t n = 0;
    /* slots in plan order, not evaluation order, so reordering `and` never changes the ids */
    for (uint32_t i = 1; i < sc->slots_read_n; i++) {
        uint32_t v = sc->slots_read[i], j = i;
        while (j > 0 && sc->slots_read[j - 1] > v) {
            sc->slots_read[j] = sc->slots_read[j - 1];
            j--;
        }
        sc->slots_read[j] = v;
    }
    if (sc->ev->id.ptr) {
        fps[n] = id_fingerprint(sc->ev->id);
        ids[n++] = sc->ev->id;
    }
    for (uint32_t i = 0; i < sc->slots_read_n && n < EVENT_IDS_MAX && x->st && x->e; i++) {
        dn_str tmp[EVENT_IDS_MAX];
        uint32_t got = dn__state_agg_event_ids(x->st, x->e, sc->slots_read[i], sc->ev->ts_ms,
                                               x->cp_h, tmp, EVENT_IDS_MAX);
        for (uint32_t k = 0; k < got && n < EVENT_IDS_MAX; k++) {
            uint64_t fp = id_fingerprint(tmp[k]);
            bool dup = false;
            for (uint32_t j = 0; j < n && !dup; j++)
                dup = fps[j] == fp && same_id(ids[j], tmp[k]);
            if (!dup) {
                fps[n] = fp;
                ids[n++] = tmp[k];
            }
        }
    }
    h->event_ids = ids;
    h->event_id_count = n;
    sc->ids_n += n;
}

static void explain(dn__lang_scratch *sc, const dn__program *p, dn__lang_hit *h)
{
    /* order the witnesses as they appear in the source */
    for (uint32_t i = 1; i < sc->wit_n; i++) {
        witness w = sc->wit[i];
        uint32_t j = i;
        while (j > 0 && p->sites[sc->wit[j - 1].site].off > p->sites[w.site].off) {
            sc->wit[j] = sc->wit[j - 1];
            j--;
        }
        sc->wit[j] = w;
    }
    h->why = NULL;
    h->why_len = 0;
    if (sc->is_because_deferred) {
        /* the records of the lines the loop below would write (it never runs out of text) */
        h->because = NULL;
        h->because_count = 0;
        unsigned char *start = sc->why + sc->why_len, *w = start;
        for (uint32_t i = 0; i < sc->wit_n && sc->because_n < sc->because_cap; i++) {
            const witness *wi = &sc->wit[i];
            w += dn__lang_why_put(&p->sites[wi->site], wi->site, &wi->l, &wi->r, w);
            sc->because_n++;
            h->because_count++;
        }
        h->why = start;
        h->why_len = (uint32_t)(w - start);
        sc->why_len += h->why_len;
        return;
    }
    h->because = sc->because + sc->because_n;
    h->because_count = 0;
    for (uint32_t i = 0; i < sc->wit_n && sc->because_n < sc->because_cap; i++) {
        const witness *w = &sc->wit[i];
        size_t room = sc->text_cap - sc->text_len;
        if (room < 2)
            break;
        char *dst = sc->text + sc->text_len;
        size_t len = dn__lang_explain_site(sc->rs, &p->sites[w->site], &w->l, &w->r, dst,
                                           room < DN__BECAUSE_MAX ? room : DN__BECAUSE_MAX);
        sc->because[sc->because_n++] = (dn_str){dst, (uint32_t)len};
        sc->text_len += len + 1;
        h->because_count++;
    }
}

int dn__lang_eval(dn__lang_scratch *sc, dn__role role, const dn__state *st, const dn__entity *e,
                  const dn__observation *pre, const dn__lang_hit **hits, uint32_t *hit_count)
{
    const dn_ruleset *rs = sc->rs;
    sc->because_n = 0;
    sc->ids_n = 0;
    sc->text_len = 0;
    sc->why_len = 0;
    uint32_t n = 0;
    run_ctx x = {.role = role, .st = st, .e = e, .pre = pre, .witness = true};
    x.cp_h = cp_hash(sc, role);
    if ((unsigned)role >= DN__ROLE_COUNT) {
        *hits = sc->hits;
        *hit_count = 0;
        return DN_EINVAL;
    }
    unsigned type = (unsigned)sc->ev->type;
    uint32_t count = type < DN_EV_TYPE_COUNT ? rs->role_rule_count[role][type] : 0;
    const uint32_t *list = count ? rs->role_rules[role][type] : NULL;
    bool is_prefilter_on = sc->is_prefilter_on;
    for (uint32_t k = 0; k < count; k++) {
        uint32_t i = list[k];
        const rule_guard *g = &sc->guards[i];
        if (g->gate >= 0 && is_prefilter_on && !sc->fired[g->gate]) {
            sc->stats.prefilter_skips++; /* its regex cannot match: what MATCH would find */
            continue;
        }
        bool pass = true;
        uint32_t start = sc->is_filter_tests_on ? g->pc : 0;
        for (uint32_t j = 0; start && j < g->n && pass; j++)
            pass = filter_test(sc, role, &g->lit[j], g->prog);
        if (!pass)
            continue;
        sc->wit_n = 0;
        sc->slots_read_n = 0;
        sc->lower_len = 0;
        if (!run(sc, g->prog, &x, start))
            continue;
        if (start) {
            /* a hit: again from the start for the guard's witnesses, with the same answers (state,
             * fields and regex results are as they were); the stats count the work once */
            dn__lang_stats stats = sc->stats;
            sc->wit_n = 0;
            sc->slots_read_n = 0;
            sc->lower_len = 0;
            bool is_hit = run(sc, g->prog, &x, 0);
            sc->stats = stats;
            if (!is_hit)
                continue;
        }
        dn__lang_hit *h = &sc->hits[n++];
        h->rule = i;
        explain(sc, g->prog, h);
        collect_ids(sc, &x, h);
    }
    *hits = sc->hits;
    *hit_count = n;
    return 0;
}
