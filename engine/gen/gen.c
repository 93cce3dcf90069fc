/*
 * gen.c - the generator's driver: population, case plan, then day by day ordinary life,
 * look-alikes and the cases starting that day; each day's events are sorted and written before
 * the next day begins (see gen.h for the ordering and memory invariants).
 */
#include "dragnet/error.h"
#include "gen/gen.h"

#include <stdlib.h>
#include <string.h>

static void destroy(dn__gen *g)
{
    free(g->party);
    free(g->device);
    free(g->ip);
    free(g->cases);
    free(g->labels);
    free(g->pend);
    dn__buf_free(&g->buf);
    dn__arena_destroy(&g->arena);
}

int dn__gen_run(const dn__gen_config *cfg, FILE *out, FILE *labels, dn__gen_stats *stats)
{
    dn__gen g;
    memset(&g, 0, sizeof(g));
    memset(stats, 0, sizeof(*stats));
    g.cfg = *cfg;
    g.out = out;
    dn__arena_init(&g.arena, 1u << 20);
    dn__buf_init(&g.buf);
    dn__gen_rng_seed(&g.rng, cfg->seed);
    g.day_start_ms = cfg->start_ms;
    g.end_ms = cfg->start_ms + (int64_t)cfg->days * DN__GEN_DAY_MS;
    int rc = 0;
    if (cfg->accounts == 0 || cfg->days == 0) {
        rc = DN_EINVAL;
        goto fail;
    }
    if ((rc = dn__gen_population(&g)) || (rc = dn__gen_plan(&g)))
        goto fail;
    for (uint32_t d = 0; d < cfg->days; d++) {
        int64_t day_ms = cfg->start_ms + (int64_t)d * DN__GEN_DAY_MS;
        g.day = d;
        g.day_start_ms = day_ms;
        dn__gen_civil_from_days(day_ms / DN__GEN_DAY_MS, &g.year, &g.month, &g.dom);
        g.dim = dn__gen_days_in_month(g.year, g.month);
        for (uint32_t c = 0; c < g.customer_count; c++) {
            dn__gen_ordinary_day(&g, (int32_t)c, day_ms);
            dn__gen_lookalike_day(&g, (int32_t)c, day_ms);
        }
        for (size_t k = 0; k < g.case_count; k++)
            if (g.cases[k].start_day == d)
                dn__gen_run_case(&g, &g.cases[k]);
        if (g.rc) {
            rc = g.rc;
            goto fail;
        }
        if ((rc = dn__gen_flush_day(&g, day_ms + DN__GEN_DAY_MS)))
            goto fail;
    }
    if (fflush(out)) {
        rc = DN_EIO;
        goto fail;
    }
    stats->events = g.written;
    stats->accounts = g.customer_count;
    if ((rc = dn__gen_write_labels(&g, labels, stats)))
        goto fail;
fail:
    destroy(&g);
    return rc;
}
