/*
 * PVH entry for the x86 test guests.
 *
 * The loader (QEMU's firmware or ngkvm) enters pvh_start in 32-bit
 * protected mode with paging off and %ebx pointing at hvm_start_info.
 * We note what the entry state looked like (the tests print parts of it),
 * identity-map the first 4 GiB with 2 MiB pages, switch to long mode and
 * call main(start_info).  main's return value ends the run through
 * isa-debug-exit.
 *
 * Everything here runs at CPL0, which PVM emulates at about a million
 * instructions a second, so the page-table loop is the only loop.
 */
#include "asm.h"

	/* XEN_ELFNOTE_PHYS32_ENTRY, desc widened to 64 bits as Linux does. */
	.section .note.Xen, "a"
	.p2align 2
	.long 4
	.long 8
	.long 18
	.asciz "Xen"
	.quad pvh_start

	.section .text.start, "ax"
	.code32
	.globl pvh_start
pvh_start:
	cli
	cld
	movl %ebx, entry_ebx
	movl %eax, entry_eax
	movl %esi, entry_esi
	movl $boot_stack_top, %esp
	pushfl
	popl entry_eflags
	movl %cr0, %eax
	movl %eax, entry_cr0
	movl %cr4, %eax
	movl %eax, entry_cr4
	movw %cs, entry_cs
	movw %ds, entry_ds
	movw %es, entry_es
	movw %ss, entry_ss
	/* The loader's GDT: the tests decode the descriptors the selectors name. */
	sgdt entry_gdtr

	/* PML4[0] -> PDPT; PDPT[0..3] -> PD0..PD3 (user-accessible, writable). */
	movl $pdpt + 7, pml4
	movl $pd + 7, %eax
	movl $pdpt, %edi
	movl $4, %ecx
1:	movl %eax, (%edi)
	addl $4096, %eax
	addl $8, %edi
	decl %ecx
	jnz 1b
	/* 2048 identity 2 MiB pages: present, writable, user, PS. */
	movl $pd, %edi
	movl $PTE_P | PTE_W | PTE_U | PTE_PS, %eax
	movl $2048, %ecx
2:	movl %eax, (%edi)
	addl $0x200000, %eax
	addl $8, %edi
	decl %ecx
	jnz 2b

	lgdt gdt_ptr
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $CR0_PG | CR0_PE, %eax
	movl %eax, %cr0
	ljmp $SEL_KCODE, $long_mode

	.code64
long_mode:
	movl $SEL_KDATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movq $boot_stack_top, %rsp
	movl entry_ebx, %edi
	call main
	movl %eax, %edi
	call debug_exit
3:	hlt
	jmp 3b

	.data
	.p2align 4
	.globl gdt
gdt:
	.quad 0				/* null */
	.quad 0x00af9b000000ffff	/* 0x08 kernel code, 64-bit */
	.quad 0x00cf93000000ffff	/* 0x10 kernel data */
	.quad 0x00cff3000000ffff	/* 0x18 user data, DPL 3 */
	.quad 0x00affb000000ffff	/* 0x20 user code, 64-bit, DPL 3 */
	.quad 0, 0			/* 0x28 TSS, filled in by cpu_init */
gdt_end:
	.globl gdt_ptr
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt

	.globl entry_eax, entry_ebx, entry_esi, entry_eflags, entry_cr0, entry_cr4
	.globl entry_cs, entry_ds, entry_es, entry_ss, entry_gdtr
	.p2align 2
entry_eax:	.long 0
entry_ebx:	.long 0
entry_esi:	.long 0
entry_eflags:	.long 0
entry_cr0:	.long 0
entry_cr4:	.long 0
entry_cs:	.word 0
entry_ds:	.word 0
entry_es:	.word 0
entry_ss:	.word 0
	.p2align 2
entry_gdtr:	.word 0
		.long 0

	.section .bss.pagetables, "aw", @nobits
	.p2align 12
	.globl pml4, pdpt, pd
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4 * 4096

	.bss
	.p2align 4
boot_stack:
	.skip 16384
	.globl boot_stack_top
boot_stack_top:
