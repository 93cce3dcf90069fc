/*
 * encode.h - the wire format out: one dn_event as one msgpack map or one JSON object.
 *
 * Both encoders write exactly the same keys in the same order (DESIGN.md, "Event"): id, ts,
 * type, then every optional field that is present (amount, currency, src, dst, src_name,
 * dst_name, src_country, dst_country, src_bank, dst_bank, reference, purpose, channel, mcc,
 * device, ip, ip_country, remote_access, customer {birth_year, opened, segment, residence}),
 * then the attributes in their order. An absent field is left out, never written as null.
 * A DN_VAL_COMPLEX attribute (whose value the decoder did not keep) is written as nil/null, the
 * only value both formats can say for it.
 *
 * Ownership: the encoders append to a caller-owned dn__buf and keep nothing. They return 0 or
 * DN_ENOMEM; after a failure the buffer may hold a partial object and should be cleared.
 */
#ifndef DN_ENCODE_ENCODE_H
#define DN_ENCODE_ENCODE_H

#include "common/buf.h"
#include "dragnet/event.h"

/* Appends ev as one msgpack map (msgpack-c's packer, smallest encodings). */
int dn__encode_msgpack(const dn_event *ev, dn__buf *out);

/* Appends ev as one JSON object, without a trailing newline (NDJSON writers add it). */
int dn__encode_json(const dn_event *ev, dn__buf *out);

#endif
