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
 *   ngkvm-check gen MIB     writes MIB mebibytes of text-like pseudo-random data to stdout
 *                           (the same bytes every time: the benchmark's input)
 */
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

int main(int argc, char **argv)
{
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
	fprintf(stderr, "usage: ngkvm-check segv | fp N | mem MIB | sleep MS | gen MIB\n");
	return 2;
}
