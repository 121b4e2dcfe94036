/* Probes of QEMU 7.2 behaviour behind the choices in src/accel/e500/insn/spe*.ts
 * (`make probe`; not a fixture). */
#include "ops.h"
	.text
OP evfscfsi_speoff, K_SPEU, evfscfsi 5,7
OP evfsabs_speoff, K_SPEU, evfsabs 5,6
OP evfscmpgt_speoff, K_SPEU, evfscmpgt 1,6,7
OP evsel_speoff, K_SPEU, evsel 5,6,7,3
OP efscfd_speoff, K_SPEU, efscfd 5,7
OP efdcfs_speoff, K_SPEU, efdcfs 5,7
OP efdctsi_speoff, K_SPEU, efdctsi 5,7
OP efdabs_speoff, K_SPEU, efdabs 5,6
OP efdcmpgt_speoff, K_SPEU, efdcmpgt 1,6,7
OP efststgt_speoff, K_SPEU, efststgt 1,6,7
OP evsplatfi_speoff, K_SPEU, evsplatfi 5,3
OP evmra_speoff, K_SPEU, evmra 5,6
OP evsubifw, K_RAW, evsubifw 5,3,7
OP evstdd_speoff, K_SPEU_LD, evstdd 5,0(6)
