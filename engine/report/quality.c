/*
 * quality.c - see report.h.
 *
 * Entities are keyed by id in one map for labels and one for alerts; each value is a bitmask of
 * typology indexes (typology names are interned in `typologies`, at most 64). Rule hits on
 * labelled entities are tallied per rule, and distinct (rule, entity) pairs in a third map.
 */
#include "report/report.h"
#include "common/strmap.h"
#include "dragnet/error.h"

#include <stdlib.h>
#include <string.h>

typedef struct rule_tally {
    uint64_t hits, labelled_hits, labelled_entities;
} rule_tally;

struct dn__quality {
    bool has_labels;
    dn__strmap typologies;  /* name -> index */
    dn__strmap labels;      /* entity -> typology bitmask */
    dn__strmap alerted;     /* entity -> typology bitmask */
    dn__strmap accounts;    /* account -> unused */
    dn__strmap rules;       /* rule -> index into tallies */
    dn__strmap rule_entity; /* "rule\x1fentity" -> unused */
    rule_tally *tallies;
    uint32_t tally_cap;
};

int dn__quality_new(dn__quality **out)
{
    dn__quality *q = calloc(1, sizeof(*q));
    if (!q)
        return DN_ENOMEM;
    dn__strmap_init(&q->typologies);
    dn__strmap_init(&q->labels);
    dn__strmap_init(&q->alerted);
    dn__strmap_init(&q->accounts);
    dn__strmap_init(&q->rules);
    dn__strmap_init(&q->rule_entity);
    *out = q;
    return 0;
}

void dn__quality_free(dn__quality *q)
{
    if (!q)
        return;
    dn__strmap_free(&q->typologies);
    dn__strmap_free(&q->labels);
    dn__strmap_free(&q->alerted);
    dn__strmap_free(&q->accounts);
    dn__strmap_free(&q->rules);
    dn__strmap_free(&q->rule_entity);
    free(q->tallies);
    free(q);
}

bool dn__quality_has_labels(const dn__quality *q)
{
    return q->has_labels;
}

/* Index of typology name, interned on first sight; -1 beyond the limit or without memory. */
static int typology_index(dn__quality *q, const char *name, size_t len)
{
    bool is_new;
    if (q->typologies.count >= DN__QUALITY_MAX_TYPOLOGIES &&
        !dn__strmap_find(&q->typologies, name, len))
        return -1;
    dn__strmap_entry *e = dn__strmap_upsert(&q->typologies, name, len, &is_new);
    if (!e)
        return -1;
    if (is_new)
        e->value = q->typologies.count - 1;
    return (int)e->value;
}

static char *trim(char *s, char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
        *--end = '\0';
    *end = '\0';
    return s;
}

int dn__quality_load_labels(dn__quality *q, const char *path, dn__buf *err)
{
    int rc = 0;
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        dn__buf_printf(err, "%s: cannot open the labels file", path);
        return DN_ENOENT;
    }
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        char *end = line + n;
        char *s = trim(line, end);
        if (*s == '\0' || *s == '#')
            continue;
        char *c1 = strchr(s, ',');
        if (!c1) {
            dn__buf_printf(err, "%s:%ld: expected entity,typology[,case_id]", path, lineno);
            rc = DN_EINVAL;
            goto done;
        }
        *c1 = '\0';
        char *typ = c1 + 1;
        char *c2 = strchr(typ, ',');
        if (c2)
            *c2 = '\0';
        char *entity = trim(s, c1);
        typ = trim(typ, typ + strlen(typ));
        if (lineno == 1 && strcmp(entity, "entity") == 0 && strcmp(typ, "typology") == 0)
            continue;
        if (*entity == '\0' || *typ == '\0') {
            dn__buf_printf(err, "%s:%ld: empty entity or typology", path, lineno);
            rc = DN_EINVAL;
            goto done;
        }
        int t = typology_index(q, typ, strlen(typ));
        if (t < 0) {
            dn__buf_printf(err, "%s:%ld: more than %d typologies", path, lineno,
                           DN__QUALITY_MAX_TYPOLOGIES);
            rc = DN_EINVAL;
            goto done;
        }
        dn__strmap_entry *e = dn__strmap_upsert(&q->labels, entity, strlen(entity), NULL);
        if (!e) {
            rc = DN_ENOMEM;
            goto done;
        }
        e->value |= 1ull << t;
    }
    q->has_labels = true;
done:
    free(line);
    fclose(f);
    return rc;
}

int dn__quality_note_account(dn__quality *q, dn_str account)
{
    if (!account.ptr)
        return 0;
    return dn__strmap_upsert(&q->accounts, account.ptr, account.len, NULL) ? 0 : DN_ENOMEM;
}

uint64_t dn__quality_accounts(const dn__quality *q)
{
    return q->accounts.count;
}

int dn__quality_note_alert(dn__quality *q, dn_str entity, const char *typology)
{
    int t = typology_index(q, typology, strlen(typology));
    if (t < 0)
        return 0; /* beyond the limit the typology is not measured; the replay still counts it */
    dn__strmap_entry *e = dn__strmap_upsert(&q->alerted, entity.ptr, entity.len, NULL);
    if (!e)
        return DN_ENOMEM;
    e->value |= 1ull << t;
    return 0;
}

int dn__quality_note_rule_hit(dn__quality *q, dn_str entity, const char *rule)
{
    bool is_new;
    dn__strmap_entry *r = dn__strmap_upsert(&q->rules, rule, strlen(rule), &is_new);
    if (!r)
        return DN_ENOMEM;
    if (is_new) {
        if (q->rules.count > q->tally_cap) {
            uint32_t cap = q->tally_cap ? q->tally_cap * 2 : 64;
            rule_tally *t = realloc(q->tallies, cap * sizeof(*t));
            if (!t)
                return DN_ENOMEM;
            q->tallies = t;
            q->tally_cap = cap;
        }
        r->value = q->rules.count - 1;
        memset(&q->tallies[r->value], 0, sizeof(rule_tally));
    }
    rule_tally *t = &q->tallies[r->value];
    t->hits++;
    const dn__strmap_entry *l = dn__strmap_find(&q->labels, entity.ptr, entity.len);
    if (!l || !l->value)
        return 0;
    t->labelled_hits++;
    char key[512];
    size_t rl = strlen(rule);
    if (rl + 1 + entity.len > sizeof(key))
        return 0;
    memcpy(key, rule, rl);
    key[rl] = '\x1f';
    memcpy(key + rl + 1, entity.ptr, entity.len);
    if (!dn__strmap_upsert(&q->rule_entity, key, rl + 1 + entity.len, &is_new))
        return DN_ENOMEM;
    if (is_new)
        t->labelled_entities++;
    return 0;
}

typedef struct tally {
    uint64_t labelled, alerted, tp;
} tally;

/* Tallies for typology bit t, or for "any" when t < 0. */
static tally count_typology(const dn__quality *q, int t)
{
    tally r = {0, 0, 0};
    uint64_t bit = t < 0 ? ~0ull : 1ull << t;
    for (uint32_t i = 0; i < q->labels.count; i++)
        if (q->labels.entries[i].value & bit)
            r.labelled++;
    for (uint32_t i = 0; i < q->alerted.count; i++) {
        const dn__strmap_entry *a = &q->alerted.entries[i];
        if (!(a->value & bit))
            continue;
        r.alerted++;
        const dn__strmap_entry *l = dn__strmap_find(&q->labels, a->key, a->key_len);
        if (l && (l->value & bit))
            r.tp++;
    }
    return r;
}

static json_t *tally_json(tally t)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "labelled", json_integer((json_int_t)t.labelled));
    json_object_set_new(o, "alerted", json_integer((json_int_t)t.alerted));
    json_object_set_new(o, "tp", json_integer((json_int_t)t.tp));
    json_object_set_new(o, "precision",
                        t.alerted ? json_real((double)t.tp / (double)t.alerted) : json_null());
    json_object_set_new(o, "recall",
                        t.labelled ? json_real((double)t.tp / (double)t.labelled) : json_null());
    return o;
}

/* Visits the rule set's typologies in order, then the others the labels or alerts name. */
static void each_typology(const dn__quality *q, const char *const *names, size_t count,
                          void (*fn)(const char *name, int bit, void *ud), void *ud)
{
    for (size_t i = 0; i < count; i++) {
        const dn__strmap_entry *e = dn__strmap_find(&q->typologies, names[i], strlen(names[i]));
        fn(names[i], e ? (int)e->value : -2, ud);
    }
    for (uint32_t k = 0; k < q->typologies.count; k++) {
        const dn__strmap_entry *e = &q->typologies.entries[k];
        bool is_listed = false;
        for (size_t i = 0; i < count && !is_listed; i++)
            is_listed = strcmp(names[i], e->key) == 0;
        if (!is_listed)
            fn(e->key, (int)e->value, ud);
    }
}

typedef struct json_ctx {
    const dn__quality *q;
    json_t *out;
} json_ctx;

static void add_json(const char *name, int bit, void *ud)
{
    json_ctx *c = ud;
    tally t = {0, 0, 0};
    if (bit >= 0)
        t = count_typology(c->q, bit);
    json_object_set_new(c->out, name, tally_json(t));
}

json_t *dn__quality_json(const dn__quality *q, const char *const *typologies, size_t count)
{
    json_ctx c = {q, json_object()};
    if (!c.out)
        return NULL;
    each_typology(q, typologies, count, add_json, &c);
    json_object_set_new(c.out, "any", tally_json(count_typology(q, -1)));
    return c.out;
}

json_t *dn__quality_rules_json(const dn__quality *q)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (uint32_t i = 0; i < q->rules.count; i++) {
        const rule_tally *t = &q->tallies[q->rules.entries[i].value];
        json_t *r = json_object();
        json_object_set_new(r, "hits", json_integer((json_int_t)t->hits));
        json_object_set_new(r, "labelled_hits", json_integer((json_int_t)t->labelled_hits));
        json_object_set_new(r, "labelled_entities", json_integer((json_int_t)t->labelled_entities));
        json_object_set_new(o, q->rules.entries[i].key, r);
    }
    return o;
}

typedef struct print_ctx {
    const dn__quality *q;
    FILE *out;
} print_ctx;

static void print_row(const char *name, tally t, FILE *out)
{
    char p[16] = "-", r[16] = "-";
    if (t.alerted)
        snprintf(p, sizeof(p), "%.3f", (double)t.tp / (double)t.alerted);
    if (t.labelled)
        snprintf(r, sizeof(r), "%.3f", (double)t.tp / (double)t.labelled);
    fprintf(out, "  %-22s %9llu %9llu %9llu %9s %9s\n", name, (unsigned long long)t.labelled,
            (unsigned long long)t.alerted, (unsigned long long)t.tp, p, r);
}

static void add_row(const char *name, int bit, void *ud)
{
    print_ctx *c = ud;
    tally t = {0, 0, 0};
    if (bit >= 0)
        t = count_typology(c->q, bit);
    print_row(name, t, c->out);
}

void dn__quality_print(const dn__quality *q, const char *const *typologies, size_t count, FILE *out)
{
    fprintf(out, "  %-22s %9s %9s %9s %9s %9s\n", "typology", "labelled", "alerted", "tp",
            "precision", "recall");
    print_ctx c = {q, out};
    each_typology(q, typologies, count, add_row, &c);
    print_row("any", count_typology(q, -1), out);
    if (q->rules.count == 0)
        return;
    fprintf(out, "\n  %-34s %9s %14s %17s\n", "rule", "hits", "labelled_hits", "labelled_entities");
    for (uint32_t i = 0; i < q->rules.count; i++) {
        const rule_tally *t = &q->tallies[q->rules.entries[i].value];
        fprintf(out, "  %-34s %9llu %14llu %17llu\n", q->rules.entries[i].key,
                (unsigned long long)t->hits, (unsigned long long)t->labelled_hits,
                (unsigned long long)t->labelled_entities);
    }
}
