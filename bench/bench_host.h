/*
 * bench_host.h - the line every benchmark prints first: the processor it ran on. Figures move
 * with the host (FLOORS.md); the ratio to the floor of the same run does not, and the processor
 * says which absolute figures can be compared with which. Virtual machines often give only a
 * generic model name, so the family and model numbers are printed too.
 */
#ifndef DN_BENCH_HOST_H
#define DN_BENCH_HOST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The value of a "key : value" line of /proc/cpuinfo, without its newline. */
static inline void bench_cpuinfo_value(const char *line, char *out, size_t out_len)
{
    const char *colon = strchr(line, ':');
    snprintf(out, out_len, "%s", colon && colon[1] ? colon + 2 : "");
    out[strcspn(out, "\n")] = '\0';
}

static inline void bench_print_host(void)
{
    char model[128] = "unknown processor", family[16] = "?", number[16] = "?";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[256];
        bool have_name = false, have_family = false, have_number = false;
        while ((!have_name || !have_family || !have_number) && fgets(line, sizeof(line), f)) {
            if (!have_name && strncmp(line, "model name", 10) == 0) {
                bench_cpuinfo_value(line, model, sizeof(model));
                have_name = true;
            } else if (!have_family && strncmp(line, "cpu family", 10) == 0) {
                bench_cpuinfo_value(line, family, sizeof(family));
                have_family = true;
            } else if (!have_number && strncmp(line, "model\t", 6) == 0) {
                bench_cpuinfo_value(line, number, sizeof(number));
                have_number = true;
            }
        }
        fclose(f);
    }
    printf("host: %s (family %s, model %s), %ld cores online\n", model, family, number,
           sysconf(_SC_NPROCESSORS_ONLN));
}

#endif
