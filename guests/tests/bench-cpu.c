/*
 * CPU-bound benchmark guest: table-driven CRC-32 over a pseudo-random
 * buffer, a sieve of Eratosthenes and an integer matrix multiply, each
 * repeated a fixed number of times (about 1-2 s under QEMU TCG).  Prints
 * only checksums, never timings, so the output is deterministic.
 */
#include "test.h"

#define CRC_BYTES   (64 * 1024)
#define CRC_ROUNDS  720
#define SIEVE_N     (1024 * 1024)
#define SIEVE_ROUNDS 90
#define MAT_N       64
#define MAT_ROUNDS  180

static uint8_t data[CRC_BYTES];
static uint32_t crc_table[256];
static uint8_t composite[SIEVE_N];
static int32_t ma[MAT_N][MAT_N], mb[MAT_N][MAT_N], mc[MAT_N][MAT_N];

static uint32_t rng_state = 0x12345678;

static uint32_t xorshift(void)
{
	uint32_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return rng_state = x;
}

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320 ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc32(const uint8_t *p, uint32_t n, uint32_t crc)
{
	crc = ~crc;
	while (n--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static uint32_t sieve(void)
{
	uint32_t count = 0, sum = 0;
	memset(composite, 0, sizeof(composite));
	for (uint32_t i = 2; i < SIEVE_N; i++) {
		if (composite[i])
			continue;
		count++;
		sum += i;
		for (uint32_t j = i * 2; j < SIEVE_N; j += i)
			composite[j] = 1;
	}
	return count ^ (sum << 8);
}

static uint32_t matmul(int round)
{
	for (int i = 0; i < MAT_N; i++)
		for (int j = 0; j < MAT_N; j++) {
			ma[i][j] = (int32_t)(xorshift() % 201) - 100;
			mb[i][j] = (int32_t)(xorshift() % 201) - 100 + round;
		}
	for (int i = 0; i < MAT_N; i++)
		for (int j = 0; j < MAT_N; j++) {
			int32_t s = 0;
			for (int k = 0; k < MAT_N; k++)
				s += ma[i][k] * mb[k][j];
			mc[i][j] = s;
		}
	uint32_t h = 0;
	for (int i = 0; i < MAT_N; i++)
		for (int j = 0; j < MAT_N; j++)
			h = h * 31 + (uint32_t)mc[i][j];
	return h;
}

int main(void)
{
	printf("bench-cpu (%s): crc32 %u x %u KiB, sieve %u x %u, matmul %u x"
	       " %ux%u\n", CPU_NAME, CRC_ROUNDS, CRC_BYTES / 1024, SIEVE_ROUNDS,
	       SIEVE_N, MAT_ROUNDS, MAT_N, MAT_N);
	crc_init();
	for (uint32_t i = 0; i < CRC_BYTES; i++)
		data[i] = (uint8_t)xorshift();

	uint32_t crc = 0;
	for (int r = 0; r < CRC_ROUNDS; r++) {
		data[r] ^= (uint8_t)r;
		crc = crc32(data, CRC_BYTES, crc);
	}
	printf("crc32   %08x\n", crc);

	uint32_t sv = 0;
	for (int r = 0; r < SIEVE_ROUNDS; r++)
		sv = sv * 3 + sieve();
	printf("sieve   %08x\n", sv);

	uint32_t mm = 0;
	for (int r = 0; r < MAT_ROUNDS; r++)
		mm ^= matmul(r) + (uint32_t)r;
	printf("matmul  %08x\n", mm);
	printf("checksum %08x\n", crc ^ sv ^ mm);
	return 0;
}
