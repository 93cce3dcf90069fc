/*
 * diag.c - compile diagnostics: collecting, sorting, printing, and did-you-mean suggestions.
 *
 * A dn_diags owns every string of its diagnostics in its own arena (independent of the rule
 * set's, so diagnostics outlive a failed compile). Once an allocation fails the collection is
 * marked out of memory and later additions are dropped; the compiler then returns DN_ENOMEM.
 * Order: dn__lang_diags_sort sorts by file, line, column, then insertion order (stable).
 */
#define _GNU_SOURCE /* qsort_r */
#include "lang/ast.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dn_diags {
    dn__arena arena;
    dn_diag *items;
    size_t *seq;
    size_t count, cap;
    bool is_oom;
};

dn_diags *dn__lang_diags_new(void)
{
    dn_diags *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    dn__arena_init(&d->arena, 8192);
    return d;
}

bool dn__lang_diags_oom(const dn_diags *d)
{
    return d->is_oom;
}

size_t dn_diags_count(const dn_diags *d)
{
    return d ? d->count : 0;
}

const dn_diag *dn_diags_get(const dn_diags *d, size_t i)
{
    return d && i < d->count ? &d->items[i] : NULL;
}

void dn_diags_free(dn_diags *d)
{
    if (!d)
        return;
    dn__arena_destroy(&d->arena);
    free(d->items);
    free(d->seq);
    free(d);
}

static const char *line_of(const dn__span *sp)
{
    if (!sp || !sp->src || !sp->src->text)
        return NULL;
    const char *t = sp->src->text;
    size_t off = sp->off <= sp->src->len ? sp->off : sp->src->len;
    size_t b = off;
    while (b > 0 && t[b - 1] != '\n')
        b--;
    size_t e = off;
    while (e < sp->src->len && t[e] != '\n' && t[e] != '\r')
        e++;
    return t + b == t + e ? "" : t + b;
}

int dn__lang_diag_add(dn_diags *d, const dn__span *sp, const char *file, const char *code,
                      const char *hint, const char *fmt, ...)
{
    if (d->is_oom)
        return DN_ENOMEM;
    if (d->count == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        dn_diag *ni = realloc(d->items, cap * sizeof(*ni));
        if (!ni)
            goto oom;
        d->items = ni;
        size_t *ns = realloc(d->seq, cap * sizeof(*ns));
        if (!ns)
            goto oom;
        d->seq = ns;
        d->cap = cap;
    }
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dn_diag *g = &d->items[d->count];
    memset(g, 0, sizeof(*g));
    const char *fname = file ? file : (sp && sp->src ? sp->src->name : "");
    g->file = dn__arena_strndup(&d->arena, fname, strlen(fname));
    g->code = dn__arena_strndup(&d->arena, code, strlen(code));
    g->message = dn__arena_strndup(&d->arena, msg, strlen(msg));
    g->hint = hint ? dn__arena_strndup(&d->arena, hint, strlen(hint)) : NULL;
    if (!g->file || !g->code || !g->message || (hint && !g->hint))
        goto oom;
    if (sp && sp->src) {
        g->line = sp->line;
        g->col = sp->col;
        const char *l = line_of(sp);
        if (l) {
            size_t n = 0;
            while (l[n] && l[n] != '\n' && l[n] != '\r')
                n++;
            g->source_line = dn__arena_strndup(&d->arena, l, n);
            if (!g->source_line)
                goto oom;
        }
    }
    d->seq[d->count] = d->count;
    d->count++;
    return 0;
oom:
    d->is_oom = true;
    return DN_ENOMEM;
}

static int cmp_diag(const void *pa, const void *pb, void *arg)
{
    const dn_diags *d = arg;
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    const dn_diag *x = &d->items[a], *y = &d->items[b];
    int c = strcmp(x->file, y->file);
    if (c)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return a < b ? -1 : a > b;
}

void dn__lang_diags_sort(dn_diags *d)
{
    if (!d || d->count < 2)
        return;
    size_t *idx = malloc(d->count * sizeof(*idx));
    dn_diag *copy = malloc(d->count * sizeof(*copy));
    if (!idx || !copy) {
        free(idx);
        free(copy);
        return;
    }
    for (size_t i = 0; i < d->count; i++)
        idx[i] = i;
    qsort_r(idx, d->count, sizeof(*idx), cmp_diag, d);
    for (size_t i = 0; i < d->count; i++)
        copy[i] = d->items[idx[i]];
    memcpy(d->items, copy, d->count * sizeof(*copy));
    free(idx);
    free(copy);
}

void dn_diags_print(const dn_diags *d, FILE *out)
{
    for (size_t i = 0; d && i < d->count; i++) {
        const dn_diag *g = &d->items[i];
        if (g->line > 0)
            fprintf(out, "%s:%d:%d: error: %s\n", g->file, g->line, g->col, g->message);
        else
            fprintf(out, "%s: error: %s\n", g->file, g->message);
        if (g->source_line && g->line > 0) {
            fprintf(out, "    %s\n    ", g->source_line);
            for (int c = 1; c < g->col && g->source_line[c - 1]; c++)
                fputc(g->source_line[c - 1] == '\t' ? '\t' : ' ', out);
            fputs("^\n", out);
        }
        if (g->hint)
            fprintf(out, "    hint: %s\n", g->hint);
    }
}

/* Optimal string alignment distance: insertions, deletions, substitutions and transpositions of
 * neighbours ("scr" is one edit from "src"). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return (size_t)-1;
    static _Thread_local size_t m[65][65];
    for (size_t i = 0; i <= la; i++)
        m[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        m[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t v = m[i - 1][j - 1] + cost;
            if (m[i - 1][j] + 1 < v)
                v = m[i - 1][j] + 1;
            if (m[i][j - 1] + 1 < v)
                v = m[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                m[i - 2][j - 2] + 1 < v)
                v = m[i - 2][j - 2] + 1;
            m[i][j] = v;
        }
    }
    return m[la][lb];
}

const char *dn__lang_suggest(const char *name, const char *const *cands, size_t n)
{
    size_t len = strlen(name);
    size_t limit = len / 3 > 1 ? len / 3 : 1;
    const char *best = NULL;
    size_t bestd = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        if (!cands[i])
            continue;
        size_t dd = edit_distance(name, cands[i]);
        if (dd <= limit && dd < bestd) {
            bestd = dd;
            best = cands[i];
        }
    }
    return best;
}
