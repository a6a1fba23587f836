/*
 * imap_seqset.h - sequence sets: "1:4,7,10:*" (RFC 9051 §9, sequence-set).
 *
 * IMAP names groups of messages with sets of numbers and ranges, where '*'
 * stands for the largest number in use: the last message's sequence
 * number, or the largest UID in a UID command (RFC 9051 §6.4.9).  A range
 * may be written either way round ("4:2" is "2:4").  A parsed set is
 * sorted and merged, so membership is a binary search; COPYUID and
 * APPENDUID answers use the reverse direction, formatting numbers as a
 * compact set.
 */
#ifndef MAILLAB_IMAP_SEQSET_H
#define MAILLAB_IMAP_SEQSET_H

#include "../../common/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** One range of a sequence set, both ends included. */
struct imap_range {
	/**@{*/
	/** The first and the last number of the range. */
	uint32_t lo, hi;
	/**@}*/
};

/** A parsed sequence set ("1,3:5,7:*"). */
struct imap_seqset {
	struct imap_range *ranges; /**< sorted, not overlapping */
	size_t count;              /**< entries in ranges */
	bool has_star;             /**< '*' appeared (it may mean 0: empty) */
};

/**
 * Parse @p text with '*' meaning @p star.  Returns 0, or -1 with a reason
 * (malformed, a zero, too many ranges: IMAP_SEQSET_RANGES_MAX).
 */
int imap_seqset_parse(const char *text, uint32_t star, struct imap_seqset *set,
		      const char **error_r);
/** True if @p n is in the set. */
bool imap_seqset_contains(const struct imap_seqset *set, uint32_t n);
/**@{*/
/** The largest number named (0 for an empty set). */
uint32_t imap_seqset_max(const struct imap_seqset *set);
void imap_seqset_free(struct imap_seqset *set);
/**@}*/

/** Append @p n ascending numbers as a set, "3:5,9" (RFC 4315 uid-set). */
void imap_seqset_format(const uint32_t *nums, size_t n, struct buf *out);

#endif
