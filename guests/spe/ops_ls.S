/* spe-ls: every SPE load and store, aligned (QEMU 7.2 takes no alignment
 * interrupts; unit tests cover them).  Left out: evldh and evlwhsplat, which
 * QEMU 7.2 assembles wrongly (unit tests cover them).  rA = buffer, rB = index;
 * kinds carry the access alignment in bits 8+. */
#include "ops.h"
#define L8 (K_LD | (8 << 8))
#define L4 (K_LD | (4 << 8))
#define L2 (K_LD | (2 << 8))
#define S8 (K_ST | (8 << 8))
#define S4 (K_ST | (4 << 8))
	.text
OP evlddx, L8, evlddx 5,6,7
OP evldd_0, L8, evldd 5,0(6)
OP evldd_16, L8, evldd 5,16(6)
OP evldwx, L8, evldwx 5,6,7
OP evldw_8, L8, evldw 5,8(6)
OP evlhhesplatx, L2, evlhhesplatx 5,6,7
OP evlhhesplat_6, L2, evlhhesplat 5,6(6)
OP evlhhousplatx, L2, evlhhousplatx 5,6,7
OP evlhhousplat_2, L2, evlhhousplat 5,2(6)
OP evlhhossplatx, L2, evlhhossplatx 5,6,7
OP evlhhossplat_30, L2, evlhhossplat 5,30(6)
OP evlwhex, L4, evlwhex 5,6,7
OP evlwhe_4, L4, evlwhe 5,4(6)
OP evlwhoux, L4, evlwhoux 5,6,7
OP evlwhou_8, L4, evlwhou 5,8(6)
OP evlwhosx, L4, evlwhosx 5,6,7
OP evlwhos_12, L4, evlwhos 5,12(6)
OP evlwwsplatx, L4, evlwwsplatx 5,6,7
OP evlwwsplat_4, L4, evlwwsplat 5,4(6)
OP evstddx, S8, evstddx 5,6,7
OP evstdd_8, S8, evstdd 5,8(6)
OP evstdwx, S8, evstdwx 5,6,7
OP evstdw_0, S8, evstdw 5,0(6)
OP evstdhx, S8, evstdhx 5,6,7
OP evstdh_16, S8, evstdh 5,16(6)
OP evstwhex, S4, evstwhex 5,6,7
OP evstwhe_4, S4, evstwhe 5,4(6)
OP evstwhox, S4, evstwhox 5,6,7
OP evstwho_8, S4, evstwho 5,8(6)
OP evstwwex, S4, evstwwex 5,6,7
OP evstwwe_0, S4, evstwwe 5,0(6)
OP evstwwox, S4, evstwwox 5,6,7
OP evstwwo_12, S4, evstwwo 5,12(6)
