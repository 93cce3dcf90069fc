/*
 * names.c - account ids, bank codes and names.
 *
 * Every account, whatever its role, gets its id from the same scheme: an IBAN with valid check
 * digits for IBAN countries (our bank's customers are DE IBANs with our bank code), a country
 * prefix and twelve digits elsewhere. Names are drawn from the same tables for everyone, so
 * nothing in an id or a name tells a case account from an ordinary one.
 */
#include "gen/gen.h"

#include <stdio.h>
#include <string.h>

const char *const dn__gen_our_bank = "DRGNDEFFXXX";
static const char our_blz[] = "50070024";

typedef struct bank_row {
    const char *cc;
    const char *bics[4];
} bank_row;

static const bank_row banks[] = {
    {"DE", {"COBADEFFXXX", "INGDDEFFXXX", "BYLADEMMXXX", "GENODEF1M04"}},
    {"NL", {"INGBNL2AXXX", "RABONL2UXXX", "ABNANL2AXXX", NULL}},
    {"FR", {"BNPAFRPPXXX", "SOGEFRPPXXX", "CRLYFRPPXXX", NULL}},
    {"AT", {"BKAUATWWXXX", "RZBAATWWXXX", NULL, NULL}},
    {"PL", {"PKOPPLPWXXX", "BPKOPLPWXXX", NULL, NULL}},
    {"ES", {"CAIXESBBXXX", "BBVAESMMXXX", NULL, NULL}},
    {"IT", {"UNCRITMMXXX", "BCITITMMXXX", NULL, NULL}},
    {"GB", {"BARCGB22XXX", "HBUKGB4BXXX", "MIDLGB22XXX", NULL}},
    {"LT", {"REVOLT21XXX", "CBVILT2XXXX", NULL, NULL}},
    {"MT", {"PAYRMTMTXXX", "VALLMTMTXXX", NULL, NULL}},
    {"EE", {"LHVBEE22XXX", "EEUHEE2XXXX", NULL, NULL}},
    {"PH", {"BNORPHMMXXX", "MBTCPHMMXXX", "BOPIPHMMXXX", NULL}},
    {"VN", {"BFTVVNVXXXX", "ICBVVNVXXXX", NULL, NULL}},
    {"IN", {"SBININBBXXX", "HDFCINBBXXX", "ICICINBBXXX", NULL}},
    {"TH", {"BKKBTHBKXXX", "KASITHBKXXX", "SICOTHBKXXX", NULL}},
    {"KH", {"ABAAKHPPXXX", "ACLBKHPPXXX", "CADIKHPPXXX", NULL}},
    {"MM", {"KBZBMMMYXXX", "AYABMMMYXXX", NULL, NULL}},
    {"LA", {"COEBLALAXXX", "BCELLALAXXX", NULL, NULL}},
    {"AE", {"EBILAEADXXX", "NBADAEAAXXX", NULL, NULL}},
    {"US", {"CHASUS33XXX", "BOFAUS3NXXX", NULL, NULL}},
    {"SG", {"DBSSSGSGXXX", "OCBCSGSGXXX", NULL, NULL}},
    {"HK", {"HSBCHKHHXXX", "BKCHHKHHXXX", NULL, NULL}},
    {"TR", {"TGBATRISXXX", "ISBKTRISXXX", NULL, NULL}},
    {"RO", {"RNCBROBUXXX", "BTRLRO22XXX", NULL, NULL}},
    {"CN", {"BKCHCNBJXXX", "ICBKCNBJXXX", NULL, NULL}},
    {"MY", {"MBBEMYKLXXX", "CIBBMYKLXXX", NULL, NULL}},
};

/* Length of the BBAN for IBAN countries; 0 for countries without IBAN. */
static int bban_len(const char *cc)
{
    static const struct {
        const char *cc;
        int len;
    } t[] = {{"DE", 18}, {"NL", 14}, {"FR", 23}, {"AT", 16}, {"PL", 24}, {"ES", 20}, {"IT", 23},
             {"GB", 18}, {"LT", 16}, {"MT", 27}, {"EE", 16}, {"AE", 19}, {"TR", 22}, {"RO", 20}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (strcmp(t[i].cc, cc) == 0)
            return t[i].len;
    return 0;
}

static unsigned mod97_push(unsigned rem, char c)
{
    if (c >= 'A' && c <= 'Z') {
        unsigned v = (unsigned)(c - 'A' + 10);
        rem = (rem * 10 + v / 10) % 97;
        return (rem * 10 + v % 10) % 97;
    }
    return (rem * 10 + (unsigned)(c - '0')) % 97;
}

void dn__gen_iban(dn__gen *g, dn__gen_rng *r, const char *cc, bool is_ours, char out[40])
{
    /* The account number is a bijection of a run-wide serial, so ids never collide. */
    uint64_t serial = ++g->name_serial;
    uint64_t acct = (serial * 6364136223ull + 1442695ull) % 10000000000ull;
    int len = bban_len(cc);
    if (len == 0) {
        snprintf(out, 40, "%s%02u%010llu", cc, (unsigned)dn__gen_rng_below(r, 100),
                 (unsigned long long)acct);
        return;
    }
    char bban[32];
    if (is_ours) {
        snprintf(bban, sizeof(bban), "%s%010llu", our_blz, (unsigned long long)acct);
    } else {
        int pos = 0;
        if (strcmp(cc, "NL") == 0 || strcmp(cc, "GB") == 0)
            for (; pos < 4; pos++)
                bban[pos] = (char)('A' + dn__gen_rng_below(r, 26));
        int tail = len - pos - 10;
        for (int i = 0; i < tail; i++)
            bban[pos++] = (char)('0' + dn__gen_rng_below(r, 10));
        snprintf(bban + pos, sizeof(bban) - (size_t)pos, "%010llu", (unsigned long long)acct);
    }
    unsigned rem = 0;
    for (const char *p = bban; *p; p++)
        rem = mod97_push(rem, *p);
    rem = mod97_push(rem, cc[0]);
    rem = mod97_push(rem, cc[1]);
    rem = mod97_push(rem, '0');
    rem = mod97_push(rem, '0');
    snprintf(out, 40, "%s%02u%s", cc, 98 - rem, bban);
}

const char *dn__gen_bank_for(dn__gen_rng *r, const char *cc)
{
    for (size_t i = 0; i < sizeof(banks) / sizeof(banks[0]); i++) {
        if (strcmp(banks[i].cc, cc) != 0)
            continue;
        unsigned n = 0;
        while (n < 4 && banks[i].bics[n])
            n++;
        return banks[i].bics[dn__gen_rng_below(r, n)];
    }
    return "CHASUS33XXX";
}

static const char *const first_eu[] = {
    "Anna",   "Lukas",  "Marie", "Jonas",     "Sophie", "Felix",  "Laura",  "Paul",   "Lea",
    "Tim",    "Julia",  "Jan",   "Sarah",     "David",  "Lisa",   "Max",    "Katrin", "Stefan",
    "Sabine", "Thomas", "Petra", "Michael",   "Ursula", "Günter", "Helga",  "Jürgen", "Monika",
    "Ahmet",  "Elif",   "Piotr", "Agnieszka", "Ioana",  "Marco",  "Giulia", "Carlos", "Lucía"};
static const char *const last_eu[] = {
    "Müller", "Schmidt",    "Schneider", "Fischer",  "Weber",   "Meyer",  "Wagner",   "Becker",
    "Schulz", "Hoffmann",   "Koch",      "Richter",  "Klein",   "Wolf",   "Schröder", "Neumann",
    "Braun",  "Zimmermann", "Krüger",    "Hartmann", "Lange",   "Werner", "Krause",   "Lehmann",
    "Yilmaz", "Kaya",       "Kowalski",  "Nowak",    "Popescu", "Rossi",  "Garcia",   "Jansen"};
static const char *const first_ph[] = {"Maria",    "Jose",  "Mark",    "Angelica", "John Paul",
                                       "Kristine", "Rodel", "Jocelyn", "Ramon",    "Liza"};
static const char *const last_ph[] = {"Santos", "Reyes",   "Cruz",      "Bautista",   "Ocampo",
                                      "Garcia", "Mendoza", "Dela Cruz", "Villanueva", "Ramos"};
static const char *const first_vn[] = {"Minh",    "Lan", "Huong", "Tuan",
                                       "Thi Mai", "Duc", "Thanh", "Linh"};
static const char *const last_vn[] = {"Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang"};
static const char *const first_in[] = {"Priya",  "Rahul", "Anjali", "Vikram",
                                       "Sunita", "Arjun", "Deepa",  "Sanjay"};
static const char *const last_in[] = {"Sharma", "Patel", "Singh", "Kumar",
                                      "Reddy",  "Nair",  "Gupta", "Iyer"};
static const char *const first_sea[] = {"Somchai", "Sokha",  "Aung",     "Malee", "Dara",
                                        "Kyaw",    "Bounmy", "Chen Wei", "Li Na", "Wang Jun"};
static const char *const last_sea[] = {"Srisuk", "Chan",   "Win",   "Phan", "Sok",
                                       "Htun",   "Vongsa", "Zhang", "Liu",  "Lim"};

void dn__gen_person_name(dn__gen_rng *r, const char *cc, char *out, size_t cap)
{
    const char *f, *l;
    if (strcmp(cc, "PH") == 0) {
        f = DN__GEN_PICK(r, first_ph);
        l = DN__GEN_PICK(r, last_ph);
    } else if (strcmp(cc, "VN") == 0) {
        f = DN__GEN_PICK(r, first_vn);
        l = DN__GEN_PICK(r, last_vn);
    } else if (strcmp(cc, "IN") == 0) {
        f = DN__GEN_PICK(r, first_in);
        l = DN__GEN_PICK(r, last_in);
    } else if (strcmp(cc, "TH") == 0 || strcmp(cc, "KH") == 0 || strcmp(cc, "MM") == 0 ||
               strcmp(cc, "LA") == 0 || strcmp(cc, "SG") == 0 || strcmp(cc, "HK") == 0) {
        f = DN__GEN_PICK(r, first_sea);
        l = DN__GEN_PICK(r, last_sea);
    } else {
        f = DN__GEN_PICK(r, first_eu);
        l = DN__GEN_PICK(r, last_eu);
    }
    snprintf(out, cap, "%s %s", f, l);
}

static const char *const co_a[] = {"Nord", "Rhein",  "Alpen", "Stadt", "Global",  "Euro",
                                   "Blau", "Sonnen", "Delta", "Hansa", "Pacific", "Golden",
                                   "Asia", "Prime",  "Metro", "Berg"};
static const char *const co_b[] = {"Bau",     "Logistik", "Handel",    "Consulting",   "Trading",
                                   "Technik", "Service",  "Media",     "Holding",      "Immobilien",
                                   "Gastro",  "Pflege",   "Solutions", "Import Export"};
static const char *const co_c[] = {"GmbH", "GmbH", "GmbH & Co. KG", "AG",
                                   "UG",   "e.K.", "Ltd",           "OHG"};

void dn__gen_company_name(dn__gen_rng *r, char *out, size_t cap)
{
    const char *a = DN__GEN_PICK(r, co_a);
    const char *b = DN__GEN_PICK(r, co_b);
    const char *c = DN__GEN_PICK(r, co_c);
    snprintf(out, cap, "%s %s %s", a, b, c);
}

const char *dn__gen_last_name(const char *full)
{
    const char *sp = strchr(full, ' ');
    return sp ? sp + 1 : full;
}
