/*
 * pop3_core.c - a POP3 session as a state machine over lines.
 *
 * RFC 1939 (POP3), RFC 2449 (CAPA, response codes), RFC 2595 (STLS),
 * RFC 3206 (SYS/AUTH codes), RFC 5034 (AUTH).
 *
 * Every line goes through pop3_feed_line():
 *
 *   1. an AUTH exchange in progress takes the line as a SASL response;
 *   2. otherwise the keyword is looked up in the table from pop3.def;
 *   3. the table says in which states the command is valid and how many
 *      arguments it takes: those checks are made here, once, for all;
 *   4. the handler (pop3_auth.c, pop3_cmds.c) makes its own checks and
 *      acts, and changes state only through pop3_enter_state().
 *
 * Replies: RFC 1939 §3 says a status line starts with "+OK" or "-ERR"; a
 * multi-line reply ends with a line holding a single ".", and data lines
 * that begin with "." get another "." in front (byte-stuffing).
 */
#include "pop3_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The dispatcher: pop3.def's handler column, in pop3_cmds order. */
static const pop3_handler handlers[POP3_CMD_COUNT] = {
#define POP3_CMD(name, handler, states, next, min, max, rfc, syntax, help) \
	[POP3_CMD_##name] = handler,
#include "../../proto/pop3.def"
#undef POP3_CMD
};

struct pop3_session *pop3_session_new(const struct pop3_config *cfg,
				      const struct trace *trace,
				      const char *timestamp, bool tls_active)
{
	struct pop3_session *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->cfg = cfg;
	s->trace = trace;
	s->state = POP3_AUTHORIZATION;
	s->tls_active = tls_active;
	s->lock_fd = -1;
	snprintf(s->timestamp, sizeof(s->timestamp), "%s", timestamp);
	return s;
}

void pop3_session_free(struct pop3_session *s)
{
	if (s == NULL)
		return;
	if (s->state == POP3_TRANSACTION) {
		size_t marked = 0;
		for (size_t i = 0; i < s->list.count; i++)
			marked += s->deleted[i];
		/* RFC 1939 §6: only QUIT enters UPDATE; a lost connection
		 * must not remove anything. */
		trace_event(s->trace, "closed without QUIT: %zu message(s) "
			    "marked for deletion kept", marked);
	}
	sasl_clear(&s->sasl);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	maildir_list_free(&s->list);
	free(s->deleted);
	free(s->retrieved);
	free(s->maildir);
	free(s);
}

void pop3_enter_state(struct pop3_session *s, enum pop3_state next,
		      const char *why_fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, why_fmt);
	vsnprintf(why, sizeof(why), why_fmt, ap);
	va_end(ap);
	trace_state(s->trace, pop3_state_name(s->state),
		    pop3_state_name(next), "%s", why);
	s->state = next;
}

enum pop3_state pop3_session_state(const struct pop3_session *s)
{
	return s->state;
}

size_t pop3_max_line(const struct pop3_session *s)
{
	return s->sasl_active ? POP3_SASL_LINE_MAX : POP3_COMMAND_MAX;
}

/* status - append "<indicator> <text>\r\n", kept within the 512-octet
 * response limit of RFC 2449 §4. */
static void status(struct pop3_session *s, const char *indicator,
		   const char *fmt, va_list ap)
{
	char text[POP3_RESPONSE_MAX];
	vsnprintf(text, sizeof(text) - strlen(indicator) - 3, fmt, ap);
	buf_printf(s->out, "%s%s%s\r\n", indicator, text[0] ? " " : "", text);
}

void pop3_ok(struct pop3_session *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	status(s, "+OK", fmt, ap);
	va_end(ap);
}

void pop3_err(struct pop3_session *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	status(s, "-ERR", fmt, ap);
	va_end(ap);
}

void pop3_data_line(struct pop3_session *s, const char *line, size_t len)
{
	/* RFC 1939 §3: a line that starts with '.' is sent with one more. */
	if (len > 0 && line[0] == '.')
		buf_append(s->out, ".", 1);
	buf_append(s->out, line, len);
	buf_append(s->out, "\r\n", 2);
}

void pop3_data_end(struct pop3_session *s)
{
	buf_append(s->out, ".\r\n", 3);
}

void pop3_greeting(struct pop3_session *s, struct buf *out)
{
	s->out = out;
	/* RFC 1939 §4 and §7: the greeting carries the APOP timestamp. */
	pop3_ok(s, "maillab POP3 server ready %s", s->timestamp);
	trace_event(s->trace, "state %s", pop3_state_name(s->state));
}

void pop3_line_too_long(struct pop3_session *s, struct buf *out)
{
	s->out = out;
	trace_event(s->trace, "error line too long (limit %zu octets)",
		    pop3_max_line(s));
	if (s->sasl_active) {
		s->sasl_active = false;
		sasl_clear(&s->sasl);
		pop3_err(s, "authentication line too long, AUTH cancelled");
		return;
	}
	pop3_err(s, "line too long (limit %d octets including CRLF, "
		 "RFC 2449 section 4)", POP3_COMMAND_MAX);
}

void pop3_tls_started(struct pop3_session *s)
{
	s->tls_active = true;
	/* RFC 2595 §4: after STLS the client must forget what it learned
	 * before; the server forgets any USER given in plaintext. */
	s->user_given = false;
	pop3_enter_state(s, POP3_AUTHORIZATION, "STLS handshake done");
}

/* printable - a copy of an unknown keyword that is safe to echo. */
static void printable(const char *in, size_t len, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 1 < size; i++)
		out[o++] = isprint((unsigned char)in[i]) ? in[i] : '?';
	out[o] = '\0';
}

/* split - keyword and arguments.  RFC 1939 §3: separated by single
 * spaces; we also accept runs of spaces, as most servers do.  @line is cut
 * into words; @rest points into the untouched @orig, for PASS and AUTH. */
static void split(char *line, char *orig, struct pop3_args *a)
{
	a->argc = 0;
	a->rest = NULL;
	char *p = line;
	/* at most 4 words are kept: no command takes more than 2 arguments,
	 * so argc == 4 always means "too many" */
	while (*p != '\0' && a->argc < 4) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (a->argc == 1)
			a->rest = orig + (p - line);
		a->argv[a->argc++] = p;
		while (*p != '\0' && *p != ' ')
			p++;
		if (*p == ' ')
			*p++ = '\0';
	}
}

/* check_args - the table's argument rules; replies and returns false if
 * they are broken. */
static bool check_args(struct pop3_session *s, const struct pop3_cmd_info *c,
		       const struct pop3_args *a)
{
	int n = a->argc - 1;
	if (c->max_args == POP3_ARGS_REST)
		return n >= c->min_args ? true
		       : (pop3_err(s, "usage: %s", c->syntax), false);
	if (n < c->min_args || n > c->max_args || a->argc == 4) {
		pop3_err(s, "usage: %s", c->syntax);
		return false;
	}
	for (int i = 1; i < a->argc; i++) {
		if (strlen(a->argv[i]) > POP3_ARG_MAX) {
			pop3_err(s, "argument too long (limit %d characters, "
				 "RFC 1939 section 3)", POP3_ARG_MAX);
			return false;
		}
	}
	return true;
}

/* dispatch - find the command, check state and arguments, run it. */
static enum pop3_action dispatch(struct pop3_session *s, char *line)
{
	char words[POP3_SASL_LINE_MAX + 1];
	struct pop3_args a;
	snprintf(words, sizeof(words), "%s", line);
	split(words, line, &a);
	if (a.argc == 0) {
		pop3_err(s, "empty command");
		return POP3_CONTINUE;
	}
	const struct pop3_cmd_info *c =
		pop3_cmd_find(a.argv[0], strlen(a.argv[0]));
	if (c == NULL) {
		char name[POP3_ARG_MAX + 1];
		printable(a.argv[0], strlen(a.argv[0]), name, sizeof(name));
		pop3_err(s, "unknown command \"%s\"", name);
		return POP3_CONTINUE;
	}
	if (!(c->states & (1u << s->state))) {
		pop3_err(s, "%s is not valid in the %s state", c->name,
			 pop3_state_name(s->state));
		return POP3_CONTINUE;
	}
	if (!check_args(s, c, &a))
		return POP3_CONTINUE;
	return handlers[pop3_cmd_id(c)](s, &a);
}

enum pop3_action pop3_feed_line(struct pop3_session *s, const char *line,
				size_t len, struct buf *out, bool *slow_r)
{
	s->out = out;
	s->slow = false;
	enum pop3_action act = POP3_CONTINUE;
	/* RFC 1939 §3: commands are printable ASCII; a NUL would also cut
	 * the line short for every C string function after this point. */
	if (memchr(line, '\0', len) != NULL) {
		trace_event(s->trace, "error NUL byte in command");
		if (s->sasl_active) {
			s->sasl_active = false;
			sasl_clear(&s->sasl);
		}
		pop3_err(s, "NUL byte in command");
	} else {
		char copy[POP3_SASL_LINE_MAX + 1];
		snprintf(copy, sizeof(copy), "%.*s", (int)len, line);
		act = s->sasl_active ? pop3_sasl_line(s, copy)
				     : dispatch(s, copy);
	}
	*slow_r = s->slow;
	return act;
}
