/*
 * ruleset.c - the compile driver, reference counting, accessors, the summary and the hash.
 *
 * dn_ruleset_compile reads a folder (every *.rules file sorted by name, rates.csv when present,
 * the list files the rules name, relative to the folder) and hands the texts to
 * dn__ruleset_compile_sources, which fuzzers and tests call directly.
 *
 * Compile: copy the sources into the rule set's arena, parse rates.csv, parse every file,
 * check (check.c), then - only when there is no diagnostic - generate each rule's program and
 * each where-filter's, build the prefilter databases and size the scratch. Any diagnostic fails
 * the whole compile (DN_ESYNTAX, *out NULL).
 *
 * Lifetime: one arena per rule set holds everything; PCRE2 codes and vectorscan databases are
 * freed with it when the reference count drops to zero. The count is atomic: shards retain and
 * release from their own threads.
 *
 * Hash: 16 hex digits over every file's name (without its folder) and text in order, rates.csv
 * and the list files' contents, so any change to what the rules read gives a new hash.
 */
#include "common/hash.h"
#include "lang/ast.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct hasher {
    uint64_t h1, h2;
} hasher;

static void hash_piece(void *ctx, const char *data, size_t len)
{
    hasher *hs = ctx;
    hs->h1 = dn__hash_combine(hs->h1, dn__hash64_keyed(data, len, 0x243f6a8885a308d3ull));
    hs->h2 = dn__hash_combine(hs->h2, dn__hash64_keyed(data, len, 0x13198a2e03707344ull));
}

static void ruleset_free(dn_ruleset *rs)
{
    if (!rs)
        return;
    dn__lang_regex_free_all(rs);
    dn__arena_destroy(&rs->arena);
    free(rs);
}

dn_ruleset *dn_ruleset_retain(dn_ruleset *rs)
{
    if (rs)
        __atomic_add_fetch(&rs->refcount, 1, __ATOMIC_RELAXED);
    return rs;
}

void dn_ruleset_release(dn_ruleset *rs)
{
    if (rs && __atomic_sub_fetch(&rs->refcount, 1, __ATOMIC_ACQ_REL) == 0)
        ruleset_free(rs);
}

const char *dn_ruleset_version(const dn_ruleset *rs)
{
    return rs->version;
}

const char *dn_ruleset_hash(const dn_ruleset *rs)
{
    return rs->hash;
}

const char *dn_ruleset_base(const dn_ruleset *rs)
{
    return rs->base;
}

const dn__rule_info *dn__ruleset_rules(const dn_ruleset *rs, uint32_t *count)
{
    *count = rs->rule_count;
    return rs->rule_infos;
}

const dn__typology_info *dn__ruleset_typologies(const dn_ruleset *rs, uint32_t *count)
{
    *count = rs->typology_count;
    return rs->typologies;
}

const dn__state_plan *dn__ruleset_plans(const dn_ruleset *rs)
{
    return rs->plans;
}

int dn__ruleset_base_digits(const dn_ruleset *rs)
{
    return rs->base_digits;
}

static void fmt_ms(int64_t ms, char *buf, size_t cap)
{
    if (ms == 0)
        snprintf(buf, cap, "0");
    else if (ms % 604800000 == 0)
        snprintf(buf, cap, "%" PRId64 "w", ms / 604800000);
    else if (ms % 86400000 == 0)
        snprintf(buf, cap, "%" PRId64 "d", ms / 86400000);
    else if (ms % 3600000 == 0)
        snprintf(buf, cap, "%" PRId64 "h", ms / 3600000);
    else if (ms % 60000 == 0)
        snprintf(buf, cap, "%" PRId64 "m", ms / 60000);
    else if (ms % 1000 == 0)
        snprintf(buf, cap, "%" PRId64 "s", ms / 1000);
    else
        snprintf(buf, cap, "%" PRId64 "ms", ms);
}

void dn_ruleset_summary(const dn_ruleset *rs, FILE *out)
{
    uint32_t shadow = 0;
    for (uint32_t i = 0; i < rs->rule_count; i++)
        shadow += rs->rule_infos[i].is_shadow;
    char acc[32], dev[32], ip[32];
    fmt_ms(rs->plans[DN__ENT_ACCOUNT].retention_ms, acc, sizeof(acc));
    fmt_ms(rs->plans[DN__ENT_DEVICE].retention_ms, dev, sizeof(dev));
    fmt_ms(rs->plans[DN__ENT_IP].retention_ms, ip, sizeof(ip));
    fprintf(out,
            "ruleset %s (%s, base %s): %u rules (%u shadow), %u typologies, %u params, %u lists; "
            "retention src %s, dst %s, device %s, ip %s\n",
            rs->version, rs->hash, rs->base, rs->rule_count, shadow, rs->typology_count,
            rs->param_count, rs->list_count, acc, acc, dev, ip);
}

/* ---- compile ---------------------------------------------------------------------------- */

static int finish(dn__compiler *c)
{
    dn_ruleset *rs = c->rs;
    for (uint32_t i = 0; i < rs->rule_count && !c->err; i++) {
        dn__rule *r = &rs->rules[i];
        if (!r->when)
            continue;
        if (dn__lang_codegen(c, r->when, true, &r->prog))
            return c->err;
    }
    for (int k = 0; k < DN__ENT_KIND_COUNT && !c->err; k++)
        for (uint32_t i = 0; i < rs->filter_count[k]; i++)
            if (dn__lang_codegen(c, rs->filters[k][i].expr, false, &rs->filters[k][i].prog))
                return c->err;
    for (uint32_t i = 0; i < rs->rule_count; i++) {
        const dn__program *p = &rs->rules[i].prog;
        rs->rule_infos[i] = rs->rules[i].info;
        if (p->max_stack > rs->max_stack)
            rs->max_stack = p->max_stack;
        if (p->mark_count > rs->max_marks)
            rs->max_marks = p->mark_count;
        rs->total_sites += p->site_count;
    }
    for (int r = 0; r < DN__ROLE_COUNT; r++) {
        for (int t = 0; t < DN_EV_TYPE_COUNT; t++) {
            uint32_t *list = dn__arena_alloc(&rs->arena, (rs->rule_count + 1) * sizeof(uint32_t));
            if (!list)
                return DN_ENOMEM;
            rs->role_rules[r][t] = list;
            for (uint32_t i = 0; i < rs->rule_count; i++) {
                const dn__rule *rule = &rs->rules[i];
                if (rule->info.role == (dn__role)r && rule->prog.code &&
                    (rule->info.type_mask & (1u << t)))
                    list[rs->role_rule_count[r][t]++] = i;
            }
        }
    }
    for (int k = 0; k < DN__ENT_KIND_COUNT; k++)
        for (uint32_t i = 0; i < rs->filter_count[k]; i++)
            if (rs->filters[k][i].prog.max_stack > rs->max_stack)
                rs->max_stack = rs->filters[k][i].prog.max_stack;
    return dn__lang_regex_build_prefilter(rs);
}

int dn__ruleset_compile_sources(const dn__lang_sources *srcs, dn_diags **diags, dn_ruleset **out)
{
    *out = NULL;
    if (diags)
        *diags = NULL;
    dn_diags *d = dn__lang_diags_new();
    dn_ruleset *rs = calloc(1, sizeof(*rs));
    int rc = 0;
    if (!d || !rs) {
        rc = DN_ENOMEM;
        goto done;
    }
    rs->refcount = 1;
    dn__arena_init(&rs->arena, 64 * 1024);
    hasher hs = {0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full};
    dn__compiler c = {.rs = rs,
                      .a = &rs->arena,
                      .d = d,
                      .load = srcs->load,
                      .load_ctx = srcs->load_ctx,
                      .hash_cb = hash_piece,
                      .hash_ctx = &hs};
    dn__item *items = NULL, **tail = &items;
    if (srcs->rates_text) {
        dn__src *s = dn__arena_calloc(&rs->arena, sizeof(*s));
        if (!s ||
            !(s->name =
                  dn__arena_strndup(&rs->arena, srcs->rates_name, strlen(srcs->rates_name))) ||
            !(s->text = dn__arena_strndup(&rs->arena, srcs->rates_text, srcs->rates_len))) {
            rc = DN_ENOMEM;
            goto done;
        }
        s->len = srcs->rates_len;
        hash_piece(&hs, "rates.csv", 9);
        hash_piece(&hs, s->text, s->len);
        rc = dn__lang_rates_parse(s, &rs->arena, d, &rs->rates, &rs->rate_count);
        if (rc)
            goto done;
    }
    for (size_t i = 0; i < srcs->count; i++) {
        dn__src *s = dn__arena_calloc(&rs->arena, sizeof(*s));
        if (!s ||
            !(s->name = dn__arena_strndup(&rs->arena, srcs->names[i], strlen(srcs->names[i]))) ||
            !(s->text = dn__arena_strndup(&rs->arena, srcs->texts[i], srcs->lens[i]))) {
            rc = DN_ENOMEM;
            goto done;
        }
        s->len = srcs->lens[i];
        if (i == 0)
            c.first_src = s;
        /* the file's own name, not the folder's path: the same rules compiled from another
         * folder (or given as a relative or absolute path) keep their hash and alert ids */
        const char *base = strrchr(s->name, '/');
        base = base ? base + 1 : s->name;
        hash_piece(&hs, base, strlen(base));
        hash_piece(&hs, s->text, s->len);
        rc = dn__lang_parse_file(s, &rs->arena, d, &tail);
        if (rc)
            goto done;
    }
    c.items = items;
    rc = dn__lang_check(&c);
    if (!rc && dn_diags_count(d) == 0)
        rc = finish(&c);
    if (!rc && dn__lang_diags_oom(d))
        rc = DN_ENOMEM;
    if (rc)
        goto done;
    snprintf(rs->hash, sizeof(rs->hash), "%016" PRIx64, dn__hash_combine(hs.h1, hs.h2));
    if (dn_diags_count(d) > 0) {
        rc = DN_ESYNTAX;
        goto done;
    }
    *out = rs;
    rs = NULL;
done:
    if (d)
        dn__lang_diags_sort(d);
    ruleset_free(rs);
    if (diags)
        *diags = d;
    else
        dn_diags_free(d);
    return rc;
}

/* ---- from a folder ---------------------------------------------------------------------- */

static int read_file(const char *path, char **text, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOMEM ? DN_ENOMEM : DN_ENOENT;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return DN_ENOMEM;
    }
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                return DN_ENOMEM;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return DN_EIO;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int load_list(void *ctx, const char *path, char **text, size_t *len)
{
    char *full = join(ctx, path);
    if (!full)
        return DN_ENOMEM;
    int rc = read_file(full, text, len);
    free(full);
    return rc;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int dn_ruleset_compile(const char *dir, dn_diags **diags, dn_ruleset **out)
{
    *out = NULL;
    if (diags)
        *diags = NULL;
    DIR *dh = opendir(dir);
    if (!dh)
        return DN_ENOENT;
    char **names = NULL, **texts = NULL;
    size_t *lens = NULL, n = 0, cap = 0;
    char *rates = NULL;
    size_t rates_len = 0;
    char *rates_name = NULL;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(dh)) != NULL) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l < 7 || strcmp(de->d_name + l - 6, ".rules") != 0)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nn = realloc(names, nc * sizeof(*nn));
            if (!nn) {
                rc = DN_ENOMEM;
                break;
            }
            names = nn;
            cap = nc;
        }
        names[n] = strdup(de->d_name);
        if (!names[n]) {
            rc = DN_ENOMEM;
            break;
        }
        n++;
    }
    closedir(dh);
    if (rc)
        goto done;
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_name);
    if (n == 0) {
        dn_diags *d = dn__lang_diags_new();
        if (!d || dn__lang_diag_add(d, NULL, dir, "no_rule_files", "rule files end in .rules",
                                    "no *.rules files in %s", dir)) {
            dn_diags_free(d);
            rc = DN_ENOMEM;
            goto done;
        }
        if (diags)
            *diags = d;
        else
            dn_diags_free(d);
        rc = DN_ESYNTAX;
        goto done;
    }
    texts = calloc(n + 1, sizeof(*texts));
    lens = calloc(n + 1, sizeof(*lens));
    if (!texts || !lens) {
        rc = DN_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        char *full = join(dir, names[i]);
        if (!full) {
            rc = DN_ENOMEM;
            goto done;
        }
        rc = read_file(full, &texts[i], &lens[i]);
        free(names[i]);
        names[i] = full; /* diagnostics name the path as given */
        if (rc)
            goto done;
    }
    rates_name = join(dir, "rates.csv");
    if (!rates_name) {
        rc = DN_ENOMEM;
        goto done;
    }
    rc = read_file(rates_name, &rates, &rates_len);
    if (rc == DN_ENOENT)
        rc = 0;
    if (rc)
        goto done;
    dn__lang_sources s = {.names = (const char *const *)names,
                          .texts = (const char *const *)texts,
                          .lens = lens,
                          .count = n,
                          .rates_name = rates_name,
                          .rates_text = rates,
                          .rates_len = rates_len,
                          .load = load_list,
                          .load_ctx = (void *)dir};
    rc = dn__ruleset_compile_sources(&s, diags, out);
done:
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
        if (texts)
            free(texts[i]);
    }
    free(names);
    free(texts);
    free(lens);
    free(rates);
    free(rates_name);
    return rc;
}
