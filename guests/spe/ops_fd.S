/* spe-fd: scalar double precision (efd*, efscfd) over normal operands with
 * normal results, FRMC = 0; same exclusions as spe-fs. */
#include "ops.h"
	.text
OP efdadd, K_FD2, efdadd 5,6,7
OP efdsub, K_FD2, efdsub 5,6,7
OP efdmul, K_FD2, efdmul 5,6,7
OP efddiv, K_FD2 | NZ, efddiv 5,6,7
OP efdabs, K_FD1, efdabs 5,6
OP efdnabs, K_FD1, efdnabs 5,6
OP efdneg, K_FD1, efdneg 5,6
OP efdcmpgt, K_FDCMP, efdcmpgt 1,6,7
OP efdcmplt, K_FDCMP, efdcmplt 6,6,7
OP efdcmpeq, K_FDCMP, efdcmpeq 0,6,7
OP efdtstgt, K_FDCMP, efdtstgt 2,6,7
OP efdtstlt, K_FDCMP, efdtstlt 7,6,7
OP efdtsteq, K_FDCMP, efdtsteq 1,6,7
OP efdcfui, K_FDCI, efdcfui 5,7
OP efdcfsi, K_FDCI, efdcfsi 5,7
OP efdcfuf, K_FDCF, efdcfuf 5,7
OP efdcfuid, K_FDCI64, efdcfuid 5,7
OP efdcfsid, K_FDCI64, efdcfsid 5,7
OP efdctui, K_FDTI, efdctui 5,7
OP efdctsi, K_FDTI, efdctsi 5,7
OP efdctuiz, K_FDTI, efdctuiz 5,7
OP efdctsiz, K_FDTI, efdctsiz 5,7
OP efdctuf, K_FDTI, efdctuf 5,7
OP efdctuidz, K_FDTI64, efdctuidz 5,7
OP efdctsidz, K_FDTI64, efdctsidz 5,7
OP efdcfs, K_FDCS, efdcfs 5,7
OP efscfd, K_FSCD, efscfd 5,7
