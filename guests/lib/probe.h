/*
 * Try a single access and report which interrupt, if any, it raised:
 * the building block of the MMU tests.  The access runs with MSR = msr
 * (0 = supervisor, AS0; e.g. MSR_PR | MSR_DS for a user access in AS1)
 * through call_with_msr, so the probe code, its data and the stack must
 * be mapped in the chosen address space (the identity map is, in AS0).
 *
 * Returns 0 when the access completed, else the IVOR number (2 DSI,
 * 3 ISI, 13 DTLB miss, 14 ITLB miss, ...).  DSI/ISI/TLB-miss/alignment
 * interrupts are caught only for the duration of the probe.
 */
#ifndef PROBE_H
#define PROBE_H
#include <stdint.h>

unsigned probe_read32(uint32_t ea, uint32_t msr, uint32_t *val);
unsigned probe_write32(uint32_t ea, uint32_t msr, uint32_t val);
/* Calls ea as `uint32_t fn(void)`; *ret = its result. */
unsigned probe_exec(uint32_t ea, uint32_t msr, uint32_t *ret);

/* Compact "r w x" outcome: a letter if allowed, '-' if it faulted
 * with a DSI/ISI, '!' for a TLB miss, '?' for anything else. */
char probe_mark(unsigned vec, char letter);

/* Code for probe_exec: `li r3,n; blr` written to `where` (icbi'd). */
void probe_put_code(uint32_t *where, uint16_t n);
#endif
