/*
 * linebuf.c - line framing with a stated maximum (see linebuf.h).
 *
 * The buffer holds at most max_line bytes of an unfinished line plus one
 * read's worth of following data.  Consumed lines are not moved at once;
 * the unconsumed tail is moved to the front only when more room is needed,
 * so a burst of pipelined commands costs one copy, not one per line.
 */
#include "linebuf.h"

#include <stdlib.h>
#include <string.h>

/* Extra room beyond one maximal line, so a single read can bring several
 * pipelined commands at once. */
#define LINEBUF_READ_ROOM 16384

int linebuf_init(struct linebuf *lb, size_t max_line)
{
	memset(lb, 0, sizeof(*lb));
	return linebuf_set_max(lb, max_line);
}

void linebuf_free(struct linebuf *lb)
{
	free(lb->data);
	memset(lb, 0, sizeof(*lb));
}

int linebuf_set_max(struct linebuf *lb, size_t max_line)
{
	size_t cap = max_line + LINEBUF_READ_ROOM;
	if (cap > lb->cap) {
		char *p = realloc(lb->data, cap);
		if (p == NULL)
			return -1;
		lb->data = p;
		lb->cap = cap;
	}
	lb->max_line = max_line;
	return 0;
}

/* compact - move the unconsumed bytes to the front of the buffer. */
static void compact(struct linebuf *lb)
{
	if (lb->start == 0)
		return;
	memmove(lb->data, lb->data + lb->start, lb->len - lb->start);
	lb->len -= lb->start;
	lb->start = 0;
}

char *linebuf_space(struct linebuf *lb, size_t *room_r)
{
	compact(lb);
	/* keep one byte for the NUL that linebuf_next() writes */
	*room_r = lb->cap - lb->len - 1;
	return lb->data + lb->len;
}

void linebuf_commit(struct linebuf *lb, size_t n)
{
	lb->len += n;
}

int linebuf_feed(struct linebuf *lb, const void *data, size_t n)
{
	const char *p = data;
	while (n > 0) {
		size_t room;
		char *dst = linebuf_space(lb, &room);
		if (room == 0) {
			/* a full buffer without a line: let next() skip it */
			char *line;
			size_t len;
			unsigned flags;
			if (linebuf_next(lb, &line, &len, &flags) ==
			    LINEBUF_NEED_MORE)
				return -1;
			continue;
		}
		size_t k = n < room ? n : room;
		memcpy(dst, p, k);
		linebuf_commit(lb, k);
		p += k;
		n -= k;
	}
	return 0;
}

/* skip_to_lf - while skipping an over-long line, drop bytes through the
 * next LF.  Returns true once the LF has been found, and remembers how
 * the line ended (the CR before the LF may have been in an earlier read,
 * hence skip_last). */
static bool skip_to_lf(struct linebuf *lb)
{
	char *begin = lb->data + lb->start;
	char *nl = memchr(begin, '\n', lb->len - lb->start);
	if (nl == NULL) {
		if (lb->len > lb->start)
			lb->skip_last = lb->data[lb->len - 1];
		lb->start = lb->len = 0;
		return false;
	}
	lb->long_bare_lf = (nl > begin ? nl[-1] : lb->skip_last) != '\r';
	lb->start = (size_t)(nl - lb->data) + 1;
	lb->skipping = false;
	return true;
}

enum linebuf_result linebuf_next(struct linebuf *lb, char **line_r,
				 size_t *len_r, unsigned *flags_r)
{
	if (lb->skipping && !skip_to_lf(lb))
		return LINEBUF_NEED_MORE;

	char *begin = lb->data + lb->start;
	size_t avail = lb->len - lb->start;
	char *nl = memchr(begin, '\n', avail);
	if (nl == NULL) {
		if (avail < lb->max_line)
			return LINEBUF_NEED_MORE;
		/* no LF within the maximum: report once, then skip */
		*line_r = begin;
		*len_r = avail;
		*flags_r = 0;
		lb->skipping = true;
		lb->skip_last = avail > 0 ? begin[avail - 1] : '\0';
		lb->start = lb->len = 0;
		return LINEBUF_TOO_LONG;
	}
	size_t with_lf = (size_t)(nl - begin) + 1;
	lb->start += with_lf;
	if (with_lf > lb->max_line) {
		lb->long_bare_lf = with_lf < 2 || nl[-1] != '\r';
		*line_r = begin;
		*len_r = lb->max_line;
		*flags_r = 0;
		return LINEBUF_TOO_LONG;
	}

	size_t len = with_lf - 1;
	unsigned flags = LINEBUF_BARE_LF;
	if (len > 0 && begin[len - 1] == '\r') {
		len--;
		flags = 0;
	}
	if (lb->long_bare_lf)
		flags |= LINEBUF_AFTER_LONG_BARE_LF;
	lb->long_bare_lf = false;
	begin[len] = '\0';
	*line_r = begin;
	*len_r = len;
	*flags_r = flags;
	return LINEBUF_LINE;
}

size_t linebuf_take(struct linebuf *lb, size_t want, const char **data_r)
{
	size_t avail = lb->len - lb->start;
	size_t n = want < avail ? want : avail;
	*data_r = lb->data + lb->start;
	lb->start += n;
	return n;
}

size_t linebuf_pending(const struct linebuf *lb)
{
	return lb->len - lb->start;
}

size_t linebuf_discard(struct linebuf *lb)
{
	size_t n = lb->len - lb->start;
	lb->start = lb->len = 0;
	lb->skipping = false;
	lb->long_bare_lf = false;
	return n;
}
