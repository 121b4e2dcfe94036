/* Probes of QEMU behaviour (not a fixture). */
#include "ops.h"
	.text
OP efsadd_speoff, K_SPEU, efsadd 5,6,7
OP efscfsi_speoff, K_SPEU, efscfsi 5,7
OP efsabs_speoff, K_SPEU, efsabs 5,6
OP efscmpgt_speoff, K_SPEU, efscmpgt 1,6,7
OP evsplati_speoff, K_SPEU, evsplati 5,3
OP efdcfsi_speoff, K_SPEU, efdcfsi 5,7
OP evaddw_speoff, K_SPEU, evaddw 5,6,7
OP brinc_speoff, K_SPEU, brinc 5,6,7
OP evldd_speoff, K_SPEU_LD, evldd 5,0(6)
OPB efsadd_inexact, K_RAW ; li 0,0 ; mtspr 512,0 ; lis 6,0x3f80 ; lis 7,0x3380 ; ori 7,7,1 ; efsadd 5,6,7 ; OPE
OPB efsadd_rz, K_RAW ; li 0,1 ; mtspr 512,0 ; lis 6,0x3f80 ; lis 7,0x3380 ; ori 7,7,1 ; efsadd 5,6,7 ; OPE
OPB efsadd_rp, K_RAW ; li 0,2 ; mtspr 512,0 ; lis 6,0x3f80 ; lis 7,0x3300 ; ori 7,7,1 ; efsadd 5,6,7 ; OPE
OPB efsadd_denorm, K_RAW ; lis 6,0x0040 ; lis 7,0x0040 ; efsadd 5,6,7 ; OPE
OPB efsmul_underflow, K_RAW ; lis 6,0x0100 ; lis 7,0x0100 ; efsmul 5,6,7 ; OPE
OPB efsmul_overflow, K_RAW ; lis 6,0x7f00 ; lis 7,0x7f00 ; efsmul 5,6,7 ; OPE
OPB efsadd_nan, K_RAW ; lis 6,0x7fc0 ; lis 7,0x3f80 ; efsadd 5,6,7 ; OPE
OPB efsadd_inf, K_RAW ; lis 6,0x7f80 ; lis 7,0x3f80 ; efsadd 5,6,7 ; OPE
OPB efsdiv_zero, K_RAW ; lis 6,0x3f80 ; li 7,0 ; efsdiv 5,6,7 ; OPE
OPB efsadd_finve, K_RAW ; li 0,0x20 ; mtspr 512,0 ; lis 6,0x7fc0 ; lis 7,0x3f80 ; efsadd 5,6,7 ; OPE
OPB efsadd_finxe, K_RAW ; li 0,0x40 ; mtspr 512,0 ; lis 6,0x3f80 ; lis 7,0x3380 ; ori 7,7,1 ; efsadd 5,6,7 ; OPE
OPB efscfsf, K_RAW ; lis 7,0x4000 ; efscfsf 5,7 ; OPE
OPB efsctsf, K_RAW ; lis 7,0x3f00 ; efsctsf 5,7 ; OPE
OPB efsctsi_snan, K_RAW ; lis 7,0x7fa0 ; efsctsi 5,7 ; OPE
OP evmhesmi, K_RAW, evmhesmi 5,6,7
OP evmheumi, K_RAW, evmheumi 5,6,7
OP evdivws, K_RAW, evdivws 5,6,7
OP evaddusiaaw, K_RAW, evaddusiaaw 5,6
OPB efdcfuid, K_RAW ; li 7,5 ; efdcfuid 5,7 ; OPE
OPB efdctsidz, K_RAW ; lis 7,0x4014 ; evmergelo 7,7,7 ; li 7,0 ; efdctsidz 5,7 ; OPE
OPB evldd_mis, K_RAW ; lis 6,buf@ha ; addi 6,6,buf@l ; addi 6,6,36 ; evldd 5,0(6) ; OPE
OPB evrndw, K_RAW ; lis 6,0x1234 ; ori 6,6,0x8765 ; evrndw 5,6 ; OPE
OPB evsrws32, K_RAW ; li 6,-16 ; li 7,40 ; evsrws 5,6,7 ; OPE
OPB brinc_hi, K_RAW ; lis 6,0x1234 ; evmergelo 6,6,6 ; li 6,0 ; li 7,7 ; brinc 5,6,7 ; OPE
OPB evldh, K_RAW ; lis 6,buf@ha ; addi 6,6,buf@l ; evldh 5,32(6) ; OPE
OPB evlwhsplat, K_RAW ; lis 6,buf@ha ; addi 6,6,buf@l ; evlwhsplat 5,32(6) ; OPE
OP undef201, K_RAW, .long 0x10a63a01
OPB efsabs_inf, K_RAW ; li 0,0x20 ; mtspr 512,0 ; lis 6,0x7f80 ; efsabs 5,6 ; OPE
OPB efsctui_frmc, K_RAW ; li 0,1 ; mtspr 512,0 ; lis 7,0x3fc0 ; efsctui 5,7 ; OPE
OP spefscr_rw, K_SPR, nop
