/*
 * smtp_core.c - an SMTP session as a state machine over lines.
 *
 * RFC 5321 (SMTP), RFC 2034 and RFC 3463 (enhanced status codes),
 * RFC 2920 (PIPELINING).
 *
 * Every line goes through smtp_feed_line():
 *
 *   1. after "354", the line belongs to the message (smtp_data.c);
 *   2. an AUTH exchange in progress takes the line as a SASL response;
 *   3. otherwise the keyword is looked up in the table from smtp.def, and
 *      the table says in which states the command is valid: a command
 *      out of order gets "503 5.5.1 Bad sequence of commands" with a hint
 *      (RFC 5321 §4.1.4), here, once, for all commands;
 *   4. the handler checks its argument and the policy, acts, and replies;
 *   5. if the reply was positive (2xx or 3xx), the session enters the
 *      state the table names in its "next" column.  A handler can only
 *      veto that move (s->next = SMTP_SAME), never invent another one:
 *      the table and the code cannot disagree.
 *
 * PIPELINING (RFC 2920) needs nothing special here: the core answers each
 * command in order, and the glue writes the answers as they come.
 *
 * Replies: RFC 5321 §4.2 "code SP text", or "code-text" on all but the
 * last line of a multi-line reply.  With ENHANCEDSTATUSCODES (RFC 2034
 * §4) every reply's text starts with an RFC 3463 code "class.subject.
 * detail", except the greeting and the reply to EHLO/HELO.
 */
#include "smtp_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* The dispatcher: smtp.def's handler column, in smtp_cmds order. */
static const smtp_handler handlers[SMTP_CMD_COUNT] = {
#define SMTP_CMD(name, handler, states, next, rfc, syntax, help) \
	[SMTP_CMD_##name] = handler,
#include "../../proto/smtp.def"
#undef SMTP_CMD
};

struct smtp_session *smtp_session_new(const struct smtp_config *cfg,
				      const struct trace *trace,
				      bool tls_active)
{
	struct smtp_session *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->cfg = cfg;
	s->trace = trace;
	s->state = SMTP_INIT;
	s->tls_active = tls_active;
	/* RFC 1870: the message text (unstuffed, CRLF) may be max_size */
	buf_init(&s->tx.data, cfg->max_size);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(s->nonce, sizeof(s->nonce), "<%ld.%ld.%lu@%.64s>",
		 (long)getpid(), (long)now.tv_nsec, trace->session,
		 cfg->hostname);
	return s;
}

void smtp_session_free(struct smtp_session *s)
{
	if (s == NULL)
		return;
	if (s->state == SMTP_MAIL || s->state == SMTP_RCPT ||
	    s->state == SMTP_DATA)
		/* RFC 5321 §3.3: only the end of data commits a transaction */
		trace_event(s->trace, "closed inside a transaction: nothing "
			    "delivered");
	sasl_clear(&s->sasl);
	buf_free(&s->tx.data);
	free(s);
}

/* clear_tx - forget sender, recipients and message (RFC 5321 §4.1.1.5). */
static void clear_tx(struct smtp_session *s)
{
	struct buf data = s->tx.data;
	buf_reset(&data);
	data.overflow = false;
	memset(&s->tx, 0, sizeof(s->tx));
	s->tx.data = data;
}

void smtp_enter_state(struct smtp_session *s, enum smtp_state next,
		      const char *why_fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, why_fmt);
	vsnprintf(why, sizeof(why), why_fmt, ap);
	va_end(ap);
	trace_state(s->trace, smtp_state_name(s->state),
		    smtp_state_name(next), "%s", why);
	if (next == SMTP_READY || next == SMTP_INIT || next == SMTP_CLOSED)
		clear_tx(s);
	if (next == SMTP_INIT) {
		/* RFC 3207 §4.2: after STARTTLS the server forgets what the
		 * client said before: its EHLO name and any login. */
		s->esmtp = false;
		s->helo[0] = '\0';
		s->authenticated = false;
		s->user[0] = '\0';
	}
	s->state = next;
}

enum smtp_state smtp_session_state(const struct smtp_session *s)
{
	return s->state;
}

bool smtp_session_authenticated(const struct smtp_session *s)
{
	return s->authenticated;
}

size_t smtp_max_line(const struct smtp_session *s)
{
	/* RFC 5321 §4.5.3.1.6 for text; commands get RFC 4954's longer
	 * limit so AUTH fits, and the 512 of §4.5.3.1.4 is checked in
	 * feed_command() for everything else. */
	return s->state == SMTP_DATA ? SMTP_LINE_MAX : SMTP_SASL_LINE_MAX;
}

/* reply_line - "code[-| ]enh text\r\n", within RFC 5321 §4.5.3.1.5's 512
 * octets per reply line. */
static void reply_line(struct smtp_session *s, bool last, int code,
		       const char *enh, const char *fmt, va_list ap)
{
	char text[SMTP_COMMAND_MAX - 16];
	vsnprintf(text, sizeof(text), fmt, ap);
	buf_printf(s->out, "%03d%c%s%s%s\r\n", code, last ? ' ' : '-',
		   enh ? enh : "", enh && text[0] ? " " : "", text);
	s->reply_code = code;
}

void smtp_reply(struct smtp_session *s, int code, const char *enh,
		const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	reply_line(s, true, code, enh, fmt, ap);
	va_end(ap);
}

void smtp_reply_more(struct smtp_session *s, int code, const char *enh,
		     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	reply_line(s, false, code, enh, fmt, ap);
	va_end(ap);
}

void smtp_greeting(struct smtp_session *s, struct buf *out)
{
	s->out = out;
	/* RFC 5321 §4.3.1: "220 domain"; "ESMTP" tells old clients that
	 * EHLO is worth trying. */
	smtp_reply(s, 220, NULL, "%s ESMTP maillab ready", s->cfg->hostname);
	trace_event(s->trace, "state %s (%s role)", smtp_state_name(s->state),
		    s->cfg->role == SMTP_ROLE_MX ? "mx" : "submission");
}

void smtp_early_talker(struct smtp_session *s, struct buf *out)
{
	s->out = out;
	/* RFC 5321 §3.1 and §4.3.1: the client waits for the greeting; one
	 * that talks first is a bulk sender not listening to replies
	 * (Postfix's postscreen calls it PREGREET).  §3.1: 554 may be the
	 * opening reply that refuses the session. */
	trace_event(s->trace, "error talked before the greeting");
	smtp_reply(s, 554, "5.5.0", "%s protocol error: you talked before "
		   "the greeting", s->cfg->hostname);
	smtp_enter_state(s, SMTP_CLOSED, "talked before the greeting");
}

bool smtp_out_of_sync(struct smtp_session *s, const char *cmd)
{
	if (!(s->line_flags & SMTP_LINE_PIPELINED))
		return false;
	trace_event(s->trace, "error input pipelined behind %s", cmd);
	smtp_reply(s, 554, "5.5.0", "Pipelining error: %s must be the last "
		   "command before waiting for its reply (RFC 2920 section "
		   "3.1), closing", cmd);
	s->next = SMTP_SAME;
	smtp_enter_state(s, SMTP_CLOSED, "input pipelined behind %s", cmd);
	return true;
}

void smtp_refusal(const char *hostname, struct buf *out)
{
	/* RFC 5321 §3.1 and §4.2.3: 421 may be the opening reply */
	buf_printf(out, "421 4.3.2 %s too many connections, try again "
		   "later\r\n", hostname);
}

void smtp_timeout(struct smtp_session *s, struct buf *out)
{
	s->out = out;
	trace_event(s->trace, "idle timeout in state %s",
		    smtp_state_name(s->state));
	/* RFC 5321 §4.5.3.2.7 and §3.8: a server that times out should say
	 * 421 before closing. */
	smtp_reply(s, 421, "4.4.2", "%s idle for too long, closing connection",
		   s->cfg->hostname);
	smtp_enter_state(s, SMTP_CLOSED, "idle timeout");
}

void smtp_tls_started(struct smtp_session *s)
{
	s->tls_active = true;
	trace_event(s->trace, "STARTTLS done: the client must EHLO again");
}

void smtp_line_too_long(struct smtp_session *s, struct buf *out)
{
	s->out = out;
	trace_event(s->trace, "error line too long (limit %zu octets)",
		    smtp_max_line(s));
	if (s->state == SMTP_DATA) {
		/* no reply inside the message: remember it for the end.  The
		 * skipped line counts as ended by CRLF unless the next line
		 * says otherwise (SMTP_LINE_AFTER_BARE_LF), so a "." after it
		 * ends the message exactly when <CRLF>.<CRLF> was sent. */
		s->tx.long_line = true;
		s->tx.prev_bare_lf = false;
		return;
	}
	if (s->sasl_active) {
		smtp_sasl_abort(s);
		smtp_reply(s, 500, "5.5.6", "authentication line too long, "
			   "AUTH cancelled");
		return;
	}
	/* RFC 5321 §4.5.3.1.10: "500 Line too long" */
	smtp_reply(s, 500, "5.5.2", "Line too long (limit %d octets "
		   "including CRLF, RFC 5321 section 4.5.3.1.4)",
		   SMTP_COMMAND_MAX);
}

/* sequence_hint - what a client in this state should have sent. */
static const char *sequence_hint(enum smtp_state state)
{
	switch (state) {
	case SMTP_INIT:
		return "send EHLO or HELO first";
	case SMTP_READY:
		return "no mail transaction: MAIL FROM first";
	case SMTP_MAIL:
		return "a transaction is open and has no recipient yet: "
		       "RCPT TO first";
	case SMTP_RCPT:
		return "a transaction is open: DATA, or RSET to abandon it";
	default:
		return "not now";
	}
}

/* printable - a copy of a client word that is safe to echo and trace. */
static void printable(const char *in, size_t len, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 1 < size; i++)
		out[o++] = isprint((unsigned char)in[i]) ? in[i] : '?';
	out[o] = '\0';
}

/* dispatch - find the command, check its state, run it, follow the
 * table's transition if the reply was positive. */
static enum smtp_action dispatch(struct smtp_session *s, const char *line)
{
	size_t klen = strcspn(line, " ");
	const char *arg = line + klen + (line[klen] == ' ');
	const struct smtp_cmd_info *c = smtp_cmd_find(line, klen);
	if (c == NULL) {
		char name[32];
		printable(line, klen, name, sizeof(name));
		smtp_reply(s, 500, "5.5.1", "Unknown command \"%s\" (try HELP)",
			   name);
		return SMTP_CONTINUE;
	}
	if (!(c->states & (1u << s->state))) {
		/* RFC 5321 §4.1.4 and §4.2.4: commands out of order */
		smtp_reply(s, 503, "5.5.1", "Bad sequence of commands: %s in "
			   "state %s (%s)", c->name, smtp_state_name(s->state),
			   sequence_hint(s->state));
		/* a refused BDAT is still followed by its chunk */
		if (smtp_cmd_id(c) == SMTP_CMD_BDAT)
			return smtp_bdat_refused(s, arg);
		return SMTP_CONTINUE;
	}
	s->next = c->next;
	s->reply_code = 0;
	enum smtp_action act = handlers[smtp_cmd_id(c)](s, arg);
	if (s->reply_code >= 200 && s->reply_code < 400 &&
	    s->next != SMTP_SAME && s->next != (int)s->state)
		smtp_enter_state(s, (enum smtp_state)s->next, "%s ok (%d)",
				 c->name, s->reply_code);
	return act;
}

/* feed_command - the checks every command line gets before dispatch. */
static enum smtp_action feed_command(struct smtp_session *s, char *line,
				     size_t len)
{
	if (len == 0) {
		smtp_reply(s, 500, "5.5.2", "Empty command");
		return SMTP_CONTINUE;
	}
	/* RFC 5321 §4.5.3.1.4: 512 octets with CRLF, except AUTH, whose
	 * initial response may be longer (RFC 4954 §4) */
	if (len + 2 > SMTP_COMMAND_MAX && strncasecmp(line, "AUTH ", 5) != 0) {
		trace_event(s->trace, "error command too long (%zu octets)",
			    len + 2);
		smtp_reply(s, 500, "5.5.2", "Line too long (limit %d octets "
			   "including CRLF, RFC 5321 section 4.5.3.1.4)",
			   SMTP_COMMAND_MAX);
		return SMTP_CONTINUE;
	}
	return s->sasl_active ? smtp_sasl_line(s, line) : dispatch(s, line);
}

enum smtp_action smtp_feed_line(struct smtp_session *s, const char *line,
				size_t len, unsigned flags, struct buf *out,
				bool *slow_r)
{
	s->out = out;
	s->slow = false;
	s->line_flags = flags;
	*slow_r = false;
	if (s->state == SMTP_DATA)
		return smtp_data_line(s, line, len, flags);
	/* A NUL would cut the line for every string function after this
	 * point.  RFC 5321 §2.3.8: lines end in CRLF, and a bare CR or LF
	 * may not appear; taking "CMD\n" or "CMD\rCMD" as commands is what
	 * SMTP smuggling (CVE-2023-51764) needs from a server, so they are
	 * refused, like Postfix's smtpd_forbid_bare_newline = reject. */
	bool nul = memchr(line, '\0', len) != NULL;
	const char *why = nul ? "NUL byte"
		: memchr(line, '\r', len) != NULL ? "Bare CR"
		: flags & SMTP_LINE_BARE_LF ? "Bare LF" : NULL;
	if (why != NULL) {
		trace_event(s->trace, "error %s in command", why);
		if (s->sasl_active)
			smtp_sasl_abort(s);
		smtp_reply(s, 500, "5.5.2", nul ? "%s in command"
			   : "%s in command line (lines end in CRLF, RFC 5321 "
			     "section 2.3.8)", why);
		return SMTP_CONTINUE;
	}
	char *copy = strndup(line, len);
	if (copy == NULL) {
		smtp_reply(s, 451, "4.3.0", "Out of memory");
		return SMTP_CONTINUE;
	}
	enum smtp_action act = feed_command(s, copy, len);
	free(copy);
	*slow_r = s->slow;
	return act;
}
