/*
 * alert.h - what an alert is, as it leaves the engine: one JSON object on one line.
 *
 * The engine hands each alert line to a dn_alert_cb (see engine.h). The line is UTF-8 JSON
 * without a trailing newline, its keys always in this order:
 *
 *   alert_id     16 hex digits, stable: a hash of the rule set's hash, the typology, the entity
 *                kind and id, and the id of the event that raised the alert. An alert_update
 *                carries the alert_id of the alert it updates.
 *   kind         "alert" when raised; "alert_update" when a later hit inside the typology's
 *                suppression window adds to it
 *   ts           event time (ms since the epoch, UTC) of the event that raised or updated it
 *   time         the same instant as ISO 8601 UTC ("2026-11-27T20:32:31.123Z"), for people
 *   entity       the entity's id (account, device fingerprint or ip)
 *   role         its kind: "account", "device" or "ip"
 *   typology     the typology's name, then description and severity ("low" .. "critical")
 *   score        the sum of the entity's live hit scores of the typology's rules in its window
 *   threshold    the typology's threshold
 *   verdict      "allow", "review" or "block" from the typology's review/block thresholds;
 *                absent when the typology sets neither
 *   ruleset      {"version": ..., "hash": ...}
 *   rules        every hit that contributed (the newest 16 when there are more), oldest first:
 *                {"id", "description", "score", "ts", "because": [strings], "events": [ids]}
 *   event        the id of the event that raised or updated it
 *
 * Same input and rules give the same lines, byte for byte: nothing in a line comes from the wall
 * clock or from memory addresses.
 */
#ifndef DRAGNET_ALERT_H
#define DRAGNET_ALERT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Receives one alert line (not NUL-terminated for the callee's purposes: use len; a NUL does
 * follow it). The line is valid only during the call: copy what you keep. */
typedef void (*dn_alert_cb)(const char *json_line, size_t len, void *ud);

#ifdef __cplusplus
}
#endif
#endif
