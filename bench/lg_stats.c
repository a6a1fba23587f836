/*
 * lg_stats.c - operation counts and the latency histogram (see
 * lg_stats.h).
 *
 * Bucket arithmetic: a value v >= 64 has its highest set bit at position
 * e >= 6; the five bits below it pick one of 32 sub-buckets.  So bucket
 * (e, s) covers [2^e + s * 2^(e-5), 2^e + (s+1) * 2^(e-5)), a width of
 * 1/32 of its lower end.  Values past the last octave go in the last
 * bucket; min and max are kept exactly, so the extremes are never
 * blurred.
 */
#include "lg_stats.h"

#include <string.h>

/* log2 of LG_HIST_LINEAR and LG_HIST_SUB */
#define LINEAR_BITS 6
#define SUB_BITS    5

void lg_hist_init(struct lg_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min_us = UINT64_MAX;
}

unsigned lg_hist_bucket(uint64_t us)
{
	if (us < LG_HIST_LINEAR)
		return (unsigned)us;
	unsigned e = 63u - (unsigned)__builtin_clzll(us);
	unsigned octave = e - LINEAR_BITS;
	if (octave >= LG_HIST_OCTAVES)
		return LG_HIST_BUCKETS - 1;
	unsigned sub = (unsigned)(us >> (e - SUB_BITS)) & (LG_HIST_SUB - 1);
	return LG_HIST_LINEAR + octave * LG_HIST_SUB + sub;
}

uint64_t lg_hist_bucket_low(unsigned bucket)
{
	if (bucket < LG_HIST_LINEAR)
		return bucket;
	unsigned octave = (bucket - LG_HIST_LINEAR) / LG_HIST_SUB;
	unsigned sub = (bucket - LG_HIST_LINEAR) % LG_HIST_SUB;
	unsigned e = octave + LINEAR_BITS;
	return (1ull << e) + ((uint64_t)sub << (e - SUB_BITS));
}

void lg_hist_add(struct lg_hist *h, uint64_t us)
{
	h->bucket[lg_hist_bucket(us)]++;
	h->count++;
	h->sum_us += us;
	if (us < h->min_us)
		h->min_us = us;
	if (us > h->max_us)
		h->max_us = us;
}

void lg_hist_merge(struct lg_hist *into, const struct lg_hist *from)
{
	for (unsigned i = 0; i < LG_HIST_BUCKETS; i++)
		into->bucket[i] += from->bucket[i];
	into->count += from->count;
	into->sum_us += from->sum_us;
	if (from->min_us < into->min_us)
		into->min_us = from->min_us;
	if (from->max_us > into->max_us)
		into->max_us = from->max_us;
}

uint64_t lg_hist_percentile(const struct lg_hist *h, double pct)
{
	if (h->count == 0)
		return 0;
	/* nearest rank: the smallest sample with at least pct % at or below */
	double want = pct / 100.0 * (double)h->count;
	uint64_t rank = (uint64_t)want;
	if ((double)rank < want || rank == 0)
		rank++;
	if (rank > h->count)
		rank = h->count;
	uint64_t seen = 0;
	for (unsigned i = 0; i < LG_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen < rank)
			continue;
		/* the middle of the bucket, kept inside what was really seen */
		uint64_t low = lg_hist_bucket_low(i);
		uint64_t high = i + 1 < LG_HIST_BUCKETS
				? lg_hist_bucket_low(i + 1) - 1 : h->max_us;
		uint64_t mid = low + (high - low) / 2;
		if (mid < h->min_us)
			mid = h->min_us;
		if (mid > h->max_us)
			mid = h->max_us;
		return mid;
	}
	return h->max_us;
}

void lg_counts_init(struct lg_counts *c)
{
	memset(c, 0, sizeof(*c));
	lg_hist_init(&c->lat);
	c->first_us = UINT64_MAX;
}

void lg_counts_op(struct lg_counts *c, uint64_t start_us, uint64_t end_us)
{
	c->ops++;
	lg_hist_add(&c->lat, end_us - start_us);
	if (start_us < c->first_us)
		c->first_us = start_us;
	if (end_us > c->last_us)
		c->last_us = end_us;
}

void lg_counts_merge(struct lg_counts *into, const struct lg_counts *from)
{
	into->ops += from->ops;
	into->done += from->done;
	into->errors += from->errors;
	into->cut += from->cut;
	into->bytes += from->bytes;
	into->items += from->items;
	if (from->first_us < into->first_us)
		into->first_us = from->first_us;
	if (from->last_us > into->last_us)
		into->last_us = from->last_us;
	lg_hist_merge(&into->lat, &from->lat);
}

/* span_s - seconds from the first measured start to the last end. */
static double span_s(const struct lg_counts *c)
{
	if (c->ops == 0 || c->last_us <= c->first_us)
		return 0;
	return (double)(c->last_us - c->first_us) / 1e6;
}

double lg_counts_rate(const struct lg_counts *c)
{
	double s = span_s(c);
	return s > 0 ? (double)c->ops / s : 0;
}

double lg_counts_byte_rate(const struct lg_counts *c)
{
	double s = span_s(c);
	return s > 0 ? (double)c->bytes / s : 0;
}
