/* spe-int: vector integer, compares, merges, splats, evsel, brinc and the
 * accumulator moves QEMU 7.2 implements.  Left out (QEMU deviates from the
 * SPE PEM, unit tests cover them): evrndw (QEMU keeps the low halfword),
 * evslw/evsrwu/evsrws (QEMU 7.2 computes them with TCG temporaries that do not
 * survive its branches: garbage results), the high word of brinc's rD, and the
 * multiply family QEMU does not decode. */
#include "ops.h"
	.text
OP evaddw, K_I2, evaddw 5,6,7
OP evsubfw, K_I2, evsubfw 5,6,7
OP evaddiw_0, K_I2, evaddiw 5,7,0
OP evaddiw_31, K_I2, evaddiw 5,7,31
OP evsubifw_1, K_I2, evsubifw 5,1,7
OP evsubifw_31, K_I2, evsubifw 5,31,7
OP evabs, K_I1, evabs 5,6
OP evneg, K_I1, evneg 5,6
OP evextsb, K_I1, evextsb 5,6
OP evextsh, K_I1, evextsh 5,6
OP evcntlzw, K_I1, evcntlzw 5,6
OP evcntlsw, K_I1, evcntlsw 5,6
OP evand, K_I2, evand 5,6,7
OP evandc, K_I2, evandc 5,6,7
OP evxor, K_I2, evxor 5,6,7
OP evor, K_I2, evor 5,6,7
OP evnor, K_I2, evnor 5,6,7
OP eveqv, K_I2, eveqv 5,6,7
OP evorc, K_I2, evorc 5,6,7
OP evnand, K_I2, evnand 5,6,7
OP evrlw, K_I2, evrlw 5,6,7
OP evslwi_0, K_I1, evslwi 5,6,0
OP evslwi_1, K_I1, evslwi 5,6,1
OP evslwi_31, K_I1, evslwi 5,6,31
OP evsrwiu_3, K_I1, evsrwiu 5,6,3
OP evsrwiu_31, K_I1, evsrwiu 5,6,31
OP evsrwis_0, K_I1, evsrwis 5,6,0
OP evsrwis_7, K_I1, evsrwis 5,6,7
OP evsrwis_31, K_I1, evsrwis 5,6,31
OP evrlwi_0, K_I1, evrlwi 5,6,0
OP evrlwi_13, K_I1, evrlwi 5,6,13
OP evrlwi_31, K_I1, evrlwi 5,6,31
OP evsplati_m16, K_I1, evsplati 5,-16
OP evsplati_0, K_I1, evsplati 5,0
OP evsplati_15, K_I1, evsplati 5,15
OP evsplati_m1, K_I1, evsplati 5,-1
OP evsplatfi_m16, K_I1, evsplatfi 5,-16
OP evsplatfi_1, K_I1, evsplatfi 5,1
OP evsplatfi_15, K_I1, evsplatfi 5,15
OP evmergehi, K_I2, evmergehi 5,6,7
OP evmergelo, K_I2, evmergelo 5,6,7
OP evmergehilo, K_I2, evmergehilo 5,6,7
OP evmergelohi, K_I2, evmergelohi 5,6,7
OPB evmergelohi_same, K_I2 ; evmergelohi 6,6,7 ; evor 5,6,6 ; OPE
OP evcmpgtu, K_CMP, evcmpgtu 1,6,7
OP evcmpgts, K_CMP, evcmpgts 1,6,7
OP evcmpltu, K_CMP, evcmpltu 1,6,7
OP evcmplts, K_CMP, evcmplts 7,6,7
OP evcmpeq, K_CMP, evcmpeq 0,6,7
OP evcmpeq_same, K_CMP, evcmpeq 3,6,6
OP evsel_0, K_SEL, evsel 5,6,7,0
OP evsel_3, K_SEL, evsel 5,6,7,3
OP evsel_7, K_SEL, evsel 5,6,7,7
OPB brinc, K_BRINC ; brinc 6,6,7 ; evor 5,6,6 ; OPE
OP evmra, K_ACC, evmra 5,6
OP evmwumi, K_ACC, evmwumi 5,6,7
OP evmwsmi, K_ACC, evmwsmi 5,6,7
OP evmwumia, K_ACC, evmwumia 5,6,7
OP evmwsmia, K_ACC, evmwsmia 5,6,7
OP evmwumiaa, K_ACC, evmwumiaa 5,6,7
OP evmwsmiaa, K_ACC, evmwsmiaa 5,6,7
OP spefscr, K_SPR, nop
