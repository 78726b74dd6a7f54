/* SPDX-License-Identifier: ISC */
/* driver.c: runs a libFuzzer target without libFuzzer: every file of the
 * seed corpus, then a fixed number of deterministic mutations of them.
 * usage: fuzz_X CORPUS_DIR [ITERATIONS] */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define MAX_SEEDS 512
#define DRIVER_MAX_INPUT (70u * 1024u)

struct seed { uint8_t *p; size_t n; };

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	/* xorshift64*: deterministic so a failing iteration can be replayed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static size_t load_seeds(const char *dir, struct seed *seeds)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n < MAX_SEEDS) {
		char path[4096];
		FILE *f;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((f = fopen(path, "rb")) == NULL)
			continue;
		seeds[n].p = malloc(DRIVER_MAX_INPUT);
		seeds[n].n = fread(seeds[n].p, 1, DRIVER_MAX_INPUT, f);
		fclose(f);
		n++;
	}
	closedir(d);
	return n;
}

static size_t mutate(uint8_t *buf, size_t n)
{
	int k, edits = 1 + (int)(rng() % 8);

	for (k = 0; k < edits; k++) {
		size_t at = n ? (size_t)(rng() % n) : 0;
		switch (rng() % 5) {
		case 0: if (n) buf[at] ^= (uint8_t)(1u << (rng() % 8)); break;
		case 1: if (n) buf[at] = (uint8_t)rng(); break;
		case 2: n = at; break;                              /* truncate */
		case 3: if (n < DRIVER_MAX_INPUT) { memmove(buf + at + 1, buf + at, n - at); buf[at] = (uint8_t)rng(); n++; } break;
		case 4: if (n) { memmove(buf + at, buf + at + 1, n - at - 1); n--; } break;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	static struct seed seeds[MAX_SEEDS];
	size_t nseeds, i;
	long iters = argc > 2 ? atol(argv[2]) : 10000;
	uint8_t *buf = malloc(DRIVER_MAX_INPUT);

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR [ITERATIONS]\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	nseeds = load_seeds(argv[1], seeds);
	for (i = 0; i < nseeds; i++)
		LLVMFuzzerTestOneInput(seeds[i].p, seeds[i].n);
	for (long it = 0; it < iters; it++) {
		size_t n = 0;
		if (nseeds) {
			struct seed *s = &seeds[rng() % nseeds];
			memcpy(buf, s->p, s->n);
			n = mutate(buf, s->n);
		} else {
			n = (size_t)(rng() % 256);
			for (size_t j = 0; j < n; j++)
				buf[j] = (uint8_t)rng();
		}
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("%s: %zu seeds, %ld mutations, no crash\n", argv[0], nseeds, iters);
	for (i = 0; i < nseeds; i++)
		free(seeds[i].p);
	free(buf);
	return 0;
}
