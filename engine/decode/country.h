/*
 * country.h - the countries an event leaves out, worked out from the account and bank codes it
 * carries. src_country and dst_country are the account's or its agent's country (DESIGN.md); a
 * feed that sends BICs or IBANs but no country fields still says them, and the rules that read
 * countries (hotspot payees, travel near a compound) should not go blind on such a feed.
 */
#ifndef DN_DECODE_COUNTRY_H
#define DN_DECODE_COUNTRY_H

#include "dragnet/event.h"

#include <stdbool.h>

/* ISO 9362: a BIC is 8 or 11 characters, letters 5-6 the country. Writes it to out (with a NUL)
 * and returns true when bic has that shape. */
bool dn__country_of_bic(dn_str bic, char out[3]);

/* ISO 13616: an IBAN starts with its country's two letters and passes the mod-97 check (spaces
 * between groups allowed). Writes the country to out (with a NUL) and returns true when iban is
 * one. */
bool dn__country_of_iban(dn_str iban, char out[3]);

/* Fills an absent src_country / dst_country from src_bank / dst_bank, else from src / dst; a
 * country the event carries is never changed. */
void dn__event_derive_countries(dn_event *ev);

#endif
