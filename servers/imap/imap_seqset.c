/*
 * imap_seqset.c - parse, query and format sequence sets (imap_seqset.h).
 *
 * RFC 9051 §9:
 *
 *   sequence-set = (seq-number / seq-range) ["," sequence-set]
 *   seq-range    = seq-number ":" seq-number
 *   seq-number   = nz-number / "*"
 *
 * Numbers are 32 bits and never 0.  Whether a number names a message that
 * exists is the caller's question (RFC 9051 §6.4.5 makes a sequence number
 * past the end an error, a UID that does not exist is simply skipped).
 */
#include "imap_seqset.h"

#include "../../proto/limits.h"

#include <stdlib.h>

/* number - one seq-number; advances *pp. */
static int number(const char **pp, uint32_t star, uint32_t *out, bool *starred)
{
	const char *p = *pp;
	if (*p == '*') {
		*out = star;
		*starred = true;
		*pp = p + 1;
		return 0;
	}
	if (*p < '1' || *p > '9')
		return -1;
	uint64_t v = 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*out = (uint32_t)v;
	*pp = p;
	return 0;
}

static int by_lo(const void *a, const void *b)
{
	const struct imap_range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* merge - sort and join overlapping or touching ranges. */
static void merge(struct imap_seqset *set)
{
	if (set->count < 2)
		return;
	qsort(set->ranges, set->count, sizeof(*set->ranges), by_lo);
	size_t out = 0;
	for (size_t i = 1; i < set->count; i++) {
		struct imap_range *last = &set->ranges[out];
		const struct imap_range *r = &set->ranges[i];
		if (r->lo <= (uint64_t)last->hi + 1) {
			if (r->hi > last->hi)
				last->hi = r->hi;
		} else {
			set->ranges[++out] = *r;
		}
	}
	set->count = out + 1;
}

int imap_seqset_parse(const char *text, uint32_t star, struct imap_seqset *set,
		      const char **error_r)
{
	size_t cap = 1;
	for (const char *p = text; *p != '\0'; p++)
		cap += *p == ',';
	*set = (struct imap_seqset){ 0 };
	if (cap > IMAP_SEQSET_RANGES_MAX) {
		*error_r = "too many ranges in a sequence set";
		return -1;
	}
	set->ranges = calloc(cap, sizeof(*set->ranges));
	if (set->ranges == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	const char *p = text;
	for (;;) {
		uint32_t a, b;
		if (number(&p, star, &a, &set->has_star) < 0)
			break;
		b = a;
		if (*p == ':' && (p++, number(&p, star, &b, &set->has_star) < 0))
			break;
		set->ranges[set->count++] = (struct imap_range){
			a < b ? a : b, a < b ? b : a };
		if (*p == '\0') {
			merge(set);
			return 0;
		}
		if (*p++ != ',')
			break;
	}
	imap_seqset_free(set);
	*error_r = "invalid sequence set (numbers from 1, ranges a:b, '*', "
		   "separated by commas)";
	return -1;
}

bool imap_seqset_contains(const struct imap_seqset *set, uint32_t n)
{
	size_t lo = 0, hi = set->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct imap_range *r = &set->ranges[mid];
		if (n < r->lo)
			hi = mid;
		else if (n > r->hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

uint32_t imap_seqset_max(const struct imap_seqset *set)
{
	return set->count > 0 ? set->ranges[set->count - 1].hi : 0;
}

void imap_seqset_free(struct imap_seqset *set)
{
	free(set->ranges);
	set->ranges = NULL;
	set->count = 0;
}

void imap_seqset_format(const uint32_t *nums, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && nums[j + 1] == nums[j] + 1)
			j++;
		buf_printf(out, "%s%u", i > 0 ? "," : "", nums[i]);
		if (j > i)
			buf_printf(out, ":%u", nums[j]);
		i = j + 1;
	}
}
