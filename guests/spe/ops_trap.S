/* spe-trap: SPE unavailable (MSR[SPE]=0) for every group that needs it, the
 * instructions that run without it, and undefined opcode-4 encodings. */
#include "ops.h"
	.text
OP evaddw, K_SPEU, evaddw 5,6,7
OP evsplati, K_SPEU, evsplati 5,3
OP evsplatfi, K_SPEU, evsplatfi 5,3
OP evsel, K_SPEU, evsel 5,6,7,3
OP evmergehi, K_SPEU, evmergehi 5,6,7
OP evcmpeq, K_SPEU, evcmpeq 1,6,7
OP evslwi, K_SPEU, evslwi 5,6,3
OP evmra, K_SPEU, evmra 5,6
OP evmwumi, K_SPEU, evmwumi 5,6,7
OP evmwsmiaa, K_SPEU, evmwsmiaa 5,6,7
OP evldd, K_SPEU_LD, evldd 5,0(6)
OP evlwhex, K_SPEU_LD, evlwhex 5,6,7
OP evstdd, K_SPEU_LD, evstdd 5,0(6)
OP evstwwox, K_SPEU_LD, evstwwox 5,6,7
OP evfsadd, K_SPEU, evfsadd 5,6,7
OP evfsabs, K_SPEU, evfsabs 5,6
OP evfscfsi, K_SPEU, evfscfsi 5,7
OP evfscmpgt, K_SPEU, evfscmpgt 1,6,7
OP efdadd, K_SPEU, efdadd 5,6,7
OP efdabs, K_SPEU, efdabs 5,6
OP efdcfsi, K_SPEU, efdcfsi 5,7
OP efdctsi, K_SPEU, efdctsi 5,7
OP efdcmpgt, K_SPEU, efdcmpgt 1,6,7
OP efdtsteq, K_SPEU, efdtsteq 1,6,7
OP efscfd, K_SPEU, efscfd 5,7
/* no MSR[SPE] needed */
OP efsadd, K_SPEU_F, efsadd 5,6,7
OP efsmul, K_SPEU_F, efsmul 5,6,7
OP efsabs, K_SPEU_F, efsabs 5,6
OP efscfsi, K_SPEU_F, efscfsi 5,7
OP efsctuiz, K_SPEU_F, efsctuiz 5,7
OP efscmpgt, K_SPEU_F, efscmpgt 1,6,7
OP efststlt, K_SPEU_F, efststlt 1,6,7
OPB brinc, K_SPEU ; brinc 6,6,7 ; mr 5,6 ; OPE
/* undefined encodings (MSR[SPE]=1): illegal instruction */
OP undef_201, K_RAW, .long 0x10a63a01
OP undef_210, K_RAW, .long 0x10a63a10
OP undef_2c2, K_RAW, .long 0x10a63ac2
OP undef_2e7, K_RAW, .long 0x10a63ae7
OP undef_33f, K_RAW, .long 0x10a63b3f
OP spefscr, K_SPR, nop
