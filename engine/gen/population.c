/*
 * population.c - who lives in the feed: customers in households, their devices and IPs, and the
 * external counterparties they deal with (employers, landlords, merchants, utilities, exchanges,
 * friends at other banks, family abroad).
 *
 * Customers are party[0 .. customer_count); externals follow. Households share a home IP; some
 * families share a tablet; students share a flat's IP. A few percent of customers are opened
 * during the period (they get account_open events). Look-alike roles are set here as flags and
 * played out day by day in lookalike.c. Everything is drawn from g->rng in a fixed order.
 */
#include "dragnet/error.h"
#include "gen/gen.h"

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

static int32_t add_party(dn__gen *g)
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
    int32_t i = add_party(g);
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

static int32_t add_person(dn__gen *g, dn__gen_rng *r, const char *cc)
{
    char name[64];
    dn__gen_person_name(r, cc, name, sizeof(name));
    return dn__gen_add_external(g, r, cc, name);
}

static int32_t add_company(dn__gen *g, dn__gen_rng *r, const char *cc)
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

static int32_t *pool_alloc(dn__gen *g, uint32_t n)
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

static void make_pools(dn__gen *g, dn__gen_rng *r)
{
    uint32_t n = g->cfg.accounts;
    g->employer_count = 20 + n / 25;
    g->employers = pool_alloc(g, g->employer_count);
    for (uint32_t i = 0; i < g->employer_count && !g->rc; i++)
        g->employers[i] = add_company(g, r, dn__gen_rng_chance(r, 0.9) ? "DE" : "NL");
    static const char *const pension_names[] = {"Deutsche Rentenversicherung Bund",
                                                "Deutsche Rentenversicherung Nord",
                                                "Versorgungsanstalt des Bundes"};
    g->pension_count = 3;
    g->pension = pool_alloc(g, 3);
    for (uint32_t i = 0; i < 3 && !g->rc; i++)
        g->pension[i] = dn__gen_add_external(g, r, "DE", pension_names[i]);

    g->merchant_count = 200 + n / 50;
    g->merchants = pool_alloc(g, g->merchant_count);
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
    g->abroad_merchants = pool_alloc(g, 80);
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
    g->persons = pool_alloc(g, g->person_count);
    for (uint32_t i = 0; i < g->person_count && !g->rc; i++) {
        static const char *const cc[] = {"DE", "DE", "DE", "DE", "DE", "DE", "DE",
                                         "AT", "NL", "PL", "FR", "ES", "IT", "RO"};
        g->persons[i] = add_person(g, r, DN__GEN_PICK(r, cc));
    }
    g->landlord_count = 50 + n / 20;
    g->landlords = pool_alloc(g, g->landlord_count);
    for (uint32_t i = 0; i < g->landlord_count && !g->rc; i++)
        g->landlords[i] =
            dn__gen_rng_chance(r, 0.5) ? add_person(g, r, "DE") : add_company(g, r, "DE");
    g->utility_count = sizeof(utility_names) / sizeof(utility_names[0]);
    g->utilities = pool_alloc(g, g->utility_count);
    for (uint32_t i = 0; i < g->utility_count && !g->rc; i++)
        g->utilities[i] = dn__gen_add_external(g, r, "DE", utility_names[i]);
    g->exchange_count = sizeof(exchange_rows) / sizeof(exchange_rows[0]);
    g->exchanges = pool_alloc(g, g->exchange_count);
    for (uint32_t i = 0; i < g->exchange_count && !g->rc; i++)
        g->exchanges[i] = dn__gen_add_external(g, r, exchange_rows[i][1], exchange_rows[i][0]);
    g->dealer_count = 20 + n / 500;
    g->dealers = pool_alloc(g, g->dealer_count);
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
    g->carrier_ips = pool_alloc(g, g->carrier_ip_count);
    for (uint32_t i = 0; i < g->carrier_ip_count && !g->rc; i++)
        g->carrier_ips[i] = dn__gen_add_ip(g, r, "DE");
}

/* Fills in one customer of household hh. */
static void make_customer(dn__gen *g, dn__gen_rng *r, int32_t i, uint8_t seg, const char *last,
                          const char *origin, int32_t hh, int32_t home_ip, int32_t shared_dev)
{
    dn__gen_party *p = &g->party[i];
    int64_t start = g->cfg.start_ms;
    char id[40], name[160], first[64];
    dn__gen_iban(g, NULL, "DE", true, id);
    dn__gen_person_name(r, origin, first, sizeof(first));
    char *sp = strchr(first, ' ');
    if (sp)
        *sp = '\0';
    snprintf(name, sizeof(name), "%s %s", first, last);
    p->id = dn__gen_strdup(g, id);
    p->name = dn__gen_strdup(g, name);
    p->bank = dn__gen_our_bank;
    memcpy(p->country, "DE", 3);
    p->is_customer = true;
    p->segment = seg;
    p->household = hh;
    p->home_ip = home_ip;
    p->shared_device = shared_dev;
    p->phone = dn__gen_add_device(g, r);
    static const char *const abroad_res[] = {"AT", "NL", "PL", "FR", "CZ", "DK"};
    memcpy(p->residence, dn__gen_rng_chance(r, 0.04) ? DN__GEN_PICK(r, abroad_res) : "DE", 3);
    switch (seg) {
    case DN__SEG_STUDENT:
        p->birth_year = (int16_t)dn__gen_rng_range(r, 1999, 2007);
        break;
    case DN__SEG_SENIOR:
        p->birth_year = (int16_t)dn__gen_rng_range(r, 1935, 1960);
        break;
    case DN__SEG_SMB:
        p->birth_year = (int16_t)dn__gen_rng_range(r, 1955, 1995);
        break;
    default:
        p->birth_year = (int16_t)dn__gen_rng_range(r, 1950, 2003);
    }
    /* A few percent open during the period; the rest years before it. */
    int64_t period = (int64_t)g->cfg.days * DN__GEN_DAY_MS;
    if (dn__gen_rng_chance(r, 0.04)) {
        p->opened_ms = start + (int64_t)dn__gen_rng_below(r, (uint64_t)period);
    } else {
        int64_t max_years = seg == DN__SEG_STUDENT ? 5 : 30;
        int64_t days_before = dn__gen_rng_range(r, 30, 365 * max_years);
        int64_t hour = dn__gen_rng_range(r, 8, 18);
        p->opened_ms = start - DN__GEN_DAY_MS * days_before + hour * DN__GEN_HOUR_MS;
    }
    p->opened_ms -= p->opened_ms % DN__GEN_MIN_MS;

    /* Income, rent, bills. */
    if (seg == DN__SEG_SENIOR) {
        p->employer = g->pension[dn__gen_rng_below(r, g->pension_count)];
        p->income_minor = dn__gen_rng_lognorm(r, 145000, 0.35, 70000, 400000);
        p->pay_day = 28;
    } else if (seg == DN__SEG_STUDENT) {
        if (dn__gen_rng_chance(r, 0.5)) {
            p->employer = g->employers[dn__gen_rng_below(r, g->employer_count)];
        } else {
            p->employer = g->persons[dn__gen_rng_below(r, g->person_count)];
            p->flags |= DN__F_ALLOWANCE;
        }
        p->income_minor = dn__gen_rng_lognorm(r, 70000, 0.35, 25000, 160000);
        p->pay_day = (uint8_t)dn__gen_rng_range(r, 1, 5);
    } else if (seg == DN__SEG_RETAIL) {
        if (dn__gen_rng_chance(r, 0.93)) {
            p->employer = g->employers[dn__gen_rng_below(r, g->employer_count)];
            p->income_minor = dn__gen_rng_lognorm(r, 280000, 0.35, 110000, 1200000);
        }
        p->pay_day = (uint8_t)dn__gen_rng_range(r, 25, 28);
    }
    double rent_p = seg == DN__SEG_SENIOR ? 0.4 : seg == DN__SEG_SMB ? 0.5 : 0.7;
    if (dn__gen_rng_chance(r, rent_p)) {
        p->landlord = g->landlords[dn__gen_rng_below(r, g->landlord_count)];
        p->rent_minor =
            dn__gen_rng_lognorm(r, seg == DN__SEG_STUDENT ? 45000 : 85000, 0.3, 25000, 350000);
        p->rent_day = (uint8_t)dn__gen_rng_range(r, 1, 3);
    }
    p->utility[0] = g->utilities[dn__gen_rng_below(r, g->utility_count)];
    p->utility[1] = g->utilities[dn__gen_rng_below(r, g->utility_count)];
    p->util_day = (uint8_t)dn__gen_rng_range(r, 1, 28);
    p->card_rate = (float)(seg == DN__SEG_SENIOR ? 0.04 + 0.06 * dn__gen_rng_unit(r)
                                                 : 0.05 + 0.12 * dn__gen_rng_unit(r));
    p->cash_rate = (float)(seg == DN__SEG_SENIOR ? 0.05 + 0.05 * dn__gen_rng_unit(r)
                                                 : 0.01 + 0.03 * dn__gen_rng_unit(r));
    p->p2p_rate = (float)(0.01 + 0.03 * dn__gen_rng_unit(r));
    p->login_rate = (float)(0.015 + 0.04 * dn__gen_rng_unit(r));

    /* Look-alike roles. */
    double months = g->cfg.days / 30.0;
    if (seg == DN__SEG_SMB) {
        p->flags |= DN__LA_SMB;
        p->payer_count = (uint16_t)dn__gen_rng_range(r, 15, 120);
        p->payers = pool_alloc(g, p->payer_count);
        for (uint16_t k = 0; p->payers && k < p->payer_count; k++)
            p->payers[k] = dn__gen_rng_chance(r, 0.6)
                               ? g->persons[dn__gen_rng_below(r, g->person_count)]
                               : g->employers[dn__gen_rng_below(r, g->employer_count)];
        p->payee_count = (uint16_t)dn__gen_rng_range(r, 0, 9);
        p->payees = pool_alloc(g, p->payee_count);
        for (uint16_t k = 0; p->payees && k < p->payee_count; k++)
            p->payees[k] = g->persons[dn__gen_rng_below(r, g->person_count)];
        p->income_minor = dn__gen_rng_lognorm(r, 250000, 0.4, 120000, 600000); /* wages */
        p->pay_day = (uint8_t)dn__gen_rng_range(r, 25, 28);
    }
    if (seg != DN__SEG_STUDENT && p->birth_year < 1980 && dn__gen_rng_chance(r, 0.012)) {
        p->flags |= DN__LA_LANDLORD;
        p->payer_count = (uint16_t)dn__gen_rng_range(r, 2, 8);
        p->payers = pool_alloc(g, p->payer_count);
        for (uint16_t k = 0; p->payers && k < p->payer_count; k++)
            p->payers[k] = g->persons[dn__gen_rng_below(r, g->person_count)];
    } else if (dn__gen_rng_chance(r, 0.004)) {
        p->flags |= DN__LA_TREASURER;
        p->payer_count = (uint16_t)dn__gen_rng_range(r, 20, 80);
        p->payers = pool_alloc(g, p->payer_count);
        for (uint16_t k = 0; p->payers && k < p->payer_count; k++)
            p->payers[k] = g->persons[dn__gen_rng_below(r, g->person_count)];
    }
    if (seg != DN__SEG_SENIOR && dn__gen_rng_chance(r, seg == DN__SEG_STUDENT ? 0.06 : 0.035)) {
        p->flags |= DN__LA_DCA;
        p->dca_day = (uint8_t)dn__gen_rng_range(r, 1, 28);
    }
    bool is_migrant =
        strcmp(origin, "PH") == 0 || strcmp(origin, "VN") == 0 || strcmp(origin, "IN") == 0;
    if ((is_migrant && dn__gen_rng_chance(r, 0.7)) || dn__gen_rng_chance(r, 0.004)) {
        p->flags |= DN__LA_REMIT;
        const char *home = is_migrant ? origin : (dn__gen_rng_chance(r, 0.5) ? "TR" : "RO");
        char fam[160], fn[64];
        dn__gen_person_name(r, home, fn, sizeof(fn));
        sp = strchr(fn, ' ');
        if (sp)
            *sp = '\0';
        snprintf(fam, sizeof(fam), "%s %s", fn, last);
        int32_t acct = dn__gen_add_external(g, r, home, fam);
        p = &g->party[i]; /* the table may have moved */
        p->abroad = acct;
        p->remit_day = (uint8_t)dn__gen_rng_range(r, 1, 28);
    }
    if (p->employer >= 0 && seg == DN__SEG_RETAIL && dn__gen_rng_chance(r, 0.05)) {
        static const char *const cc[] = {"DE", "DE", "DE", "LT", "NL"};
        p->flags |= DN__LA_SWEEP;
        char own[80];
        snprintf(own, sizeof(own), "%s", p->name);
        int32_t acct = dn__gen_add_external(g, r, DN__GEN_PICK(r, cc), own);
        p = &g->party[i];
        p->savings = acct;
    }
    if (seg != DN__SEG_SMB && dn__gen_rng_chance(r, 0.02 * months)) {
        p->flags |= DN__LA_HOLIDAY;
        p->la_day = (int16_t)dn__gen_rng_below(r, g->cfg.days);
    } else if (p->birth_year <= 1966 && dn__gen_rng_chance(r, 0.008 * months)) {
        p->flags |= DN__LA_BIGPAY;
        p->la_day = (int16_t)dn__gen_rng_below(r, g->cfg.days);
    }
    if (seg == DN__SEG_SENIOR && dn__gen_rng_chance(r, 0.01))
        p->flags |= DN__LA_HELPER;
    if (p->opened_ms < start && dn__gen_rng_chance(r, 0.02))
        p->flags |= DN__F_DORMANT;
}

int dn__gen_population(dn__gen *g)
{
    dn__gen_rng *r = &g->rng;
    uint32_t n = g->cfg.accounts;
    /* Customers first, so that they are party[0 .. n). Their externals come after. */
    g->party = calloc((size_t)n + 64, sizeof(*g->party));
    if (!g->party)
        return g->rc = DN_ENOMEM;
    g->party_cap = (size_t)n + 64;
    g->party_count = n;
    for (uint32_t i = 0; i < n; i++) {
        memset(&g->party[i], 0, sizeof(g->party[i]));
        g->party[i].household = g->party[i].phone = g->party[i].shared_device = -1;
        g->party[i].home_ip = g->party[i].employer = g->party[i].landlord = -1;
        g->party[i].savings = g->party[i].abroad = -1;
        g->party[i].quiet_from = UINT16_MAX;
    }
    g->customer_count = n;
    make_pools(g, r);

    static const char *const origins[] = {"DE", "DE", "DE", "DE", "DE", "DE", "DE",
                                          "DE", "DE", "DE", "DE", "DE", "DE", "DE",
                                          "PL", "TR", "PH", "VN", "IN", "DE"};
    uint32_t i = 0;
    int32_t hh = 0;
    while (i < n && !g->rc) {
        double u = dn__gen_rng_unit(r);
        uint8_t seg;
        uint32_t size;
        if (u < 0.07) {
            seg = DN__SEG_STUDENT; /* a shared flat */
            size = (uint32_t)dn__gen_rng_range(r, 2, 5);
        } else if (u < 0.19) {
            seg = DN__SEG_SENIOR;
            size = (uint32_t)dn__gen_rng_range(r, 1, 2);
        } else if (u < 0.24) {
            seg = DN__SEG_SMB;
            size = 1;
        } else {
            seg = DN__SEG_RETAIL;
            size = (uint32_t)dn__gen_rng_range(r, 1, 4);
        }
        if (size > n - i)
            size = n - i;
        int32_t home_ip = dn__gen_add_ip(g, r, "DE");
        int32_t shared = -1;
        if (seg != DN__SEG_STUDENT && size > 1 && dn__gen_rng_chance(r, 0.4))
            shared = dn__gen_add_device(g, r);
        const char *origin = DN__GEN_PICK(r, origins);
        char family[64];
        dn__gen_person_name(r, origin, family, sizeof(family));
        char last[64];
        snprintf(last, sizeof(last), "%s", dn__gen_last_name(family));
        for (uint32_t k = 0; k < size; k++, i++) {
            if (seg == DN__SEG_STUDENT && k > 0) { /* flatmates are not family */
                origin = DN__GEN_PICK(r, origins);
                dn__gen_person_name(r, origin, family, sizeof(family));
                snprintf(last, sizeof(last), "%s", dn__gen_last_name(family));
            }
            uint8_t s = seg == DN__SEG_RETAIL && k >= 2 ? DN__SEG_STUDENT : seg;
            make_customer(g, r, (int32_t)i, s, last, origin, hh, home_ip, shared);
        }
        hh++;
    }
    return g->rc;
}

int32_t dn__gen_pick_customer(dn__gen *g, dn__gen_rng *r, dn__gen_filter_cb filter)
{
    if (g->customer_count == 0)
        return -1;
    for (int tries = 0; tries < 4000; tries++) {
        int32_t i = (int32_t)dn__gen_rng_below(r, g->customer_count);
        dn__gen_party *p = &g->party[i];
        if (p->flags & DN__F_IN_CASE)
            continue;
        if (filter && !filter(g, p))
            continue;
        p->flags |= DN__F_IN_CASE;
        return i;
    }
    return -1;
}
