/*
 * Small userland checks for the Linux guests, run by the scripts in
 * /usr/share/ngkvm: their output must be the same on QEMU and ngkvm, so
 * nothing here prints a time, an address or anything random.
 *
 *   ngkvm-check segv        a child dereferences NULL; the parent reports its signal
 *   ngkvm-check fp N        N iterations of double arithmetic (classic FPU on e500mc,
 *                           the kernel's math emulation on e500v2)
 *   ngkvm-check mem MIB     fills MIB mebibytes with a pattern, reads them back, checksums
 *   ngkvm-check sleep MS    nanosleep(MS) and says whether the clock moved by at least MS
 *   ngkvm-check dirty MIB MS  forever: a new value in every page of MIB mebibytes, then
 *                           "tick N" (N = 0, 1, ...) and a sleep of MS milliseconds (the
 *                           migration tests' job: memory that keeps changing, a counter the
 *                           host checks for gaps and repeats across the switch)
 *   ngkvm-check gen MIB     writes MIB mebibytes of text-like pseudo-random data to stdout
 *                           (the same bytes every time: the benchmark's input)
 *   ngkvm-check seqwrite DEV START_MIB MIB   O_DIRECT 1 MiB writes from START_MIB, then fdatasync
 *   ngkvm-check seqread DEV START_MIB MIB    O_DIRECT 1 MiB reads from START_MIB
 *   ngkvm-check randread DEV COUNT           O_DIRECT 4 KiB reads at pseudo-random offsets
 *                           (the disk benchmark: the host times them between markers)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int segv(void)
{
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		volatile int *p = (volatile int *)(uintptr_t)0;
		*p = 42;
		_exit(0);
	}
	int status;
	if (waitpid(pid, &status, 0) != pid) {
		perror("waitpid");
		return 1;
	}
	if (WIFSIGNALED(status))
		printf("child killed by signal %d (%s)\n", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		printf("child exited with status %d\n", WEXITSTATUS(status));
	return 0;
}

static int fp(long n)
{
	/* Leibniz series for pi and a logistic map: +, -, *, / only (libm's rounding-mode
	 * helpers use instructions the e500 cores lack). */
	double pi = 0, sign = 1, x = 0.25;
	for (long k = 0; k < n; k++) {
		pi += sign * 4.0 / (2.0 * k + 1.0);
		sign = -sign;
		x = 3.7 * x * (1.0 - x);
	}
	float f = 1.0f;
	for (long k = 1; k <= 30; k++)
		f = f * 1.5f / (float)k + 0.25f;
	printf("fp: pi~%.12f logistic %.12f float %.6f\n", pi, x, (double)f);
	return 0;
}

static int mem(long mib)
{
	size_t words = (size_t)mib << 18;
	uint32_t *buf = malloc(words * sizeof *buf);
	if (buf == NULL) {
		printf("mem: cannot allocate %ld MiB\n", mib);
		return 1;
	}
	uint32_t v = 2463534242u;
	for (size_t i = 0; i < words; i++) {
		v ^= v << 13;
		v ^= v >> 17;
		v ^= v << 5;
		buf[i] = v;
	}
	uint32_t sum = 0;
	for (size_t stride = 1; stride <= 4096; stride *= 16)
		for (size_t i = 0; i < words; i += stride)
			sum = (sum << 1 | sum >> 31) ^ buf[i];
	free(buf);
	printf("mem: %ld MiB, checksum %08x\n", mib, sum);
	return 0;
}

static int sleep_ms(long ms)
{
	struct timespec t0, t1, req = { ms / 1000, (ms % 1000) * 1000000L };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (nanosleep(&req, NULL) != 0) {
		perror("nanosleep");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long elapsed = (t1.tv_sec - t0.tv_sec) * 1000L + (t1.tv_nsec - t0.tv_nsec) / 1000000L;
	printf("sleep %ld ms: %s\n", ms, elapsed >= ms ? "ok" : "too short");
	return 0;
}

static int dirty(long mib, long ms)
{
	size_t pages = (size_t)mib << 8;
	volatile uint32_t *buf = malloc(pages * 4096);
	if (buf == NULL) {
		printf("dirty: cannot allocate %ld MiB\n", mib);
		return 1;
	}
	struct timespec req = { ms / 1000, (ms % 1000) * 1000000L };
	uint32_t v = 2463534242u;
	for (unsigned long tick = 0;; tick++) {
		/* A fresh pseudo-random word per page: a page the migration fails to resend after
		 * this write leaves the two sides' RAM hashes different. */
		for (size_t p = 0; p < pages; p++) {
			v ^= v << 13;
			v ^= v >> 17;
			v ^= v << 5;
			buf[p * 1024 + (v & 1023)] = v;
		}
		printf("tick %lu\n", tick);
		fflush(stdout);
		nanosleep(&req, NULL);
	}
}

static int gen(long mib)
{
	static const char *const words[] = { "kernel ", "page ", "tlb ", "interrupt ", "mpic ", "uart ", "0x1f ", "\n" };
	static char buf[65536];
	uint32_t v = 88172645u;
	long total = mib << 20;
	size_t n = 0;
	for (long done = 0; done < total;) {
		v ^= v << 13;
		v ^= v >> 17;
		v ^= v << 5;
		const char *w = words[v & 7];
		while (*w != 0 && done < total) {
			buf[n++] = (v >> 8) % 17 == 0 ? (char)('A' + (v >> 16) % 26) : *w;
			w++;
			done++;
			if (n == sizeof buf) {
				if (fwrite(buf, 1, n, stdout) != n)
					return 1;
				n = 0;
			}
		}
	}
	if (n > 0 && fwrite(buf, 1, n, stdout) != n)
		return 1;
	return fflush(stdout) == 0 ? 0 : 1;
}

/* O_DIRECT transfers need aligned buffers; 4 KiB covers every block size. */
static void *aligned(size_t n)
{
	void *p = NULL;
	return posix_memalign(&p, 4096, n) == 0 ? p : NULL;
}

static int disk(const char *op, const char *dev, long a, long b)
{
	int write_op = strcmp(op, "seqwrite") == 0;
	int fd = open(dev, (write_op ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0) {
		printf("%s: cannot open %s: %s\n", op, dev, strerror(errno));
		return 1;
	}
	if (strcmp(op, "randread") == 0) {
		off_t size = lseek(fd, 0, SEEK_END);
		long blocks = (long)(size / 4096);
		char *buf = aligned(4096);
		uint32_t v = 2463534242u;
		if (buf == NULL || blocks < 1)
			return 1;
		for (long i = 0; i < a; i++) {
			v ^= v << 13;
			v ^= v >> 17;
			v ^= v << 5;
			if (pread(fd, buf, 4096, (off_t)(v % (uint32_t)blocks) * 4096) != 4096) {
				printf("randread: read failed: %s\n", strerror(errno));
				return 1;
			}
		}
		printf("randread: %ld reads of 4 KiB\n", a);
		close(fd);
		return 0;
	}
	size_t mib = 1 << 20;
	char *buf = aligned(mib);
	if (buf == NULL)
		return 1;
	memset(buf, 0x5a, mib);
	for (long i = 0; i < b; i++) {
		off_t at = (off_t)(a + i) << 20;
		ssize_t n = write_op ? pwrite(fd, buf, mib, at) : pread(fd, buf, mib, at);
		if (n != (ssize_t)mib) {
			printf("%s: %s failed at %ld MiB: %s\n", op, write_op ? "write" : "read", a + i, n < 0 ? strerror(errno) : "short");
			return 1;
		}
	}
	if (write_op && fdatasync(fd) != 0) {
		printf("seqwrite: fdatasync failed: %s\n", strerror(errno));
		return 1;
	}
	printf("%s: %ld MiB\n", op, b);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && (strcmp(argv[1], "seqwrite") == 0 || strcmp(argv[1], "seqread") == 0))
		return disk(argv[1], argv[2], atol(argv[3]), atol(argv[4]));
	if (argc >= 4 && strcmp(argv[1], "randread") == 0)
		return disk(argv[1], argv[2], atol(argv[3]), 0);
	if (argc >= 2 && strcmp(argv[1], "segv") == 0)
		return segv();
	if (argc >= 3 && strcmp(argv[1], "fp") == 0)
		return fp(atol(argv[2]));
	if (argc >= 3 && strcmp(argv[1], "mem") == 0)
		return mem(atol(argv[2]));
	if (argc >= 3 && strcmp(argv[1], "sleep") == 0)
		return sleep_ms(atol(argv[2]));
	if (argc >= 3 && strcmp(argv[1], "gen") == 0)
		return gen(atol(argv[2]));
	if (argc >= 4 && strcmp(argv[1], "dirty") == 0)
		return dirty(atol(argv[2]), atol(argv[3]));
	fprintf(stderr, "usage: ngkvm-check segv | fp N | mem MIB | sleep MS | gen MIB | dirty MIB MS | seqwrite|seqread DEV START_MIB MIB | randread DEV COUNT\n");
	return 2;
}
