/*
 * plan.c - choosing the labelled cases before the first day, and running each on its start day.
 *
 * Budget: about 0.7 % of customers end up in cases, split money_mule 40 %, scam_victim 35 %,
 * scam_centre_ops 25 %, with at least a few cases of each typology. Variants rotate so every
 * one appears; about 15 % of cases are weak (still true, deliberately hard). Each case gets its
 * own rng stream (seed, typology, number), its accounts are cast now (so ordinary life can make
 * room for them) and labelled; devices, IPs and foreign accounts it creates are labelled when it
 * plays. Cast accounts that are not the labelled role (ransom-paying relatives) stay unlabelled.
 */
#include "dragnet/error.h"
#include "gen/gen.h"

#include <string.h>

const char *const dn__gen_benign_refs[] = {
    "loan",     "car",         "rent",    "gift",   "Darlehen",     "Auto", "Miete",
    "Geschenk", "Rückzahlung", "invoice", "thanks", "for the flat", ""};
const size_t dn__gen_benign_ref_count =
    sizeof(dn__gen_benign_refs) / sizeof(dn__gen_benign_refs[0]);

const char *dn__gen_typology_name(dn__gen_typology t)
{
    static const char *const names[DN__GEN_TYP_COUNT] = {"money_mule", "scam_victim",
                                                         "scam_centre_ops"};
    return (unsigned)t < DN__GEN_TYP_COUNT ? names[t] : NULL;
}

static unsigned variant_count(unsigned t)
{
    return t == DN__GEN_MULE     ? DN__GEN_MULE_VARIANTS
           : t == DN__GEN_VICTIM ? DN__GEN_VICTIM_VARIANTS
                                 : DN__GEN_OPS_VARIANTS;
}

const char *dn__gen_variant_name(dn__gen_typology t, unsigned v)
{
    if ((unsigned)t >= DN__GEN_TYP_COUNT || v >= variant_count(t))
        return NULL;
    return t == DN__GEN_MULE     ? dn__gen_mule_variants[v]
           : t == DN__GEN_VICTIM ? dn__gen_victim_variants[v]
                                 : dn__gen_ops_variants[v];
}

int32_t dn__gen_stranger(dn__gen *g, dn__gen_rng *r)
{
    return g->persons[dn__gen_rng_below(r, g->person_count)];
}

int32_t dn__gen_fresh_account(dn__gen *g, dn__gen_rng *r, const char *const *cc, size_t n,
                              bool is_company)
{
    const char *c = cc[dn__gen_rng_below(r, n)];
    char name[80];
    if (is_company)
        dn__gen_company_name(r, name, sizeof(name));
    else
        dn__gen_person_name(r, c, name, sizeof(name));
    return dn__gen_add_external(g, r, c, name);
}

void dn__gen_label_add(dn__gen *g, const dn__gen_case *c, dn__gen_label_kind kind, int32_t index)
{
    if (index < 0 || DN__GEN_GROW(g, g->labels, g->label_count, g->label_cap))
        return;
    g->labels[g->label_count++] = (dn__gen_label){.kind = (uint8_t)kind,
                                                  .typology = c->typology,
                                                  .variant = c->variant,
                                                  .index = index,
                                                  .case_no = c->no,
                                                  .case_idx = (uint32_t)(c - g->cases)};
}

static bool cast(dn__gen *g, dn__gen_rng *r, dn__gen_case *c)
{
    switch (c->typology) {
    case DN__GEN_MULE:
        return dn__gen_mule_cast(g, r, c);
    case DN__GEN_VICTIM:
        return dn__gen_victim_cast(g, r, c);
    default:
        return dn__gen_ops_cast(g, r, c);
    }
}

int dn__gen_plan(dn__gen *g)
{
    static const double share[DN__GEN_TYP_COUNT] = {0.40, 0.35, 0.25};
    dn__gen_rng r;
    dn__gen_rng_seed(&r, g->cfg.seed ^ 0x5ca1ab1e0ddba11ull);
    double budget = g->cfg.accounts * 0.007;
    uint32_t days = g->cfg.days;
    /* Cases start early enough that most of their story fits in the period. */
    uint32_t last_start = days > 21 ? days - 21 : (days > 1 ? days / 2 : 0);
    for (unsigned t = 0; t < DN__GEN_TYP_COUNT; t++) {
        uint32_t used = 0, no = 0, failures = 0;
        unsigned nv = variant_count(t);
        unsigned offset = (unsigned)dn__gen_rng_below(&r, nv);
        /* Every variant at least once in a feed big enough to hide them. */
        unsigned min_cases = g->cfg.accounts >= 3000 ? nv : g->cfg.accounts >= 500 ? 2 : 1;
        while ((used < budget * share[t] || no < min_cases) && failures < 20 && !g->rc) {
            if (DN__GEN_GROW(g, g->cases, g->case_count, g->case_cap))
                break;
            dn__gen_case *c = &g->cases[g->case_count];
            memset(c, 0, sizeof(*c));
            c->typology = (uint8_t)t;
            c->variant = (uint8_t)((offset + no) % nv);
            c->is_weak = dn__gen_rng_chance(&r, 0.15);
            c->no = no + 1;
            c->start_day = (uint32_t)dn__gen_rng_range(&r, 0, last_start);
            c->seed = g->cfg.seed * 0x9e3779b97f4a7c15ull + (uint64_t)t * 1000003u + no;
            if (!cast(g, &r, c)) {
                failures++;
                continue;
            }
            bool is_labelled =
                !(t == DN__GEN_OPS && strcmp(dn__gen_ops_variants[c->variant], "ransom") == 0);
            for (int k = 0; is_labelled && k < c->acct_count; k++)
                dn__gen_label_add(g, c, DN__GEN_LABEL_PARTY, c->acct[k]);
            used += is_labelled ? c->acct_count : 1;
            no++;
            g->case_count++;
        }
    }
    return g->rc;
}

void dn__gen_run_case(dn__gen *g, dn__gen_case *c)
{
    dn__gen_rng r;
    dn__gen_rng_seed(&r, c->seed);
    int64_t t0 = g->day_start_ms + dn__gen_daytime(&r);
    switch (c->typology) {
    case DN__GEN_MULE:
        dn__gen_mule_play(g, &r, c, t0);
        break;
    case DN__GEN_VICTIM:
        dn__gen_victim_play(g, &r, c, t0);
        break;
    default:
        dn__gen_ops_play(g, &r, c, t0);
    }
}
