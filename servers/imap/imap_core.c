/*
 * imap_core.c - an IMAP session as a state machine over bytes.
 *
 * RFC 9051 (IMAP4rev2) §3 states, §2.2.1 tags, §7 responses, and RFC 3501
 * (IMAP4rev1) where rev1 clients need it.
 *
 * Input goes through imap_feed():
 *
 *   1. while AUTHENTICATE or IDLE runs, a line is not a command: it goes
 *      to the SASL exchange or is the IDLE's "DONE";
 *   2. otherwise the bytes go to the parser (imap_parser.c), which stops
 *      at "+ continuation please" for a literal, at a complete command, or
 *      at a malformed one;
 *   3. a complete command is looked up in the table from imap.def, which
 *      says in which states it is valid: that check is made here, once;
 *   4. the handler checks its arguments, acts, answers, and changes state
 *      only through imap_enter_state().
 *
 * The state machine (RFC 9051 §3, Figure 1):
 *
 *   greeting OK -> NOT AUTHENTICATED -LOGIN/AUTHENTICATE-> AUTHENTICATED
 *   AUTHENTICATED -SELECT/EXAMINE-> SELECTED -CLOSE/UNSELECT-> AUTHENTICATED
 *   SELECTED -failed SELECT-> AUTHENTICATED;  any -LOGOUT-> LOGOUT
 */
#include "imap_internal.h"

#include "../core/users.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The dispatcher: imap.def's handler column, in imap_cmds order. */
static const imap_handler handlers[IMAP_CMD_COUNT] = {
#define IMAP_CMD(id, name, handler, states, next, rfc, syntax, help) \
	[IMAP_CMD_##id] = handler,
#include "../../proto/imap.def"
#undef IMAP_CMD
};

/* Longest command name we echo back in an error ("UID " + a word). */
#define NAME_ECHO_MAX 40

/* set_input_limits - a client that has not logged in may send only small
 * literals and commands (IMAP_PREAUTH_*: LOGIN's strings are all it
 * needs); after login, one message (APPEND). */
static void set_input_limits(struct imap_session *s)
{
	if (s->state == IMAP_NOT_AUTHENTICATED)
		imap_parser_set_limits(&s->parser, IMAP_PREAUTH_LITERAL_MAX,
				       IMAP_PREAUTH_COMMAND_MAX);
	else
		imap_parser_set_limits(&s->parser, IMAP_LITERAL_MAX,
				       IMAP_COMMAND_MAX);
}

struct imap_session *imap_session_new(const struct imap_config *cfg,
				      const struct trace *trace,
				      bool tls_active)
{
	struct imap_session *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->cfg = cfg;
	s->trace = trace;
	s->state = IMAP_NOT_AUTHENTICATED;
	s->tls_active = tls_active;
	imap_parser_init(&s->parser);
	set_input_limits(s);
	return s;
}

void imap_session_free(struct imap_session *s)
{
	if (s == NULL)
		return;
	imap_mailbox_close(s->mbox);
	imap_parser_free(&s->parser);
	sasl_clear(&s->sasl);
	free(s->sasl_tag);
	free(s->idle_tag);
	free(s->root);
	free(s);
}

void imap_set_flush(struct imap_session *s, imap_flush_fn fn, void *arg)
{
	s->flush = fn;
	s->flush_arg = arg;
}

void imap_enter_state(struct imap_session *s, enum imap_state next,
		      const char *why_fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, why_fmt);
	vsnprintf(why, sizeof(why), why_fmt, ap);
	va_end(ap);
	trace_state(s->trace, imap_state_name(s->state),
		    imap_state_name(next), "%s", why);
	s->state = next;
	set_input_limits(s);
}

enum imap_state imap_session_state(const struct imap_session *s)
{
	return s->state;
}

uint64_t imap_literal_left(const struct imap_session *s)
{
	return imap_parser_literal_left(&s->parser);
}

void imap_greeting(struct imap_session *s, struct buf *out)
{
	s->out = out;
	/* RFC 9051 §7.1.1: the greeting may carry the capabilities, which
	 * saves the client a round trip */
	buf_puts(out, "* OK [CAPABILITY ");
	imap_capabilities(s, out);
	buf_puts(out, "] maillab IMAP server ready\r\n");
	trace_event(s->trace, "state %s", imap_state_name(s->state));
}

void imap_tls_started(struct imap_session *s)
{
	s->tls_active = true;
	/* RFC 9051 §6.2.1: nothing said before the handshake counts */
	imap_parser_reset(&s->parser);
	imap_enter_state(s, IMAP_NOT_AUTHENTICATED, "STARTTLS handshake done");
}

/* parser_tag - the tag of the command being read, if it got that far. */
static const char *parser_tag(const struct imap_parser *p)
{
	return p->tag_done && !p->finished ? p->text.data : NULL;
}

/* line_tag - the tag at the start of a line that was too long to parse,
 * if it looks like one (RFC 9051 §9: astring characters but '+'), so
 * the client gets a tagged BAD instead of waiting for its completion. */
static const char *line_tag(const char *start, size_t len, char *tag,
			    size_t size)
{
	size_t n = 0;
	while (n < len && n + 1 < size && start[n] != ' ') {
		unsigned char c = (unsigned char)start[n];
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\+]", c) != NULL)
			return NULL;
		tag[n++] = (char)c;
	}
	tag[n] = '\0';
	return n > 0 && n < len && start[n] == ' ' ? tag : NULL;
}

void imap_line_too_long(struct imap_session *s, const char *start,
			size_t len, struct buf *out)
{
	s->out = out;
	char first[NAME_ECHO_MAX + 1];
	const char *tag = parser_tag(&s->parser);
	if (tag == NULL)
		tag = line_tag(start, len, first, sizeof(first));
	trace_event(s->trace, "error line too long (limit %d octets)",
		    IMAP_LINE_MAX);
	if (s->sasl_active || s->idling) {
		tag = s->sasl_active ? s->sasl_tag : s->idle_tag;
		s->sasl_active = s->idling = false;
		sasl_clear(&s->sasl);
	}
	imap_tagged_raw(s, tag != NULL ? tag : "*", "BAD",
			"[TOOBIG] line too long (limit %d octets; send long "
			"data as a literal)", IMAP_LINE_MAX);
	imap_parser_reset(&s->parser);
}

void imap_disconnected(struct imap_session *s, const char *why)
{
	uint64_t left = imap_parser_literal_left(&s->parser);
	if (left > 0)
		trace_event(s->trace, "%s with %llu octets of a literal still "
			    "to come: command dropped", why,
			    (unsigned long long)left);
	else if (imap_parser_busy(&s->parser))
		trace_event(s->trace, "%s in the middle of a command", why);
	else
		trace_event(s->trace, "%s", why);
}

void imap_timed_out(struct imap_session *s, struct buf *out)
{
	s->out = out;
	trace_event(s->trace, "idle timeout");
	/* RFC 9051 §5.4: the autologout timer; BYE says why (§7.1.5) */
	buf_puts(out, "* BYE idle for too long, closing\r\n");
	imap_enter_state(s, IMAP_LOGOUT, "idle timeout");
}

/* ---- dispatch --------------------------------------------------------- */

/* echo_name - a command name safe to put into a reply. */
static void echo_name(const char *in, char *out, size_t size)
{
	size_t o = 0;
	for (; *in != '\0' && o + 1 < size; in++)
		out[o++] = isprint((unsigned char)*in) ? *in : '?';
	out[o] = '\0';
}

/* wrong_state - RFC 9051 §6: a command outside its states gets BAD; the
 * text says what the client has to do first. */
static enum imap_action wrong_state(struct imap_session *s,
				    const struct imap_cmd_info *info)
{
	const char *hint = s->state == IMAP_NOT_AUTHENTICATED ? "log in first"
		: s->state == IMAP_AUTHENTICATED && (info->states & IMAP_IN_SELECTED)
			? "select a mailbox first"
		: "";
	return imap_bad(s, "%s is not valid in the %s state%s%s", info->name,
			imap_state_name(s->state), *hint ? ": " : "", hint);
}

/* command_name - "FETCH", or "UID FETCH" from the first two atoms. */
static const struct imap_cmd_info *command_name(struct imap_session *s,
						size_t *used_r)
{
	const struct imap_arg *a = s->parser.args;
	char name[NAME_ECHO_MAX * 2];
	*used_r = 1;
	if (a[0].type != IMAP_ARG_ATOM) {
		imap_bad(s, "the command name must be an atom");
		return NULL;
	}
	snprintf(name, sizeof(name), "%.*s", NAME_ECHO_MAX, a[0].str);
	if (imap_arg_is(&a[0], "UID")) {
		if (s->parser.nargs < 2 || a[1].type != IMAP_ARG_ATOM) {
			imap_bad(s, "UID needs a command: UID FETCH, SEARCH, "
				 "STORE, COPY, MOVE or EXPUNGE");
			return NULL;
		}
		snprintf(name, sizeof(name), "UID %.*s", NAME_ECHO_MAX,
			 a[1].str);
		*used_r = 2;
	}
	const struct imap_cmd_info *info = imap_cmd_find(name, strlen(name));
	if (info == NULL) {
		char shown[sizeof(name)];
		echo_name(name, shown, sizeof(shown));
		imap_bad(s, "unknown command \"%s\"", shown);
	}
	return info;
}

/* run_command - a parsed command: find it, check the state, run it. */
static enum imap_action run_command(struct imap_session *s)
{
	struct imap_cmd c = { .tag = s->parser.tag };
	size_t used;
	s->cmd = &c;
	s->tag = c.tag;
	s->commands++;
	const struct imap_cmd_info *info = command_name(s, &used);
	enum imap_action act = IMAP_CONTINUE;
	if (info != NULL && !(info->states & (1u << s->state))) {
		act = wrong_state(s, info);
	} else if (info != NULL) {
		/* no handler looks at a view that slept (imap_rest()) */
		imap_wake(s);
		c.info = info;
		c.id = imap_cmd_id(info);
		c.uid = used == 2;
		c.args = s->parser.args + used;
		c.argc = s->parser.nargs - used;
		if (!s->fatal)
			act = handlers[c.id](s, &c);
	}
	s->cmd = NULL;
	return s->fatal ? IMAP_CLOSE : act;
}

/* parse_error - a malformed command.  Its tag is used if it was readable
 * (RFC 9051 §7.1.3: otherwise an untagged BAD). */
static enum imap_action parse_error(struct imap_session *s)
{
	const struct imap_parser *p = &s->parser;
	const char *tag = p->tag != NULL ? p->tag : "*";
	trace_event(s->trace, "error %s", p->error_text);
	/* the limit that was passed, said the way the client can act on */
	const char *when = s->state == IMAP_NOT_AUTHENTICATED
			   ? " before login" : "";
	unsigned long long limit = p->literal_max;
	switch (p->error) {
	case IMAP_PERR_TOOBIG:
		imap_tagged_raw(s, tag, "NO", "[TOOBIG] %s (limit %llu octets%s)",
				p->error_text, limit, when);
		return IMAP_CONTINUE;
	case IMAP_PERR_FATAL:
		/* RFC 7888 §4: the octets already sent cannot be told from
		 * the next command; the connection must end */
		imap_tagged_raw(s, tag, "BAD", "[TOOBIG] %s (limit %llu octets%s)",
				p->error_text, limit, when);
		buf_puts(s->out, "* BYE cannot follow the input any more\r\n");
		imap_enter_state(s, IMAP_LOGOUT, "oversized {n+} literal");
		return IMAP_CLOSE;
	default:
		imap_tagged_raw(s, tag, "BAD", "%s", p->error_text);
		return IMAP_CONTINUE;
	}
}

/* raw_line - AUTHENTICATE and IDLE read whole lines, not commands. */
static size_t raw_line(struct imap_session *s, const char *data, size_t len,
		       enum imap_action *act)
{
	const char *nl = memchr(data, '\n', len);
	size_t used = nl != NULL ? (size_t)(nl - data) + 1 : len;
	size_t n = nl != NULL ? (size_t)(nl - data) : len;
	if (n > 0 && data[n - 1] == '\r')
		n--;
	char *line = malloc(n + 1);
	if (line == NULL) {
		*act = IMAP_CLOSE;
		return used;
	}
	memcpy(line, data, n);
	line[n] = '\0';
	/* a NUL would cut the line short and change its meaning: make it a
	 * line that is neither base64 nor DONE */
	if (memchr(line, '\0', n) != NULL)
		strcpy(line, "\x01");
	*act = s->sasl_active ? imap_sasl_line(s, line) : imap_idle_line(s, line);
	explicit_bzero(line, n);
	free(line);
	return used;
}

enum imap_action imap_feed(struct imap_session *s, const char *data,
			   size_t len, struct buf *out, bool *slow_r)
{
	enum imap_action act = IMAP_CONTINUE;
	size_t pos = 0;
	s->out = out;
	s->slow = false;
	while (pos < len && act == IMAP_CONTINUE) {
		if (s->sasl_active || s->idling) {
			pos += raw_line(s, data + pos, len - pos, &act);
			continue;
		}
		enum imap_parse_status st;
		pos += imap_parser_feed(&s->parser, data + pos, len - pos, &st);
		if (st == IMAP_PARSE_LITERAL)
			/* RFC 9051 §7.5: "+" tells the client to go on */
			buf_puts(out, "+ Ready for literal data\r\n");
		else if (st == IMAP_PARSE_DONE)
			act = run_command(s);
		else if (st == IMAP_PARSE_ERROR)
			act = parse_error(s);
	}
	if (out->overflow) {
		/* an answer larger than the output limit would reach the
		 * client cut short; better to say so and end (RFC 9051
		 * §7.1.5) than to leave it reading a broken response */
		trace_event(s->trace, "error response larger than %zu octets",
			    out->max);
		buf_reset(out);
		buf_puts(out, "* BYE [SERVERBUG] response too large\r\n");
		if (s->state != IMAP_LOGOUT)
			imap_enter_state(s, IMAP_LOGOUT, "response too large");
		act = IMAP_CLOSE;
	}
	if (s->flush_failed)
		act = IMAP_CLOSE;
	*slow_r = s->slow;
	return act;
}

/* ---- state changes shared by several commands ------------------------- */

void imap_deselect(struct imap_session *s, const char *why)
{
	if (s->mbox == NULL)
		return;
	imap_mailbox_close(s->mbox);
	s->mbox = NULL;
	if (s->state == IMAP_SELECTED)
		imap_enter_state(s, IMAP_AUTHENTICATED, "%s", why);
}

enum imap_action imap_login_ok(struct imap_session *s, const char *how)
{
	const char *error = "";
	free(s->root);
	s->root = users_maildir(s->cfg->data_dir, s->user);
	/* the first login creates the user's INBOX */
	if (s->root == NULL || maildir_create(s->root, &error) < 0) {
		trace_event(s->trace, "error Maildir of \"%s\": %s", s->user,
			    error);
		return imap_no(s, "[UNAVAILABLE] cannot open the mailbox now");
	}
	imap_enter_state(s, IMAP_AUTHENTICATED, "%s ok for %s", how, s->user);
	/* RFC 9051 §6.2.3: the capabilities change at login; saying them
	 * here saves the client a CAPABILITY command */
	struct buf caps;
	buf_init(&caps, IMAP_LINE_MAX);
	imap_capabilities(s, &caps);
	enum imap_action act = imap_ok(s, "[CAPABILITY %s] %s completed, "
				       "logged in as %s", caps.data, how,
				       s->user);
	buf_free(&caps);
	return act;
}
