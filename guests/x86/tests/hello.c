/*
 * hello: what the PVH loader handed over.  Prints the entry state the
 * boot ABI promises (protected mode, paging off, interrupts off), the
 * hvm_start_info fields, the command line, the modules (an initrd) and
 * the RAM in the memory map.  Only RAM entries are printed: QEMU's
 * firmware adds entries for its own ACPI and BIOS areas (and a stray
 * all-zero one), which a VMM without firmware has no reason to copy.
 * Selector values and the RSDP are left out for the same reason: the
 * boot ABI leaves the selectors unspecified and an RSDP exists only
 * where firmware built ACPI tables.
 */
#include "x86.h"

/*
 * The descriptor a selector names in the loader's GDT, as the PVH ABI
 * states it: base, limit (after granularity), 32-bit, code or data.  The
 * accessed bit is masked: whether the CPU has set it yet is not part of
 * the ABI.
 */
static void print_segment(const char *name, uint16_t sel)
{
	if ((sel & ~7u) == 0 || (sel | 7u) > entry_gdtr.limit || (sel & 4)) {
		printf("%s: selector not in the GDT\n", name);
		return;
	}
	uint64_t d = *(const uint64_t *)(uint64_t)(entry_gdtr.base + (sel & ~7u));
	uint32_t base = (uint32_t)(((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000));
	uint32_t limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
	if (d & (1ull << 55))
		limit = (limit << 12) | 0xfff;
	unsigned type = (unsigned)(d >> 40) & 0xe, s = (unsigned)(d >> 44) & 1;
	unsigned dpl = (unsigned)(d >> 45) & 3, p = (unsigned)(d >> 47) & 1;
	unsigned db = (unsigned)(d >> 54) & 1, l = (unsigned)(d >> 53) & 1;
	printf("%s: base %x limit %x %s type %x dpl %u present %u %s\n", name, base, limit,
	       s ? (type & 8 ? "code" : "data") : "system", type, dpl, p,
	       l ? "64-bit" : db ? "32-bit" : "16-bit");
}

int main(struct hvm_start_info *si);
int main(struct hvm_start_info *si)
{
	printf("hello from a PVH guest\n");
	printf("entry: CR0.PE=%u CR0.PG=%u CR4=%x EFLAGS.IF=%u TF=%u VM=%u\n",
	       entry_cr0 & 1, entry_cr0 >> 31, entry_cr4, (entry_eflags >> 9) & 1,
	       (entry_eflags >> 8) & 1, (entry_eflags >> 17) & 1);
	print_segment("cs", entry_cs);
	print_segment("ds", entry_ds);
	print_segment("es", entry_es);
	print_segment("ss", entry_ss);
	printf("start_info: magic %x version %u flags %x\n", si->magic, si->version, si->flags);
	if (si->magic != XEN_HVM_START_MAGIC_VALUE)
		return 1;
	const char *cmdline = (const char *)si->cmdline_paddr;
	printf("cmdline: \"%s\"\n", cmdline ? cmdline : "(none)");
	printf("modules: %u\n", si->nr_modules);
	const struct hvm_modlist_entry *mods = (const void *)si->modlist_paddr;
	for (uint32_t i = 0; i < si->nr_modules; i++) {
		const char *p = (const char *)mods[i].paddr;
		printf("  module %u: %lu bytes, page aligned %s, \"", i, mods[i].size,
		       (mods[i].paddr & 0xfff) ? "no" : "yes");
		for (uint64_t k = 0; k < mods[i].size && k < 64; k++)
			putchar_(p[k] >= ' ' && p[k] < 127 ? p[k] : '.');
		printf("\"\n");
	}
	const struct hvm_memmap_table_entry *mm = (const void *)si->memmap_paddr;
	uint64_t ram = 0;
	printf("memmap RAM:\n");
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		if (mm[i].type != 1 || mm[i].size == 0)
			continue;
		printf("  %016lx-%016lx\n", mm[i].addr, mm[i].addr + mm[i].size - 1);
		ram += mm[i].size;
	}
	printf("RAM: %lu KiB\n", ram >> 10);
	return 0;
}
