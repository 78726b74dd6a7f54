/* SPDX-License-Identifier: ISC */
/* budget.c: a connection's input budget: token buckets on frames/s and bytes/s. */
#include "budget.h"

void budget_cfg_set(struct budget_cfg *cfg, double rate, double rate_bytes,
    double burst, uint32_t max_frame)
{
	double secs = rate > 0 ? burst / rate : 1.0;
	double least = (double)max_frame + 4.0;

	cfg->rate = rate;
	cfg->rate_bytes = rate_bytes;
	cfg->burst = burst >= 1.0 ? burst : 1.0;
	cfg->depth_bytes = rate_bytes * secs > least ? rate_bytes * secs : least;
}

int budget_unlimited(const struct budget_cfg *cfg)
{
	return cfg->rate <= 0 && cfg->rate_bytes <= 0;
}

void budget_init(struct budget *b, const struct budget_cfg *cfg, double now)
{
	b->frames = cfg->burst;
	b->bytes = cfg->depth_bytes;
	b->last = now;
}

static double fill(double have, double rate, double dt, double depth)
{
	have += rate * dt;
	return have < depth ? have : depth;
}

void budget_refill(struct budget *b, const struct budget_cfg *cfg, double now)
{
	double dt = now - b->last;

	if (dt <= 0)
		return;
	b->last = now;
	if (cfg->rate > 0)
		b->frames = fill(b->frames, cfg->rate, dt, cfg->burst);
	if (cfg->rate_bytes > 0)
		b->bytes = fill(b->bytes, cfg->rate_bytes, dt, cfg->depth_bytes);
}

int budget_allows(const struct budget *b, const struct budget_cfg *cfg)
{
	return (cfg->rate <= 0 || b->frames >= 1.0) &&
	    (cfg->rate_bytes <= 0 || b->bytes > 0);
}

void budget_charge(struct budget *b, const struct budget_cfg *cfg, size_t bytes)
{
	if (cfg->rate > 0)
		b->frames -= 1.0;
	if (cfg->rate_bytes > 0)
		b->bytes -= (double)bytes;
}

double budget_wait(const struct budget *b, const struct budget_cfg *cfg)
{
	double wf = 0, wb = 0;

	if (cfg->rate > 0 && b->frames < 1.0)
		wf = (1.0 - b->frames) / cfg->rate;
	/* A hair past zero, so the refill after the wait allows. */
	if (cfg->rate_bytes > 0 && b->bytes <= 0)
		wb = (1.0 - b->bytes) / cfg->rate_bytes;
	return wf > wb ? wf : wb;
}
