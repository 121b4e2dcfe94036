/*
 * highmem: RAM above 4 GiB.  For each RAM entry of the memory map that
 * starts at or above 4 GiB, map its first, middle and last 2 MiB (2 MiB
 * pages under a page directory of their own), write a value that names
 * the address into each probe and read them all back; the low-memory
 * bytes a VMM that truncated addresses to 32 bits would hit instead are
 * checked to be unchanged.  With no RAM above 4 GiB (the differential
 * suite's 128 MiB) it says so; test/unit/accel/kvm/big-guest.test.ts runs
 * it with 16 GiB.  Everything runs at CPL0 (PVM emulates it): a handful
 * of accesses only.
 */
#include "x86.h"

#define GiB (1ull << 30)
#define MAX_PDS 16

extern uint64_t pdpt[];
static uint64_t pds[MAX_PDS][512] __attribute__((aligned(4096)));
static unsigned used_pds;

/* Maps the 2 MiB page holding `addr` (identity); 0 when out of page directories. */
static int map_2m(uint64_t addr)
{
	uint64_t g = addr >> 30;
	if (g >= 512)
		return 0;
	if (!(pdpt[g] & PTE_P)) {
		if (used_pds == MAX_PDS)
			return 0;
		pdpt[g] = (uint64_t)pds[used_pds++] | PTE_P | PTE_W;
	}
	uint64_t *pd = (uint64_t *)(pdpt[g] & ~0xfffull);
	pd[(addr >> 21) & 511] = (addr & ~0x1fffffull) | PTE_P | PTE_W | PTE_PS;
	invlpg(addr);
	return 1;
}

static uint64_t pattern(uint64_t addr) { return addr ^ 0x5a5aa5a5c3c33c3cull; }

int main(struct hvm_start_info *si);
int main(struct hvm_start_info *si)
{
	const struct hvm_memmap_table_entry *mm = (const void *)si->memmap_paddr;
	uint64_t low_end = 0;
	for (uint32_t i = 0; i < si->memmap_entries; i++)
		if (mm[i].type == 1 && mm[i].addr < 4 * GiB && mm[i].addr + mm[i].size > low_end)
			low_end = mm[i].addr + mm[i].size;
	int found = 0, bad = 0;
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		if (mm[i].type != 1 || mm[i].addr < 4 * GiB || mm[i].size < 8)
			continue;
		found = 1;
		uint64_t start = mm[i].addr, end = mm[i].addr + mm[i].size;
		uint64_t probes[3] = { start, start + ((mm[i].size / 2) & ~7ull), end - 8 };
		printf("RAM above 4 GiB: %lx-%lx (%lu MiB)\n", start, end - 1, mm[i].size >> 20);
		/* What a 32-bit truncation would overwrite instead, read before the writes. */
		uint64_t low[3];
		for (int k = 0; k < 3; k++) {
			uint64_t alias = probes[k] & 0xffffffffull;
			low[k] = alias + 8 <= low_end && alias >= 0x100000 ? *(volatile uint64_t *)alias : 0;
		}
		for (int k = 0; k < 3; k++) {
			if (!map_2m(probes[k])) {
				printf("  %lx: cannot map it\n", probes[k]);
				return 2;
			}
			*(volatile uint64_t *)probes[k] = pattern(probes[k]);
		}
		for (int k = 0; k < 3; k++) {
			uint64_t v = *(volatile uint64_t *)probes[k];
			printf("  %lx: %s\n", probes[k], v == pattern(probes[k]) ? "ok" : "WRONG");
			bad |= v != pattern(probes[k]);
			uint64_t alias = probes[k] & 0xffffffffull;
			if (alias + 8 <= low_end && alias >= 0x100000 && *(volatile uint64_t *)alias != low[k]) {
				printf("  the write also changed low memory at %lx\n", alias);
				bad = 1;
			}
		}
	}
	if (!found)
		printf("no RAM above 4 GiB\n");
	return bad ? 1 : 0;
}
