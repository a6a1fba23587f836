/*
 * smtp_bdat.c - BDAT: the message in counted chunks (RFC 3030 CHUNKING).
 *
 * DATA ends a message with a line holding a single "." (and so needs
 * dot-stuffing, and is where smuggling lives).  BDAT says instead how many
 * octets follow:
 *
 *     C: BDAT 86
 *     C: <86 octets of the message, exactly>
 *     S: 250 2.0.0 86 octets received
 *     C: BDAT 0 LAST
 *     S: 250 2.0.0 OK: ...
 *
 * The octets are taken as they are: no dot-stuffing, no end-of-data line,
 * nothing to smuggle.  The last chunk carries "LAST" (RFC 3030 §2) and
 * ends the transaction like the end of DATA.
 *
 * The chunk follows its command whatever the server answers, so even a
 * refused BDAT (wrong state, message too large) has its octets read and
 * thrown away; otherwise they would be taken as commands.  Only a BDAT
 * whose size cannot be read leaves the server unable to tell where the
 * chunk ends: that one is answered and the connection is closed.
 *
 * The core never reads the socket: a BDAT handler says SMTP_READ_CHUNK,
 * and the glue (smtp_session.c) reads smtp_chunk_left() octets and feeds
 * them to smtp_feed_chunk().
 */
#include "smtp_internal.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <strings.h>

/* parse - "SIZE" or "SIZE LAST" (RFC 3030 §2: chunk-size = 1*DIGIT). */
static int parse(const char *arg, size_t *size_r, bool *last_r)
{
	if (!isdigit((unsigned char)arg[0]))
		return -1;
	char *end;
	unsigned long long n = strtoull(arg, &end, 10);
	if (n > (unsigned long long)SIZE_MAX)
		return -1;
	*size_r = (size_t)n;
	*last_r = false;
	if (*end == '\0')
		return 0;
	if (strcasecmp(end, " LAST") == 0) {
		*last_r = true;
		return 0;
	}
	return -1;
}

/* start_chunk - what every BDAT that can be read has in common. */
static enum smtp_action start_chunk(struct smtp_session *s, const char *arg,
				    bool discard)
{
	if (parse(arg, &s->chunk_left, &s->chunk_last) < 0) {
		smtp_reply(s, 501, "5.5.4", "Syntax: BDAT size [LAST]; the "
			   "chunk's end is unknown, closing");
		smtp_enter_state(s, SMTP_CLOSED, "BDAT without a size");
		return SMTP_CLOSE;
	}
	s->chunk_discard = discard;
	return SMTP_READ_CHUNK;
}

enum smtp_action smtp_cmd_bdat(struct smtp_session *s, const char *arg)
{
	/* the reply waits until the chunk has arrived */
	s->next = SMTP_SAME;
	return start_chunk(s, arg, false);
}

enum smtp_action smtp_bdat_refused(struct smtp_session *s, const char *arg)
{
	enum smtp_action act = start_chunk(s, arg, true);
	if (act == SMTP_READ_CHUNK)
		trace_event(s->trace, "BDAT refused: reading %zu octets to "
			    "throw away", s->chunk_left);
	return act;
}

size_t smtp_chunk_left(const struct smtp_session *s)
{
	return s->chunk_left;
}

void smtp_feed_chunk(struct smtp_session *s, const char *data, size_t len)
{
	if (len > s->chunk_left)
		len = s->chunk_left;
	s->chunk_left -= len;
	if (s->chunk_discard || s->tx.too_big)
		return;
	/* RFC 1870 §3 applies to BDAT too: the same SIZE limit */
	if (buf_append(&s->tx.data, data, len) < 0) {
		s->tx.too_big = true;
		buf_reset(&s->tx.data);
	}
}

enum smtp_action smtp_chunk_done(struct smtp_session *s, struct buf *out)
{
	s->out = out;
	if (s->chunk_discard)
		return SMTP_CONTINUE; /* refused already; the 503 went out */
	if (s->tx.too_big) {
		/* RFC 3030 §2: a 5xx to BDAT ends the transaction */
		smtp_reply(s, 552, "5.3.4", "Message size exceeds fixed maximum "
			   "message size");
		smtp_enter_state(s, SMTP_READY, "BDAT over SIZE, transaction "
				 "abandoned");
		return SMTP_CONTINUE;
	}
	if (s->chunk_last)
		return smtp_data_finish(s);
	smtp_reply(s, 250, "2.0.0", "%zu octets received so far",
		   s->tx.data.len);
	if (s->state != SMTP_BDAT)
		smtp_enter_state(s, SMTP_BDAT, "BDAT chunk received");
	return SMTP_CONTINUE;
}
