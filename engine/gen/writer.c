/*
 * writer.c - from the pending pool to the output file, and the labels CSV.
 *
 * dn__gen_flush_day() sorts the pool by (ts, seq), turns every record before `until_ms` into a
 * dn_event (strings borrowed from the party, device and IP tables), encodes it (msgpack map or
 * JSON line), and keeps the rest for later days. Ids are assigned here, in output order. Every
 * party, device and IP written is marked seen, so labels name only entities in the feed.
 */
#include "dragnet/error.h"
#include "encode/encode.h"
#include "gen/gen.h"

#include <stdlib.h>
#include <string.h>

#define FLUSH_BYTES (1u << 20)

/* Sorting moves 24-byte keys, not records. */
typedef struct sort_key {
    int64_t ts_ms;
    uint64_t seq;
    size_t index;
} sort_key;

static int key_cmp(const void *a, const void *b)
{
    const sort_key *x = a, *y = b;
    if (x->ts_ms != y->ts_ms)
        return x->ts_ms < y->ts_ms ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static dn_str str_of(const char *s)
{
    return s ? (dn_str){s, (uint32_t)strlen(s)} : (dn_str){NULL, 0};
}

static const char *const segment_names[] = {"retail", "student", "senior", "smb"};

static void party_fields(dn__gen *g, int32_t i, dn_str *id, dn_str *name, char cc[3], dn_str *bank)
{
    if (i < 0)
        return;
    dn__gen_party *p = &g->party[i];
    p->is_seen = true;
    *id = str_of(p->id);
    *name = str_of(p->name);
    memcpy(cc, p->country, 3);
    *bank = str_of(p->bank);
}

static void to_event(dn__gen *g, const dn__gen_rec *rec, char *id, dn_event *ev)
{
    dn_event_init(ev);
    ev->id = str_of(id);
    ev->ts_ms = rec->ts_ms;
    ev->type = (dn_event_type)rec->type;
    if (rec->amount_minor >= 0) {
        ev->has_amount = true;
        ev->amount_minor = rec->amount_minor;
        memcpy(ev->currency, rec->currency, 4);
    }
    party_fields(g, rec->src, &ev->src, &ev->src_name, ev->src_country, &ev->src_bank);
    party_fields(g, rec->dst, &ev->dst, &ev->dst_name, ev->dst_country, &ev->dst_bank);
    if (rec->ref[0])
        ev->reference = str_of(rec->ref);
    ev->purpose = str_of(rec->purpose);
    ev->channel = str_of(rec->channel);
    if (rec->mcc) {
        ev->has_mcc = true;
        ev->mcc = rec->mcc;
    }
    if (rec->device >= 0) {
        g->device[rec->device].is_seen = true;
        ev->device = str_of(g->device[rec->device].id);
    }
    if (rec->ip >= 0) {
        dn__gen_ent *ip = &g->ip[rec->ip];
        ip->is_seen = true;
        ev->ip = str_of(ip->id);
        memcpy(ev->ip_country, ip->country, 3);
    }
    ev->remote_access = rec->remote_access;
    if (rec->src >= 0 && g->party[rec->src].is_customer) {
        const dn__gen_party *p = &g->party[rec->src];
        dn_customer *c = &ev->customer;
        c->is_present = true;
        c->has_birth_year = true;
        c->birth_year = p->birth_year;
        c->has_opened = true;
        c->opened_ms = p->opened_ms;
        c->segment = str_of(segment_names[p->segment & 3]);
        memcpy(c->residence, p->residence, 3);
    }
}

static int drain(dn__gen *g)
{
    if (g->buf.len && fwrite(g->buf.data, 1, g->buf.len, g->out) != g->buf.len)
        return DN_EIO;
    dn__buf_clear(&g->buf);
    return 0;
}

int dn__gen_flush_day(dn__gen *g, int64_t until_ms)
{
    if (g->rc)
        return g->rc;
    int rc = 0;
    size_t count = g->pend_count, n = 0, kept = 0;
    sort_key *keys = malloc((count ? count : 1) * sizeof(*keys));
    if (!keys) {
        rc = DN_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < count; i++)
        keys[i] = (sort_key){g->pend[i].ts_ms, g->pend[i].seq, i};
    qsort(keys, count, sizeof(*keys), key_cmp);
    for (; n < count && keys[n].ts_ms < until_ms; n++) {
        char id[24];
        snprintf(id, sizeof(id), "e%010llu", (unsigned long long)++g->written);
        dn_event ev;
        to_event(g, &g->pend[keys[n].index], id, &ev);
        rc = g->cfg.format == DN__GEN_NDJSON ? dn__encode_json(&ev, &g->buf)
                                             : dn__encode_msgpack(&ev, &g->buf);
        if (!rc && g->cfg.format == DN__GEN_NDJSON)
            rc = dn__buf_putc(&g->buf, '\n');
        if (!rc && g->buf.len >= FLUSH_BYTES)
            rc = drain(g);
        if (rc)
            goto fail;
    }
    if ((rc = drain(g)))
        goto fail;
    /* Keep the later records, in place and in their original order (their seq keeps ties). */
    for (size_t i = 0; i < count; i++)
        if (g->pend[i].ts_ms >= until_ms)
            g->pend[kept++] = g->pend[i];
    g->pend_count = kept;
fail:
    free(keys);
    if (rc && !g->rc)
        g->rc = rc;
    return rc;
}

int dn__gen_write_labels(dn__gen *g, FILE *labels, dn__gen_stats *stats)
{
    static const char *const prefix[DN__GEN_TYP_COUNT] = {"mule", "victim", "ops"};
    if (labels && fputs("entity,typology,case_id\n", labels) == EOF)
        return DN_EIO;
    bool *is_counted = calloc(g->case_count + 1, sizeof(bool));
    if (!is_counted)
        return DN_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < g->label_count; i++) {
        const dn__gen_label *l = &g->labels[i];
        const char *id;
        bool is_seen;
        if (l->kind == DN__GEN_LABEL_PARTY) {
            id = g->party[l->index].id;
            is_seen = g->party[l->index].is_seen;
        } else if (l->kind == DN__GEN_LABEL_DEVICE) {
            id = g->device[l->index].id;
            is_seen = g->device[l->index].is_seen;
        } else {
            id = g->ip[l->index].id;
            is_seen = g->ip[l->index].is_seen;
        }
        if (!is_seen)
            continue;
        stats->labelled[l->typology]++;
        if (!is_counted[l->case_idx]) {
            is_counted[l->case_idx] = true;
            stats->cases[l->typology]++;
            stats->variants[l->typology][l->variant & 15]++;
            stats->weak[l->typology] += g->cases[l->case_idx].is_weak;
        }
        if (labels && fprintf(labels, "%s,%s,%s-%04u\n", id,
                              dn__gen_typology_name((dn__gen_typology)l->typology),
                              prefix[l->typology], l->case_no) < 0) {
            rc = DN_EIO;
            break;
        }
    }
    free(is_counted);
    if (!rc && labels && fflush(labels))
        rc = DN_EIO;
    return rc;
}
