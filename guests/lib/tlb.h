/*
 * MMU helpers: load MAS registers and execute tlbwe / tlbre / tlbsx /
 * tlbivax.  Each write is bracketed by msync/isync as the ISA requires
 * before the new translation may be relied on.
 */
#ifndef TLB_H
#define TLB_H
#include <stdint.h>

struct tlbe {
	uint32_t mas0, mas1, mas2, mas3, mas7;
};

/* tlbwe with exactly these MAS values (MAS7 = upper physical bits). */
void tlb_write(uint32_t mas0, uint32_t mas1, uint32_t mas2, uint32_t mas3,
	       uint32_t mas7);

/* tlbre: MAS0 selects TLB/ESEL; for TLB0 the set comes from MAS2[EPN]. */
void tlb_read(uint32_t mas0, uint32_t mas2, struct tlbe *out);

/* tlbsx for ea with MAS6 = mas6.  Returns MAS1[V] (1 = hit). */
int tlb_search(uint32_t ea, uint32_t mas6, struct tlbe *out);

void tlb_ivax(uint32_t ea);		/* tlbivax 0,ea ; tlbsync */

/* Convenience: a TLB1 entry mapping ea -> pa (36-bit), 4^tsize KiB. */
void tlb1_map(unsigned esel, uint32_t ea, uint64_t pa, unsigned tsize,
	      uint32_t wimge, uint32_t perms, unsigned tid, int ts, int iprot);
/* A TLB0 4 KiB entry in way `way` of the set chosen by ea. */
void tlb0_map(unsigned way, uint32_t ea, uint64_t pa, uint32_t wimge,
	      uint32_t perms, unsigned tid, int ts);
/* Clear V of a TLB1 entry (tlbwe with MAS1 = 0). */
void tlb1_unmap(unsigned esel);
void tlb0_unmap(unsigned way, uint32_t ea);

/* Print "label: mas0 .. mas1 .. mas2 .. mas3 .. mas7 ..\n" with MAS0[NV]
 * masked out (the next-victim hint is implementation-specific). */
void tlb_print(const char *label, const struct tlbe *e);
#endif
