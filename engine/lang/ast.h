/*
 * ast.h - internal types shared by the rule compiler and the VM (engine/lang only).
 *
 * Pipeline: lexer.c (tokens with spans) -> parser.c (AST, one per file, recovery at the next
 * top-level keyword) -> check.c (names, types, folding via fold.c, plan per entity kind) ->
 * codegen.c (flat bytecode per rule, per where-filter) -> vm.c (evaluation, witnesses) with
 * regex.c (PCRE2 + vectorscan prefilter) and explain.c (because strings).
 *
 * Ownership: every AST node, token text, constant, program and table lives in the rule set's one
 * arena (dn_ruleset.arena). The only things outside the arena are the PCRE2 codes and vectorscan
 * databases, which ruleset.c frees when the last reference goes. Diagnostics live in their own
 * dn_diags (diag.c) so that they survive a failed compile.
 *
 * Invariant after a successful check: every expression node has a type other than T_ERROR, every
 * name is resolved (params folded into constants, lists and rules into indexes).
 */
#ifndef DN_LANG_AST_H
#define DN_LANG_AST_H

#include "common/arena.h"
#include "dragnet/error.h"
#include "dragnet/event.h"
#include "dragnet/rules.h"
#include "lang/lang.h"
#include "lang/lang_internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- source positions --------------------------------------------------------------------- */

typedef struct dn__src {
    const char *name; /* file name as shown in diagnostics */
    const char *text; /* NUL-terminated copy in the arena */
    size_t len;
} dn__src;

typedef struct dn__span {
    const dn__src *src;
    uint32_t off, len; /* bytes */
    int line, col;     /* 1-based */
} dn__span;

/* ---- diagnostics (diag.c) ----------------------------------------------------------------- */

dn_diags *dn__lang_diags_new(void);
/* Adds a diagnostic at span (line/col 0 when span is NULL or has no source) for file `file`.
 * Returns 0 or DN_ENOMEM. */
int dn__lang_diag_add(dn_diags *d, const dn__span *sp, const char *file, const char *code,
                      const char *hint, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void dn__lang_diags_sort(dn_diags *d);
bool dn__lang_diags_oom(const dn_diags *d);
/* Edit distance based suggestion: the candidate closest to name (distance <= max(1, len/3)), or
 * NULL. */
const char *dn__lang_suggest(const char *name, const char *const *cands, size_t n);

/* ---- tokens (lexer.c) --------------------------------------------------------------------- */

typedef enum dn__tok_kind {
    TK_EOF,
    TK_IDENT,    /* letters, digits, _, . (starts with a letter or _) */
    TK_NUMBER,   /* 12, 0.8 */
    TK_DURATION, /* 24h, 500ms: num in .num, value in ms in .ival */
    TK_STRING,   /* "..." decoded into .text */
    TK_REGEX,    /* /.../flags: pattern in .text, flags in .flags */
    TK_PARAM,    /* $name: name in .text */
    TK_LBRACE,
    TK_RBRACE,
    TK_LPAREN,
    TK_RPAREN,
    TK_LBRACK,
    TK_RBRACK,
    TK_COMMA,
    TK_ASSIGN, /* = */
    TK_EQ,
    TK_NE,
    TK_LT,
    TK_LE,
    TK_GT,
    TK_GE,
    TK_PLUS,
    TK_MINUS,
    TK_STAR,
    TK_SLASH,
    TK_MATCH,   /* ~ */
    TK_NOMATCH, /* !~ */
    TK_ERROR    /* already diagnosed */
} dn__tok_kind;

typedef struct dn__token {
    dn__tok_kind kind;
    dn__span sp;
    const char *text; /* arena string: ident, decoded string, regex pattern, param name */
    uint32_t text_len;
    double num;
    int64_t ival;
    char flags[8]; /* regex flags */
    bool newline_before;
} dn__token;

typedef struct dn__lexer {
    const dn__src *src;
    size_t pos;
    int line, col;
    dn__arena *arena;
    dn_diags *diags;
    dn__tok_kind prev;
    int err; /* DN_ENOMEM once allocation failed */
} dn__lexer;

void dn__lang_lexer_init(dn__lexer *lx, const dn__src *src, dn__arena *a, dn_diags *d);
void dn__lang_lexer_next(dn__lexer *lx, dn__token *out);

/* ---- types -------------------------------------------------------------------------------- */

typedef enum dn__type {
    T_ERROR, /* already diagnosed: suppresses cascades */
    T_BOOL,
    T_NUMBER,
    T_MONEY,
    T_DURATION,
    T_TIME,
    T_STRING,
    T_LIST_STR,
    T_LIST_NUM,
    T_REGEX,
    T_DYN, /* attrs.<key>: takes the type of the other operand */
    T_DIR, /* in/out/any as a function argument */
    T_NAME /* a bare name as a function argument (distinct field, rule id) */
} dn__type;

const char *dn__lang_type_name(dn__type t);
/* The source text of a binary operator token ("+", ">=", "~", ...); "in" for TK_IDENT, which
 * stands for `in` / `not in` (see dn__expr.is_not). */
const char *dn__lang_op_text(int op);

/* ---- values ------------------------------------------------------------------------------- */

/* A runtime value. Money, duration and time are int64 (minor units of base, ms, ms since epoch);
 * numbers are double. is_missing: the field it came from was absent; comparisons reading it are
 * false and arithmetic on it stays missing. */
typedef struct dn__value {
    uint8_t type; /* dn__type */
    bool is_missing;
    union {
        int64_t i;
        double d;
        bool b;
        dn_str s;
        uint32_t idx; /* list/regex: index of the set or regex */
    } v;
} dn__value;

/* ---- expressions -------------------------------------------------------------------------- */

typedef enum dn__expr_kind {
    E_CONST, /* folded or literal value */
    E_LIST,  /* list literal: items in kids */
    E_REGEX, /* regex literal: pattern/flags */
    E_PARAM, /* $name before resolution */
    E_FIELD, /* event field (field id) */
    E_ATTR,  /* attrs.<key> */
    E_NAME,  /* a bare name: field, entity function without parens, dir, distinct field */
    E_CALL,  /* name(args) */
    E_UNARY, /* op: TK_MINUS or 'not' (TK_IDENT) */
    E_BINARY,
    E_AND,
    E_OR,
    E_NOT,
    E_SET /* resolved list: set index in ival, element type in type */
} dn__expr_kind;

typedef struct dn__expr dn__expr;
struct dn__expr {
    dn__expr_kind kind;
    dn__span sp;
    dn__span op_sp; /* the operator, for diagnostics */
    dn__type type;
    int op;           /* E_BINARY: dn__tok_kind, or TK_IDENT for `in` / `not in` (see is_not) */
    bool is_not;      /* `not in` */
    bool is_money;    /* E_CONST from a money literal (checks currency at check time) */
    const char *name; /* E_NAME, E_CALL, E_PARAM, E_ATTR key, E_REGEX pattern, money currency */
    uint32_t name_len;
    char flags[8]; /* E_REGEX */
    double num;    /* numeric literal before folding (money literal: major units) */
    dn__value val; /* E_CONST */
    int64_t ival;  /* E_FIELD: field id; E_SET: set index; E_REGEX: regex index */
    dn__expr **kids;
    uint32_t kid_count;
    dn__expr *where; /* E_CALL: the `where` filter expression */
    int cost;        /* evaluation cost, for reordering `and` */
};

/* ---- event fields ------------------------------------------------------------------------- */

#define DN__FIELD_MAP(X)                                                                           \
    X(ID, "id", T_STRING)                                                                          \
    X(TS, "ts", T_TIME)                                                                            \
    X(TYPE, "type", T_STRING)                                                                      \
    X(AMOUNT, "amount", T_MONEY)                                                                   \
    X(CURRENCY, "currency", T_STRING)                                                              \
    X(SRC, "src", T_STRING)                                                                        \
    X(DST, "dst", T_STRING)                                                                        \
    X(SRC_NAME, "src_name", T_STRING)                                                              \
    X(DST_NAME, "dst_name", T_STRING)                                                              \
    X(SRC_COUNTRY, "src_country", T_STRING)                                                        \
    X(DST_COUNTRY, "dst_country", T_STRING)                                                        \
    X(SRC_BANK, "src_bank", T_STRING)                                                              \
    X(DST_BANK, "dst_bank", T_STRING)                                                              \
    X(REFERENCE, "reference", T_STRING)                                                            \
    X(PURPOSE, "purpose", T_STRING)                                                                \
    X(CHANNEL, "channel", T_STRING)                                                                \
    X(DEVICE, "device", T_STRING)                                                                  \
    X(IP, "ip", T_STRING)                                                                          \
    X(IP_COUNTRY, "ip_country", T_STRING)                                                          \
    X(MCC, "mcc", T_NUMBER)                                                                        \
    X(REMOTE_ACCESS, "remote_access", T_BOOL)                                                      \
    X(BIRTH_YEAR, "customer.birth_year", T_NUMBER)                                                 \
    X(OPENED, "customer.opened", T_TIME)                                                           \
    X(SEGMENT, "customer.segment", T_STRING)                                                       \
    X(RESIDENCE, "customer.residence", T_STRING)                                                   \
    X(COUNTERPARTY, "counterparty", T_STRING)                                                      \
    X(COUNTERPARTY_COUNTRY, "counterparty_country", T_STRING)

typedef enum dn__field_id {
#define DN__FIELD_ENUM(id, name, type) F_##id,
    DN__FIELD_MAP(DN__FIELD_ENUM)
#undef DN__FIELD_ENUM
        F_COUNT_
} dn__field_id;

extern const char *const dn__lang_field_names[F_COUNT_];
extern const dn__type dn__lang_field_types[F_COUNT_];
/* True for fields whose value does not depend on the role (prefilter and regex cache apply). */
static inline bool dn__lang_field_is_fixed(int f)
{
    return f != F_COUNTERPARTY && f != F_COUNTERPARTY_COUNTRY;
}

/* ---- top-level items ---------------------------------------------------------------------- */

typedef struct dn__clause {
    const char *name;
    dn__span sp;
    dn__expr **args; /* `when`: one expression; others: comma-separated items */
    uint32_t arg_count;
    struct dn__clause *next;
} dn__clause;

typedef enum dn__item_kind {
    I_VERSION,
    I_BASE,
    I_MEMORY,
    I_PARAM,
    I_LIST,
    I_RULE,
    I_TYPOLOGY
} dn__item_kind;

typedef struct dn__item {
    dn__item_kind kind;
    dn__span sp;      /* the keyword */
    dn__span name_sp; /* the name */
    const char *name;
    const char *text; /* description, version string, list path, base code */
    dn__expr *value;  /* param value, memory duration */
    dn__clause *clauses;
    bool is_broken; /* had a syntax error: its name resolves, nothing else is checked */
    struct dn__item *next;
} dn__item;

/* Parses one file; appends its items to *items (in order). Returns 0 or DN_ENOMEM. */
int dn__lang_parse_file(const dn__src *src, dn__arena *a, dn_diags *d, dn__item ***tail);

/* ---- sets (lists.c) ----------------------------------------------------------------------- */

typedef struct dn__set {
    bool is_num;
    uint32_t count;
    uint64_t *hashes;     /* sorted (strings) */
    dn_str *strs;         /* parallel to hashes */
    uint64_t *shorts;     /* parallel: dn__set_short_word of each string, ~0 when longer */
    double *nums;         /* sorted (numbers) */
    const char *src_text; /* `$scam.hotspots` or the literal's text, for because strings */
} dn__set;

/* A string of at most DN__SET_SHORT_MAX bytes as one word: its bytes, and its length in the top
 * byte. A small set compares these words instead of bytes. */
#define DN__SET_SHORT_MAX 7u
static inline uint64_t dn__set_short_word(const char *p, uint32_t n)
{
    uint64_t w = 0;
    if (n >= 4) {
        uint32_t a, b;
        __builtin_memcpy(&a, p, 4);
        __builtin_memcpy(&b, p + n - 4, 4); /* overlaps a where n < 8: the same bytes */
        w = a | (uint64_t)b << (8 * (n - 4));
    } else if (n) {
        const unsigned char *u = (const unsigned char *)p;
        w = u[0] | (uint64_t)u[n / 2] << (8 * (n / 2)) | (uint64_t)u[n - 1] << (8 * (n - 1));
    }
    return w | (uint64_t)n << 56;
}

bool dn__lang_set_has_str(const dn__set *s, dn_str v);
bool dn__lang_set_has_num(const dn__set *s, double v);
/* Builds a string set from a list file's text (one value a line, # comments, trimmed). */
int dn__lang_set_from_text(dn__arena *a, const char *text, size_t len, dn__set *out);
/* Builds a set from values (all strings or all numbers). */
int dn__lang_set_from_values(dn__arena *a, const dn__value *vals, uint32_t n, bool is_num,
                             dn__set *out);

/* ---- rates and currencies (rates.c) ------------------------------------------------------- */

typedef struct dn__rate {
    char code[4];
    int digits;  /* minor-unit digits of code (dn__lang_currency_digits), looked up once */
    double rate; /* to base */
} dn__rate;

int dn__lang_currency_digits(const char *code);
/* Converts a literal of `major` units of currency into base minor units; false when the rate
 * table lacks the currency. */
bool dn__lang_money_literal(const dn_ruleset *rs, const char *currency, double major, int64_t *out);
bool dn__lang_currency_code_ok(const char *s, size_t len);
/* Parses rates.csv; diagnostics name the file and line. Returns 0 or DN_ENOMEM. */
int dn__lang_rates_parse(const dn__src *src, dn__arena *a, dn_diags *d, dn__rate **out,
                         uint32_t *count);

/* ---- regexes (regex.c) -------------------------------------------------------------------- */

typedef struct dn__regex {
    const char *pattern;
    char flags[8];
    const char *src_text; /* "/pattern/flags" as written */
    int field;            /* field id of the subject when it is a fixed event field, else -1 */
    void *code;           /* pcre2_code_8 */
    bool is_prefiltered;  /* present in its field's vectorscan database */
} dn__regex;

typedef struct dn__field_db {
    int field;
    void *db; /* hs_database_t */
} dn__field_db;

/* Compiles a regex with PCRE2 (+JIT). On a bad pattern sets *errmsg (arena) and *erroff. */
int dn__lang_regex_compile(dn__arena *a, dn__regex *re, const char **errmsg, size_t *erroff);
/* Builds one vectorscan database per field from the fixed-field regexes. Returns 0 or
 * DN_ENOMEM. */
int dn__lang_regex_build_prefilter(dn_ruleset *rs);
void dn__lang_regex_free_all(dn_ruleset *rs);

/* ---- programs (codegen.c / vm.c) ---------------------------------------------------------- */

typedef struct dn__insn {
    uint8_t op; /* dn__opcode */
    uint8_t a;
    uint16_t c;
    uint32_t b;
} dn__insn;

/* A witness site: a comparison (or bare boolean) whose operands explain a hit. */
typedef struct dn__site {
    const char *left_text;  /* source of the left side, blanks runs made one space */
    const char *right_text; /* source of the right side (regex, list), blanks runs made one
                               space, or NULL: print the value */
    const char *op_text;    /* ">=", "in", "~", ... */
    uint32_t off;           /* source offset, orders because strings */
    bool is_bare;           /* bare boolean: "x = true"; or `not (...)`: text only */
    bool is_text_only;
} dn__site;

typedef struct dn__program {
    dn__insn *code;
    uint32_t len;
    dn__value *consts;
    uint32_t const_count;
    dn__site *sites;
    uint32_t site_count;
    uint32_t max_stack;
    uint32_t mark_count;
    bool has_state;       /* reads entity state (aggregates, hits, observation) */
    const char *src_text; /* the `when` (or where) source */
} dn__program;

typedef struct dn__filter {
    const char *key; /* canonical text of the where-expression */
    dn__expr *expr;
    dn__program prog;
} dn__filter;

typedef struct dn__rule {
    dn__rule_info info;
    dn__expr *when;
    dn__program prog;
} dn__rule;

/* ---- the compiled rule set ---------------------------------------------------------------- */

struct dn_ruleset {
    int refcount; /* atomic */
    dn__arena arena;
    const char *version;
    char base[4];
    int base_digits;
    char hash[17];
    dn__rate *rates;
    uint32_t rate_count;
    uint32_t param_count, list_count;

    dn__rule *rules;
    dn__rule_info *rule_infos;
    uint32_t rule_count;
    /* indexes of the rules `for` each role `on` each event type, in rule order */
    uint32_t *role_rules[DN__ROLE_COUNT][DN_EV_TYPE_COUNT];
    uint32_t role_rule_count[DN__ROLE_COUNT][DN_EV_TYPE_COUNT];
    dn__typology_info *typologies;
    uint32_t typology_count;

    dn__state_plan plans[DN__ENT_KIND_COUNT];
    dn__agg_spec *aggs[DN__ENT_KIND_COUNT];
    dn__filter *filters[DN__ENT_KIND_COUNT];
    uint32_t filter_count[DN__ENT_KIND_COUNT];

    dn__set *sets;
    uint32_t set_count;
    dn__regex *regexes;
    uint32_t regex_count;
    dn__field_db dbs[F_COUNT_];
    uint32_t db_count;
    bool no_prefilter; /* internal switch: every regex confirmed by PCRE2 */

    uint32_t max_stack, max_marks, total_sites, max_consts;
};

/* The compiler state while checking one rule set. */
typedef struct dn__compiler {
    dn_ruleset *rs;
    dn__arena *a;
    dn_diags *d;
    dn__item *items;
    int err;                  /* DN_ENOMEM */
    const dn__src *first_src; /* where file-level diagnostics point */
    dn__lang_load_cb load;    /* list files */
    void *load_ctx;
    void (*hash_cb)(void *ctx, const char *data, size_t len); /* list contents into the hash */
    void *hash_ctx;
    /* scratch for the checker */
    dn__item **params;
    uint32_t param_count;
    dn__value *param_vals;
    dn__type *param_types;
    dn__item **lists;
    uint32_t list_count;
    uint32_t *list_sets;
    dn__item **rule_items;
    dn__item **typ_items;
    uint32_t set_cap, regex_cap, agg_cap[DN__ENT_KIND_COUNT];
    int64_t memory_ms;
    /* the rule being checked */
    int cur_rule;
    dn__role cur_role;
    bool in_where;
    bool cur_uses_newcp;
} dn__compiler;

/* check.c */
int dn__lang_check(dn__compiler *c);
/* fold.c: folds constant arithmetic and builtins in place; reorders `and` by cost. */
void dn__lang_fold(dn__compiler *c, dn__expr *e);
int dn__lang_expr_cost(const dn__expr *e);
bool dn__lang_value_arith(int op, const dn__value *l, const dn__value *r, dn__value *out);
/* codegen.c */
int dn__lang_codegen(dn__compiler *c, dn__expr *e, bool witness, dn__program *out);
/* Function ids of E_CALL nodes (check.c), in dn__lang_fn_names order. */
enum dn__fn_id {
    FN_COUNT,
    FN_SUM,
    FN_AVG,
    FN_MAX,
    FN_MIN,
    FN_DISTINCT,
    FN_PAIR_COUNT,
    FN_PAIR_SUM,
    FN_PAIR_MAX,
    FN_NEWCP,
    FN_AGE,
    FN_FIRST_SEEN,
    FN_SINCE_LAST,
    FN_HITS,
    FN_NOW,
    FN_HOUR,
    FN_YEAR,
    FN_LOWER,
    FN_LEN,
    FN_ABS,
    FN_COUNT_
};
extern const char *const dn__lang_fn_names[FN_COUNT_];
/* explain.c */
/* Formats v as an analyst reads it ("5400.00 EUR", "3d 4h", "\"KH\"", ISO time); returns
 * the length written (NUL-terminated, truncated to cap). */
size_t dn__lang_value_format(const dn_ruleset *rs, const dn__value *v, char *buf, size_t cap);
/* One because string for a witness site with its operand values; returns its length. */
size_t dn__lang_explain_site(const dn_ruleset *rs, const dn__site *site, const dn__value *l,
                             const dn__value *r, char *buf, size_t cap);
/* Writes the record of one witness (site index and the operand values its because string
 * prints, strings cut at DN__WHY_STR_MAX bytes: past what a because string can show) to out,
 * which has room for DN__WHY_MAX bytes; returns the bytes written. See dn__lang_because_render. */
#define DN__WHY_STR_MAX DN__BECAUSE_MAX
#define DN__WHY_MAX     (2u + 2u * (4u + DN__WHY_STR_MAX))
size_t dn__lang_why_put(const dn__site *site, uint16_t idx, const dn__value *l, const dn__value *r,
                        unsigned char *out);

#endif
