/* spe-fs: scalar (efs*) and vector (evfs*) single precision over normal
 * operands with normal results, FRMC = 0.  Left out (QEMU 7.2 deviates from
 * the SPE PEM; unit tests cover them): special operands and results, FRMC,
 * SPEFSCR status/sticky/enable behaviour, the signed fractional conversions,
 * and the vector compares evfscmp and evfstst, whose CR field QEMU 7.2 builds
 * from 4/0 element results instead of 1/0 (garbage spills into CR field crfD-1). */
#include "ops.h"
	.text
OP efsadd, K_FS2, efsadd 5,6,7
OP efssub, K_FS2, efssub 5,6,7
OP efsmul, K_FS2, efsmul 5,6,7
OP efsdiv, K_FS2 | NZ, efsdiv 5,6,7
OP efsabs, K_FS1, efsabs 5,6
OP efsnabs, K_FS1, efsnabs 5,6
OP efsneg, K_FS1, efsneg 5,6
OP efscmpgt, K_FSCMP, efscmpgt 1,6,7
OP efscmplt, K_FSCMP, efscmplt 6,6,7
OP efscmpeq, K_FSCMP, efscmpeq 0,6,7
OP efststgt, K_FSCMP, efststgt 2,6,7
OP efststlt, K_FSCMP, efststlt 7,6,7
OP efststeq, K_FSCMP, efststeq 1,6,7
OP efscfui, K_FSCI, efscfui 5,7
OP efscfsi, K_FSCI, efscfsi 5,7
OP efscfuf, K_FSCF, efscfuf 5,7
OP efsctui, K_FSTI, efsctui 5,7
OP efsctsi, K_FSTI, efsctsi 5,7
OP efsctuiz, K_FSTI, efsctuiz 5,7
OP efsctsiz, K_FSTI, efsctsiz 5,7
OP efsctuf, K_FSTI, efsctuf 5,7
OP evfsadd, K_FS2, evfsadd 5,6,7
OP evfssub, K_FS2, evfssub 5,6,7
OP evfsmul, K_FS2, evfsmul 5,6,7
OP evfsdiv, K_FS2 | NZ, evfsdiv 5,6,7
OP evfsabs, K_FS1, evfsabs 5,6
OP evfsnabs, K_FS1, evfsnabs 5,6
OP evfsneg, K_FS1, evfsneg 5,6
OP evfscfui, K_FSCI, evfscfui 5,7
OP evfscfsi, K_FSCI, evfscfsi 5,7
OP evfscfuf, K_FSCF, evfscfuf 5,7
OP evfsctui, K_FSTI, evfsctui 5,7
/* QEMU 7.2 sign-extends a negative low result of evfsctsi into the high word */
OPB evfsctsi_abs, K_FSTI ; evfsabs 7,7 ; evfsctsi 5,7 ; OPE
OP evfsctuiz, K_FSTI, evfsctuiz 5,7
OP evfsctsiz, K_FSTI, evfsctsiz 5,7
OP evfsctuf, K_FSTI, evfsctuf 5,7
