/* Constants shared by the assembly and C parts of the x86 guest library. */
#ifndef X86_GUEST_ASM_H
#define X86_GUEST_ASM_H

#define PTE_P   0x001
#define PTE_W   0x002
#define PTE_U   0x004
#define PTE_PS  0x080

#define CR0_PE  0x00000001
#define CR0_PG  0x80000000
#define CR4_PAE 0x00000020
#define MSR_EFER 0xc0000080
#define EFER_LME 0x00000100
#define EFER_LMA 0x00000400

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x1b
#define SEL_UCODE 0x23
#define SEL_TSS   0x28

#endif
