/*
 * lg_stats.h - counting what a load run did: operations, errors, octets,
 * and a latency histogram that gives p50 and p99.
 *
 * Latencies are kept in a log-linear histogram (the idea of HdrHistogram):
 * below 64 µs one bucket per microsecond; above, each power of two is cut
 * into 32 equal buckets, so a percentile is exact to within 1/32 (about
 * 3 %) whatever the range, and a client's whole history costs a fixed
 * 9 KB instead of one number per operation.  Each client thread counts
 * into its own struct; the run adds them up at the end with
 * lg_counts_merge(), so no locks are taken while measuring.
 */
#ifndef MAILLAB_LG_STATS_H
#define MAILLAB_LG_STATS_H

#include <stdint.h>

/* One bucket per microsecond below this. */
#define LG_HIST_LINEAR      64
/* Buckets per power of two above it (a power of two). */
#define LG_HIST_SUB         32
/* Powers of two above LG_HIST_LINEAR: up to 2^41 µs, about 25 days. */
#define LG_HIST_OCTAVES     35
#define LG_HIST_BUCKETS     (LG_HIST_LINEAR + LG_HIST_OCTAVES * LG_HIST_SUB)

struct lg_hist {
	uint64_t count;
	uint64_t sum_us;
	uint64_t min_us;
	uint64_t max_us;
	uint64_t bucket[LG_HIST_BUCKETS];
};

/** What one client (or, merged, the whole run) did. */
struct lg_counts {
	uint64_t ops;        /**< operations completed and measured */
	uint64_t done;       /**< operations completed, warm-up included */
	uint64_t errors;     /**< operations or set-ups that failed */
	uint64_t cut;        /**< operations cut off by the run's --limit */
	uint64_t bytes;      /**< message octets moved (sent or fetched) */
	uint64_t items;      /**< protocol items seen (FETCH responses, ...) */
	uint64_t first_us;   /**< start of the first measured operation */
	uint64_t last_us;    /**< end of the last measured operation */
	struct lg_hist lat;  /**< latency of each measured operation */
};

void lg_hist_init(struct lg_hist *h);
/** Count one latency of @p us microseconds. */
void lg_hist_add(struct lg_hist *h, uint64_t us);
/** Add everything in @p from to @p into. */
void lg_hist_merge(struct lg_hist *into, const struct lg_hist *from);
/**
 * The latency below which @p pct percent of the samples lie (nearest
 * rank), within one bucket's width; 0 without samples.
 */
uint64_t lg_hist_percentile(const struct lg_hist *h, double pct);
/** The bucket a latency falls in, and the lowest value of a bucket. */
unsigned lg_hist_bucket(uint64_t us);
uint64_t lg_hist_bucket_low(unsigned bucket);

void lg_counts_init(struct lg_counts *c);
/** Record one measured operation from @p start_us to @p end_us. */
void lg_counts_op(struct lg_counts *c, uint64_t start_us, uint64_t end_us);
void lg_counts_merge(struct lg_counts *into, const struct lg_counts *from);
/** Operations per second over the measured span (first start to last end). */
double lg_counts_rate(const struct lg_counts *c);
/** Octets per second over the same span. */
double lg_counts_byte_rate(const struct lg_counts *c);

#endif
