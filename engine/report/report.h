/*
 * report.h - backtest quality: alerts and rule hits measured against a labels file.
 *
 * A labels file is CSV with a header `entity,typology[,case_id]`; one entity may carry several
 * typologies. Per typology (and "any"): labelled entities, alerted entities, true positives (an
 * alerted entity labelled with that typology), precision and recall. Per rule: hits, hits that
 * fell on labelled entities and how many labelled entities it touched, so an analyst sees which
 * rule earns its keep. Not on the hot path of scoring; it runs beside a replay.
 *
 * Ownership: the dn__quality copies every string it is given.
 */
#ifndef DN_REPORT_REPORT_H
#define DN_REPORT_REPORT_H

#include "common/buf.h"
#include "dragnet/event.h"

#include <jansson.h>
#include <stdio.h>

#define DN__QUALITY_MAX_TYPOLOGIES 64

typedef struct dn__quality dn__quality;

int dn__quality_new(dn__quality **out);
void dn__quality_free(dn__quality *q);

/* Reads the labels file. On a malformed file returns DN_EINVAL (DN_ENOENT when it cannot be
 * opened) and writes "path:line: what is wrong" to err. */
int dn__quality_load_labels(dn__quality *q, const char *path, dn__buf *err);
bool dn__quality_has_labels(const dn__quality *q);

/* Observations from the replay. Each returns 0 or DN_ENOMEM. */
int dn__quality_note_account(dn__quality *q, dn_str account);
int dn__quality_note_alert(dn__quality *q, dn_str entity, const char *typology);
int dn__quality_note_rule_hit(dn__quality *q, dn_str entity, const char *rule);

/* {typology: {labelled, alerted, tp, precision, recall}, ..., "any": {...}}; typologies of the
 * rule set first (in order), then any others the labels name. NULL on allocation failure. */
json_t *dn__quality_json(const dn__quality *q, const char *const *typologies, size_t count);
/* {rule: {hits, labelled_hits, labelled_entities}} in first-hit order. */
json_t *dn__quality_rules_json(const dn__quality *q);
/* Distinct accounts seen and alerts raised per 1,000 of them. */
uint64_t dn__quality_accounts(const dn__quality *q);

/* The same as tables, for people. */
void dn__quality_print(const dn__quality *q, const char *const *typologies, size_t count,
                       FILE *out);

#endif
