/*
 * externals.c - the parties outside the bank that customers deal with, and the tables every
 * party, device and IP lives in.
 *
 * Pools made once, before the customers: employers, pension funds, merchants (with MCCs) at home
 * and in TH/PH/KH, private persons at other banks (friends, family, tenants, payers), landlords,
 * utilities, crypto exchanges, car dealers and notaries, mobile carrier IPs shared by many.
 * Parties, devices and IPs are appended to growable tables owned by dn__gen; a pointer into the
 * party table is invalidated by any append (callers re-read party[i] after adding one).
 */
#include "dragnet/error.h"
#include "gen/gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dn__gen_grow(dn__gen *g, void **arr, size_t elem, size_t count, size_t *cap)
{
    if (g->rc)
        return g->rc;
    if (count < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 64;
    void *p = realloc(*arr, ncap * elem);
    if (!p) {
        g->rc = DN_ENOMEM;
        return g->rc;
    }
    *arr = p;
    *cap = ncap;
    return 0;
}

char *dn__gen_strdup(dn__gen *g, const char *s)
{
    char *p = dn__arena_strndup(&g->arena, s, strlen(s));
    if (!p && !g->rc)
        g->rc = DN_ENOMEM;
    return p ? p : (char *)"";
}

int32_t dn__gen_add_party(dn__gen *g)
{
    if (DN__GEN_GROW(g, g->party, g->party_count, g->party_cap))
        return -1;
    dn__gen_party *p = &g->party[g->party_count];
    memset(p, 0, sizeof(*p));
    p->household = p->phone = p->shared_device = p->home_ip = -1;
    p->employer = p->landlord = p->savings = p->abroad = -1;
    p->utility[0] = p->utility[1] = -1;
    p->quiet_from = UINT16_MAX;
    return (int32_t)g->party_count++;
}

int32_t dn__gen_add_external(dn__gen *g, dn__gen_rng *r, const char *cc, const char *name)
{
    int32_t i = dn__gen_add_party(g);
    if (i < 0)
        return -1;
    char id[40];
    dn__gen_iban(g, r, cc, false, id);
    dn__gen_party *p = &g->party[i];
    p->id = dn__gen_strdup(g, id);
    p->name = dn__gen_strdup(g, name);
    p->bank = dn__gen_bank_for(r, cc);
    memcpy(p->country, cc, 3);
    return i;
}

int32_t dn__gen_add_person(dn__gen *g, dn__gen_rng *r, const char *cc)
{
    char name[64];
    dn__gen_person_name(r, cc, name, sizeof(name));
    return dn__gen_add_external(g, r, cc, name);
}

int32_t dn__gen_add_company(dn__gen *g, dn__gen_rng *r, const char *cc)
{
    char name[80];
    dn__gen_company_name(r, name, sizeof(name));
    return dn__gen_add_external(g, r, cc, name);
}

int32_t dn__gen_add_device(dn__gen *g, dn__gen_rng *r)
{
    if (DN__GEN_GROW(g, g->device, g->device_count, g->device_cap))
        return -1;
    char id[24];
    snprintf(id, sizeof(id), "dv-%016llx", (unsigned long long)dn__gen_rng_next(r));
    g->device[g->device_count] = (dn__gen_ent){.id = dn__gen_strdup(g, id)};
    return (int32_t)g->device_count++;
}

int32_t dn__gen_add_ip(dn__gen *g, dn__gen_rng *r, const char *cc)
{
    static const struct {
        const char *cc;
        unsigned char first[4];
    } prefixes[] = {
        {"DE", {84, 91, 93, 217}}, {"TH", {49, 58, 171, 182}},  {"PH", {112, 124, 175, 180}},
        {"KH", {36, 42, 96, 116}}, {"MM", {37, 103, 119, 136}}, {"LA", {115, 183, 202, 61}},
        {"AE", {5, 94, 86, 2}},    {"VN", {14, 27, 113, 171}},  {"NL", {77, 145, 62, 81}},
    };
    (void)r;
    if (DN__GEN_GROW(g, g->ip, g->ip_count, g->ip_cap))
        return -1;
    size_t row = 0;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (strcmp(prefixes[i].cc, cc) == 0)
            row = i;
    /* k -> (first octet k%4, 24 bits of k/4) is one-to-one: ids never collide in a country. */
    uint64_t k = g->ip_count;
    uint32_t low = (uint32_t)(((k >> 2) * 2654435761ull) & 0xffffffu);
    char id[20];
    snprintf(id, sizeof(id), "%u.%u.%u.%u", prefixes[row].first[k & 3], (low >> 16) & 255,
             (low >> 8) & 255, low & 255);
    dn__gen_ent *e = &g->ip[g->ip_count];
    *e = (dn__gen_ent){.id = dn__gen_strdup(g, id)};
    memcpy(e->country, prefixes[row].cc, 3);
    return (int32_t)g->ip_count++;
}

int32_t *dn__gen_pool_alloc(dn__gen *g, uint32_t n)
{
    int32_t *p = dn__arena_alloc(&g->arena, (size_t)(n ? n : 1) * sizeof(int32_t));
    if (!p && !g->rc)
        g->rc = DN_ENOMEM;
    return p;
}

static const char *const utility_names[] = {"Stadtwerke Energie GmbH",
                                            "Telekom Deutschland GmbH",
                                            "Vodafone GmbH",
                                            "Allianz Versicherungs-AG",
                                            "HUK-Coburg",
                                            "Rundfunk ARD ZDF Beitragsservice",
                                            "FitX Deutschland GmbH",
                                            "Netflix International B.V.",
                                            "E.ON Energie Deutschland",
                                            "1&1 Telecom GmbH",
                                            "Vattenfall Europe Sales",
                                            "ADAC e.V."};
static const char *const exchange_rows[][2] = {
    {"Coinhaven Europe UAB", "LT"},     {"Bitmarkt Handels GmbH", "DE"}, {"Nordic Crypto OU", "EE"},
    {"Satoshi Exchange Ltd", "MT"},     {"Bitstack B.V.", "NL"},         {"Kryptohaus AG", "DE"},
    {"Orbit Digital Assets Ltd", "MT"}, {"Baltic Coin UAB", "LT"}};

static const struct {
    int32_t mcc;
    const char *name;
} merchant_kinds[] = {
    {5411, "Supermarkt"},       {5411, "Lebensmittel"}, {5812, "Restaurant"}, {5814, "Imbiss"},
    {5541, "Tankstelle"},       {5912, "Apotheke"},     {5651, "Mode"},       {5732, "Elektronik"},
    {4111, "Verkehrsbetriebe"}, {5999, "Online Shop"},  {4899, "Streaming"},  {5311, "Kaufhaus"},
    {5942, "Buchhandlung"},     {7832, "Kino"},         {5499, "Bäckerei"},   {4511, "Airline"},
};

static const char *const cities[] = {"Berlin",    "Hamburg", "München", "Köln",   "Frankfurt",
                                     "Stuttgart", "Leipzig", "Dresden", "Bremen", "Essen"};

void dn__gen_externals(dn__gen *g, dn__gen_rng *r)
{
    uint32_t n = g->cfg.accounts;
    g->employer_count = 20 + n / 25;
    g->employers = dn__gen_pool_alloc(g, g->employer_count);
    for (uint32_t i = 0; i < g->employer_count && !g->rc; i++)
        g->employers[i] = dn__gen_add_company(g, r, dn__gen_rng_chance(r, 0.9) ? "DE" : "NL");
    static const char *const pension_names[] = {"Deutsche Rentenversicherung Bund",
                                                "Deutsche Rentenversicherung Nord",
                                                "Versorgungsanstalt des Bundes"};
    g->pension_count = 3;
    g->pension = dn__gen_pool_alloc(g, 3);
    for (uint32_t i = 0; i < 3 && !g->rc; i++)
        g->pension[i] = dn__gen_add_external(g, r, "DE", pension_names[i]);

    g->merchant_count = 200 + n / 50;
    g->merchants = dn__gen_pool_alloc(g, g->merchant_count);
    for (uint32_t i = 0; i < g->merchant_count && !g->rc; i++) {
        size_t k = dn__gen_rng_below(r, sizeof(merchant_kinds) / sizeof(merchant_kinds[0]));
        char name[64];
        const char *city = DN__GEN_PICK(r, cities);
        unsigned branch = (unsigned)dn__gen_rng_range(r, 1, 999);
        snprintf(name, sizeof(name), "%s %s %u", city, merchant_kinds[k].name, branch);
        int32_t m = dn__gen_add_external(g, r, "DE", name);
        if (m >= 0)
            g->party[m].mcc = merchant_kinds[k].mcc;
        g->merchants[i] = m;
    }
    g->abroad_merchant_count = 80;
    g->abroad_merchants = dn__gen_pool_alloc(g, 80);
    static const struct {
        int32_t mcc;
        const char *name;
    } abroad_kinds[] = {{7011, "Resort"}, {7011, "Hotel"}, {5812, "Restaurant"},
                        {5311, "Mall"},   {4121, "Taxi"},  {5813, "Beach Bar"},
                        {4722, "Tours"},  {5411, "Mart"}};
    static const char *const abroad_places[][2] = {
        {"Phuket", "TH"},    {"Bangkok", "TH"},   {"Chiang Mai", "TH"}, {"Krabi", "TH"},
        {"Cebu", "PH"},      {"Boracay", "PH"},   {"Manila", "PH"},     {"Palawan", "PH"},
        {"Siem Reap", "KH"}, {"Phnom Penh", "KH"}};
    for (uint32_t i = 0; i < 80 && !g->rc; i++) {
        size_t k = dn__gen_rng_below(r, sizeof(abroad_kinds) / sizeof(abroad_kinds[0]));
        size_t pl = i % 10;
        char name[64];
        snprintf(name, sizeof(name), "%s %s", abroad_places[pl][0], abroad_kinds[k].name);
        int32_t m = dn__gen_add_external(g, r, abroad_places[pl][1], name);
        if (m >= 0)
            g->party[m].mcc = abroad_kinds[k].mcc;
        g->abroad_merchants[i] = m;
    }

    g->person_count = 500 + n / 3;
    g->persons = dn__gen_pool_alloc(g, g->person_count);
    for (uint32_t i = 0; i < g->person_count && !g->rc; i++) {
        static const char *const cc[] = {"DE", "DE", "DE", "DE", "DE", "DE", "DE",
                                         "AT", "NL", "PL", "FR", "ES", "IT", "RO"};
        g->persons[i] = dn__gen_add_person(g, r, DN__GEN_PICK(r, cc));
    }
    g->landlord_count = 50 + n / 20;
    g->landlords = dn__gen_pool_alloc(g, g->landlord_count);
    for (uint32_t i = 0; i < g->landlord_count && !g->rc; i++)
        g->landlords[i] = dn__gen_rng_chance(r, 0.5) ? dn__gen_add_person(g, r, "DE")
                                                     : dn__gen_add_company(g, r, "DE");
    g->utility_count = sizeof(utility_names) / sizeof(utility_names[0]);
    g->utilities = dn__gen_pool_alloc(g, g->utility_count);
    for (uint32_t i = 0; i < g->utility_count && !g->rc; i++)
        g->utilities[i] = dn__gen_add_external(g, r, "DE", utility_names[i]);
    g->exchange_count = sizeof(exchange_rows) / sizeof(exchange_rows[0]);
    g->exchanges = dn__gen_pool_alloc(g, g->exchange_count);
    for (uint32_t i = 0; i < g->exchange_count && !g->rc; i++)
        g->exchanges[i] = dn__gen_add_external(g, r, exchange_rows[i][1], exchange_rows[i][0]);
    g->dealer_count = 20 + n / 500;
    g->dealers = dn__gen_pool_alloc(g, g->dealer_count);
    for (uint32_t i = 0; i < g->dealer_count && !g->rc; i++) {
        static const char *const kinds[] = {"Autohaus",  "Notar",        "Autohaus",
                                            "Bauträger", "Küchenstudio", "Reisebüro"};
        char name[80];
        char who[64];
        dn__gen_person_name(r, "DE", who, sizeof(who));
        snprintf(name, sizeof(name), "%s %s", DN__GEN_PICK(r, kinds), dn__gen_last_name(who));
        g->dealers[i] = dn__gen_add_external(g, r, "DE", name);
    }
    g->carrier_ip_count = 20 + n / 10;
    g->carrier_ips = dn__gen_pool_alloc(g, g->carrier_ip_count);
    for (uint32_t i = 0; i < g->carrier_ip_count && !g->rc; i++)
        g->carrier_ips[i] = dn__gen_add_ip(g, r, "DE");
}
