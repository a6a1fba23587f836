/*
 * smtp_data.c - DATA: reading the message, and where it ends.
 *
 * RFC 5321 §4.1.1.4 (DATA), §4.5.2 (transparency: dot-stuffing),
 * §4.5.3.1.6 (1000-octet lines), RFC 1870 §6 (SIZE), RFC 5322 §2.3
 * (what a message body may contain).
 *
 * After "354" every line is message text until a line that holds a single
 * "." and ends in CRLF, after a line that also ended in CRLF: the sequence
 * <CRLF>.<CRLF>, and nothing else, ends the message.  A line that starts
 * with "." had one more "." put in front by the client (§4.5.2), which is
 * taken off here.
 *
 * The smuggling decision.  SMTP smuggling (CVE-2023-51764/51765/51766)
 * works when two servers disagree on where a message ends: an outbound
 * server passes "\n.\n" or "\r.\r" through as text, and an inbound one
 * takes it as the end and reads what follows as a second, forged message.
 * RFC 5322 §2.3 says CR and LF "MUST only occur together as CRLF" in a
 * message, so a bare CR or a bare LF is never valid here.  maillab rejects
 * the whole message: it keeps reading to the real <CRLF>.<CRLF> (nothing
 * else can end it), then answers "554 5.6.0" and stores nothing.  It
 * never ends a message early and never passes a bare line end on.
 *
 * Other problems found in the text are answered the same way, at the end
 * (the client is not reading replies during the message): a NUL byte
 * (RFC 5322 §2.3), a line over 1000 octets, more than the SIZE limit
 * (552 5.3.4; the excess is read and thrown away, not stored).
 */
#include "smtp_internal.h"

#include <stdio.h>
#include <string.h>

enum smtp_action smtp_cmd_data(struct smtp_session *s, const char *arg)
{
	/* text sent before 354 would be read as commands if DATA failed */
	if (smtp_out_of_sync(s, "DATA"))
		return SMTP_CLOSE;
	if (arg[0] != '\0') {
		smtp_reply(s, 501, "5.5.4", "Syntax: DATA (no parameters)");
		return SMTP_CONTINUE;
	}
	/* the CRLF before the final "." may be this command's own */
	s->tx.prev_bare_lf = (s->line_flags & SMTP_LINE_BARE_LF) != 0;
	/* RFC 5321 §4.3.2: 354, no enhanced code on an intermediate reply */
	smtp_reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	return SMTP_CONTINUE;
}

/* refusal - why the message read cannot be accepted, or NULL. */
static const char *refusal(const struct smtp_tx *tx, int *code_r,
			   const char **enh_r)
{
	*code_r = 554;
	*enh_r = "5.6.0";
	if (tx->bare_line_end)
		return "Message refused: bare CR or LF in the text (lines must "
		       "end in CRLF, RFC 5322 section 2.3; see SMTP smuggling)";
	if (tx->nul_byte)
		return "Message refused: NUL byte in the text (RFC 5322 "
		       "section 2.3)";
	if (tx->long_line)
		return "Message refused: a line is longer than 1000 octets "
		       "(RFC 5321 section 4.5.3.1.6)";
	if (tx->too_big) {
		*code_r = 552;
		*enh_r = "5.3.4";
		return "Message size exceeds fixed maximum message size";
	}
	return NULL;
}

/* smtp_data_finish - <CRLF>.<CRLF> (or BDAT LAST): refuse, or store and
 * then say 250. */
enum smtp_action smtp_data_finish(struct smtp_session *s)
{
	int code;
	const char *enh;
	const char *why = refusal(&s->tx, &code, &enh);
	if (why != NULL) {
		trace_event(s->trace, "refused message: %s", why);
		smtp_reply(s, code, enh, "%s", why);
		smtp_enter_state(s, SMTP_READY, "end of data, message refused");
		return SMTP_CONTINUE;
	}
	char summary[256];
	const char *error = "";
	if (smtp_deliver(s, summary, sizeof(summary), &error) < 0) {
		trace_event(s->trace, "error storing message: %s", error);
		/* RFC 5321 §4.2.3: 451, the client will try again */
		smtp_reply(s, 451, "4.3.0", "Local error in processing: %s",
			   error);
		smtp_enter_state(s, SMTP_READY, "end of data, not stored");
		return SMTP_CONTINUE;
	}
	/* Only now, with the message on disk and fsync'ed, may we say 250
	 * (RFC 5321 §6.1: the server takes responsibility here). */
	smtp_reply(s, 250, "2.0.0", "OK: %s", summary);
	s->counter++;
	smtp_enter_state(s, SMTP_READY, "end of data, %s", summary);
	return SMTP_CONTINUE;
}

enum smtp_action smtp_data_line(struct smtp_session *s, const char *line,
				size_t len, unsigned flags)
{
	bool bare_lf = (flags & SMTP_LINE_BARE_LF) != 0;
	/* <CRLF>.<CRLF>: the "." line and the line before it both end in
	 * CRLF; "\n.\r\n" is not the end, it is smuggled text, also when
	 * the line before was too long and skipped (a bug the fuzzer found:
	 * fuzz/regress/smtp_dot/) */
	bool after_crlf = !s->tx.prev_bare_lf &&
			  !(flags & SMTP_LINE_AFTER_BARE_LF);
	s->tx.prev_bare_lf = bare_lf;
	if (!bare_lf && after_crlf && len == 1 && line[0] == '.')
		return smtp_data_finish(s);
	/* the framing took off the LF (and one CR before it); any CR left
	 * is a bare one, and a line ended by LF alone has a bare LF */
	if (bare_lf || memchr(line, '\r', len) != NULL) {
		if (!s->tx.bare_line_end)
			trace_event(s->trace, "note bare %s in message text",
				    bare_lf ? "LF" : "CR");
		s->tx.bare_line_end = true;
	}
	if (memchr(line, '\0', len) != NULL)
		s->tx.nul_byte = true;
	/* RFC 5321 §4.5.2: the first "." of a line was added by the client */
	if (len > 0 && line[0] == '.') {
		line++;
		len--;
	}
	if (s->tx.too_big)
		return SMTP_CONTINUE;
	/* RFC 1870 §3: the size counts the text with CRLF, unstuffed */
	if (buf_append(&s->tx.data, line, len) < 0 ||
	    buf_append(&s->tx.data, "\r\n", 2) < 0) {
		trace_event(s->trace, "message passed SIZE %lu: reading the "
			    "rest without storing it", s->cfg->max_size);
		s->tx.too_big = true;
		buf_reset(&s->tx.data);
	}
	return SMTP_CONTINUE;
}
