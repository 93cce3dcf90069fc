/*
 * disasm.c - `dragnet check --disasm`: every rule's program, one instruction a line.
 *
 * Format: a header per rule (id, role, event types, score, mode, typologies), then
 * `  0003  CMP       a=>= c=1        ; sum(in, 24h) >= ...` with each operand decoded: constants
 * formatted as values, fields by name, aggregate slots by kind/dir/window/filter, sets and
 * regexes by their source text, jumps by target. Where-filters follow, per entity kind.
 */
#include "lang/ast.h"
#include "lang/opcodes.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *const dn__lang_opcode_names[OP_COUNT_] = {
#define DN__OPCODE_NAME(name, operands, doc) #name,
    DN__OPCODE_MAP(DN__OPCODE_NAME)
#undef DN__OPCODE_NAME
};

static const char *agg_name(dn__agg_kind k)
{
    static const char *const n[] = {"count",    "sum",        "avg",      "max",     "min",
                                    "distinct", "pair_count", "pair_sum", "pair_max"};
    return (unsigned)k < 9 ? n[k] : "?";
}

static const char *dir_name(int d)
{
    return d == DN__DIR_IN ? "in" : d == DN__DIR_OUT ? "out" : "any";
}

static const char *const fact_fields[] = {"counterparty", "device",  "ip",     "ip_country",
                                          "country",      "channel", "account"};

static void print_program(const dn_ruleset *rs, dn__entity_kind kind, const dn__program *p,
                          FILE *out)
{
    char val[256];
    for (uint32_t pc = 0; pc < p->len; pc++) {
        const dn__insn *in = &p->code[pc];
        const char *name = dn__lang_opcode_names[in->op];
        fprintf(out, "  %04u  %-10s%s", pc, name, strlen(name) >= 10 ? " " : "");
        const dn__site *site = p->site_count && in->c < p->site_count ? &p->sites[in->c] : NULL;
        bool is_cond = in->op == OP_CMP || in->op == OP_CMPC || in->op == OP_CMPFC ||
                       in->op == OP_TYPEIS || in->op == OP_INF || in->op == OP_IN ||
                       in->op == OP_MATCH || in->op == OP_TEST || in->op == OP_NOT;
        bool is_retf = is_cond && (in->a & DN__RETF);
        unsigned a = is_retf ? in->a & ~DN__RETF : in->a;
        switch ((dn__opcode)in->op) {
        case OP_CONST:
            dn__lang_value_format(rs, &p->consts[in->b], val, sizeof(val));
            fprintf(out, "#%u        ; %s", in->b, val);
            break;
        case OP_FIELD:
            fprintf(out, "%-10u ; %s", in->b, dn__lang_field_names[in->b]);
            break;
        case OP_ATTR:
            fprintf(out, "#%u        ; attrs.%.*s", in->b, (int)p->consts[in->b].v.s.len,
                    p->consts[in->b].v.s.ptr);
            break;
        case OP_AGG: {
            const dn__agg_spec *s = &rs->plans[kind].aggs[in->b];
            fprintf(out, "slot=%-5u ; %s", in->b, agg_name(s->kind));
            if (s->kind == DN__AGG_DISTINCT)
                fprintf(out, " %s", fact_fields[s->field]);
            if (s->kind < DN__AGG_PAIR_COUNT)
                fprintf(out, " %s", dir_name(s->dir));
            fprintf(out, " window=%" PRId64 "ms", s->window_ms);
            if (s->filter >= 0)
                fprintf(out, " where#%d (%s)", s->filter, rs->filters[kind][s->filter].key);
            break;
        }
        case OP_SINCE_LAST:
            fprintf(out, "a=%-8u ; dir %s", in->a, dir_name(in->a));
            break;
        case OP_HITS:
            fprintf(out, "rule=%-5u ; hits(%s, %" PRId64 "ms)", in->b, rs->rule_infos[in->b].id,
                    p->consts[in->c].v.i);
            break;
        case OP_CALL:
            fprintf(out, "a=%-8u ; %s()", in->a, dn__lang_fn_names[in->a]);
            break;
        case OP_CMP:
            fprintf(out, "op=%-7s ; %s %s", dn__lang_op_text(a), site ? site->left_text : "",
                    dn__lang_op_text(a));
            break;
        case OP_CMPC:
            dn__lang_value_format(rs, &p->consts[in->b], val, sizeof(val));
            fprintf(out, "op=%-7s ; %s %s %s", dn__lang_op_text(a), site ? site->left_text : "",
                    dn__lang_op_text(a), val);
            break;
        case OP_CMPFC:
            dn__lang_value_format(rs, &p->consts[in->b >> 8], val, sizeof(val));
            fprintf(out, "op=%-7s ; %s %s %s", dn__lang_op_text(a),
                    dn__lang_field_names[in->b & 255], dn__lang_op_text(a), val);
            break;
        case OP_TYPEIS:
            dn__lang_value_format(rs, &p->consts[in->b >> 8], val, sizeof(val));
            fprintf(out, "op=%-7s ; type %s %s", dn__lang_op_text(a), dn__lang_op_text(a), val);
            break;
        case OP_IN:
        case OP_INF:
            fprintf(out, "set=%-6u ; %s %s %s", in->b & 0xffffffu, site ? site->left_text : "",
                    a ? "not in" : "in", rs->sets[in->b & 0xffffffu].src_text);
            break;
        case OP_MATCH:
            fprintf(out, "re=%-7u ; %s %s %s%s", in->b, site ? site->left_text : "", a ? "!~" : "~",
                    rs->regexes[in->b].src_text,
                    rs->regexes[in->b].is_prefiltered ? " (prefiltered)" : "");
            break;
        case OP_TEST:
            fprintf(out, "site=%-5u ; %s", in->c, site ? site->left_text : "");
            break;
        case OP_JF:
        case OP_JT:
            fprintf(out, "-> %04u%s", in->b, in->op == OP_JF && in->a ? " (return false)" : "");
            break;
        case OP_MARK:
        case OP_RESET:
            fprintf(out, "m%u", in->a);
            break;
        default:
            break;
        }
        if (is_retf)
            fputs(" (false: return)", out);
        fputc('\n', out);
    }
}

void dn_ruleset_disasm(const dn_ruleset *rs, FILE *out)
{
    static const char *const roles[] = {"src", "dst", "device", "ip"};
    for (uint32_t i = 0; i < rs->rule_count; i++) {
        const dn__rule *r = &rs->rules[i];
        const dn__rule_info *ri = &r->info;
        fprintf(out, "rule %s  (for %s, on", ri->id, roles[ri->role]);
        for (int t = 0; t < DN_EV_TYPE_COUNT; t++)
            if (ri->type_mask & (1u << t))
                fprintf(out, " %s", dn_event_type_name((dn_event_type)t));
        fprintf(out, ", score %d%s, %s:%d)\n", ri->score, ri->is_shadow ? ", shadow" : "", ri->file,
                ri->line);
        fprintf(out, "  ; when %s\n", r->prog.src_text ? r->prog.src_text : "");
        print_program(rs, dn__role_kind(ri->role), &r->prog, out);
    }
    static const char *const kinds[] = {"account", "device", "ip"};
    for (int k = 0; k < DN__ENT_KIND_COUNT; k++) {
        for (uint32_t i = 0; i < rs->filter_count[k]; i++) {
            fprintf(out, "filter %s#%u  ; where %s\n", kinds[k], i, rs->filters[k][i].key);
            print_program(rs, (dn__entity_kind)k, &rs->filters[k][i].prog, out);
        }
        const dn__state_plan *pl = &rs->plans[k];
        fprintf(out,
                "plan %s: %u slots, %u filters, retention %" PRId64
                "ms, counterparty memory %" PRId64 "ms\n",
                kinds[k], pl->agg_count, pl->filter_count, pl->retention_ms,
                pl->counterparty_memory_ms);
    }
}
