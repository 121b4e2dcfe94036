/*
 * The anchor of bench/kvm-exit.ts: the same KVM_RUN loops, written directly in C on the same
 * /dev/kvm, so the TypeScript figures can be read as a ratio. Built with gcc at bench time.
 *
 *   kvm-exit-anchor pio N     real-mode `out %al, $0x10; jmp` — N PIO exits
 *   kvm-exit-anchor mmio N    real-mode `mov %al, (0x9000); jmp` — N MMIO exits
 *   kvm-exit-anchor loop N    the host running the CPL3 benchmark's loop body N times
 *
 * Prints nanoseconds per iteration.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s pio|mmio|loop N\n", argv[0]);
    return 2;
  }
  long n = atol(argv[2]);
  if (strcmp(argv[1], "loop") == 0) {
    /* The CPL3 guest's loop: add the counter to an accumulator, count down. */
    volatile uint64_t sink;
    uint64_t acc = 0;
    double t0 = now_ns();
    for (uint64_t i = (uint64_t)n; i != 0; i--) {
      acc += i;
      __asm__ volatile("" : "+r"(acc)); /* keep the loop a loop: no closed form */
    }
    sink = acc;
    (void)sink;
    printf("%.3f\n", (now_ns() - t0) / n);
    return 0;
  }
  int mmio = strcmp(argv[1], "mmio") == 0;
  int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm < 0) die("/dev/kvm");
  int vm = ioctl(kvm, KVM_CREATE_VM, 0);
  if (vm < 0) die("KVM_CREATE_VM");
  size_t size = 0x8000;
  uint8_t *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) die("mmap");
  /* 0x1000: out %al,$0x10; jmp .-4   or   mov %al,(0x9000); jmp .-6 */
  static const uint8_t pio_code[] = { 0xe6, 0x10, 0xeb, 0xfc };
  static const uint8_t mmio_code[] = { 0xa2, 0x00, 0x90, 0xeb, 0xfb };
  if (mmio) memcpy(mem + 0x1000, mmio_code, sizeof mmio_code);
  else memcpy(mem + 0x1000, pio_code, sizeof pio_code);
  struct kvm_userspace_memory_region region = { .slot = 0, .guest_phys_addr = 0, .memory_size = size, .userspace_addr = (uintptr_t)mem };
  if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) die("KVM_SET_USER_MEMORY_REGION");
  int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
  if (vcpu < 0) die("KVM_CREATE_VCPU");
  int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
  if (run == MAP_FAILED) die("mmap run");
  struct kvm_sregs sregs;
  if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) die("KVM_GET_SREGS");
  sregs.cs.base = 0;
  sregs.cs.selector = 0;
  sregs.ds.base = 0;
  sregs.ds.selector = 0;
  if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) die("KVM_SET_SREGS");
  struct kvm_regs regs = { .rip = 0x1000, .rflags = 2, .rax = 0x41 };
  if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) die("KVM_SET_REGS");
  unsigned want = mmio ? KVM_EXIT_MMIO : KVM_EXIT_IO;
  for (int i = 0; i < 1000; i++) { /* warm up */
    if (ioctl(vcpu, KVM_RUN, 0) < 0 || run->exit_reason != want) die("warm-up exit");
  }
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    if (ioctl(vcpu, KVM_RUN, 0) < 0) die("KVM_RUN");
    if (run->exit_reason != want) {
      fprintf(stderr, "unexpected exit %u\n", run->exit_reason);
      return 1;
    }
  }
  printf("%.3f\n", (now_ns() - t0) / n);
  return 0;
}
