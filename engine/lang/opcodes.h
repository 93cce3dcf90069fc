/*
 * opcodes.h - the instruction set of the rule VM, as an X-macro: X(NAME, operands, specification).
 *
 * The VM (vm.c) is a stack machine over dn__value. An instruction is {op, a (u8), c (u16),
 * b (u32)}. A program is a flat array ending with RET; jumps hold absolute instruction indexes,
 * patched by codegen.c once their target is known. Programs never loop, so each instruction runs
 * at most once per evaluation and each witness site records at most one entry.
 *
 * "Missing": a value read from an absent field (or computed from one, or a division by zero)
 * carries is_missing. Comparisons, `in` and regex matches reading a missing value are false;
 * as a condition a missing bool is false.
 *
 * Witnesses: CMP, IN, MATCH, TEST and NOT append an entry (site c, left and right values) to the
 * scratch's witness list when their result is true and the program was compiled with witnesses.
 * MARK/RESET cut entries recorded on a path that did not make the rule true (the false left side
 * of `or`, the operand of `not`), so at RET the list holds exactly the `because` of a hit.
 */
#ifndef DN_LANG_OPCODES_H
#define DN_LANG_OPCODES_H

#define DN__OPCODE_MAP(X)                                                                          \
    /* push consts[b] */                                                                           \
    X(CONST, "b=const", "push constant b of the program's pool")                                   \
    /* push the event field b (dn__field_id); missing when the event lacks it */                   \
    X(FIELD, "b=field", "push event field b, role-relative for counterparty*; missing if absent")  \
    X(ATTR, "b=const(key)", "push attrs[key] as number, string or bool; missing if absent/nested") \
    X(AGG, "b=slot a=type",                                                                        \
      "push aggregate slot b of the entity's plan at the event time (state)")                      \
    X(NEWCP, "", "push bool: the counterparty was not seen with the entity before (observation)")  \
    X(AGE, "", "push duration: now - customer.opened, else now - first seen (observation)")        \
    X(FIRST_SEEN, "", "push time: the entity's first fact (observation)")                          \
    X(SINCE_LAST, "a=dir", "push duration since the last earlier fact in dir; missing if none")    \
    X(HITS, "b=rule c=const(window)", "push number: hits of rule b in the window, earlier events") \
    X(NOW, "", "push time: the event's ts")                                                        \
    X(CALL, "a=builtin", "replace top with hour/year/lower/len/abs of it (dn__fn_id in a)")        \
    X(NEG, "", "replace top with its negation (number, money, duration)")                          \
    X(ADD, "", "pop r, l; push l + r (money, number, duration, time+duration)")                    \
    X(SUB, "", "pop r, l; push l - r (time - time is a duration)")                                 \
    X(MUL, "", "pop r, l; push l * r (money*number rounds half away from zero)")                   \
    X(DIV, "", "pop r, l; push l / r (missing when r is 0)")                                       \
    X(CMP, "a=op c=site", "pop r, l; push l op r (== != < <= > >=); false if either is missing")   \
    X(CMPC, "a=op c=site b=const", "replace top l with l op constant b: CONST, CMP in one")        \
    X(CMPFC, "a=op c=site b=field|const<<8",                                                       \
      "push field (b & 255) op constant (b >> 8): FIELD, CONST, CMP in one instruction")           \
    X(TYPEIS, "a=op c=site b=type|const<<8",                                                       \
      "push type == / != event type b & 255 (a CMPFC on the type field, without strings)")         \
    X(IN, "b=set a=negate c=site", "pop l; push l in set b (not in when a); false if missing")     \
    X(INF, "b=set|field<<24 a=negate c=site",                                                      \
      "push field (b >> 24) in set (b & 0xffffff): FIELD, IN")                                     \
    X(MATCH, "b=regex a=negate c=site", "pop l; push l ~ regex b (!~ when a); prefilter, cache")   \
    X(TEST, "c=site", "top is a bool used as a condition: missing becomes false; witness if true") \
    X(NOT, "c=site", "replace top with its negation (missing counts as false); witness if true")   \
    X(JF, "b=target a=ret", "if top is false jump to b keeping it (a: return it), else pop it")    \
    X(JT, "b=target", "if top is true jump to b keeping it, else pop it (or)")                     \
    X(MARK, "a=reg", "remember the witness count in mark register a")                              \
    X(RESET, "a=reg", "drop witnesses recorded since MARK a")                                      \
    X(RET, "", "stop: the top of the stack is the result")

/* In a of CMP, CMPC, CMPFC, TYPEIS, INF, IN, MATCH, TEST, NOT: instead of leaving the bool on the
 * stack, return false when it is false and go on (nothing pushed) when true: the condition and a JF
 * that returns, in one instruction (codegen.c). The rest of a is the operand it always was. */
#define DN__RETF 0x80u

typedef enum dn__opcode {
#define DN__OPCODE_ENUM(name, operands, doc) OP_##name,
    DN__OPCODE_MAP(DN__OPCODE_ENUM)
#undef DN__OPCODE_ENUM
        OP_COUNT_
} dn__opcode;

extern const char *const dn__lang_opcode_names[OP_COUNT_];

#endif
