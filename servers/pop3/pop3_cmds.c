/*
 * pop3_cmds.c - CAPA, and the TRANSACTION and UPDATE states.
 *
 * RFC 1939 §5 (STAT, LIST, RETR, DELE, NOOP, RSET), §6 (QUIT and UPDATE),
 * §7 (TOP, UIDL), RFC 2449 §5 (CAPA).
 *
 * Message numbers are fixed when the maildrop is opened: message n is the
 * n-th of the snapshot, in UID order, and keeps its number even when it is
 * marked deleted (RFC 1939 §5).  Sizes are "wire sizes": the octets of the
 * message with CRLF line ends, which is exactly what RETR sends before
 * byte-stuffing, so a client can trust LIST to size its buffers.
 */
#include "pop3_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pop3_maildrop_totals(const struct pop3_session *s, size_t *count_r,
			  unsigned long long *octets_r)
{
	*count_r = 0;
	*octets_r = 0;
	for (size_t i = 0; i < s->list.count; i++) {
		if (s->deleted[i])
			continue;
		(*count_r)++;
		*octets_r += (unsigned long long)s->list.msgs[i].wire_size;
	}
}

/* message - parse a message number and find it.  RFC 1939 §5: it must
 * exist and "may NOT refer to a message marked as deleted".  Replies and
 * returns NULL when it cannot be used. */
static struct maildir_msg *message(struct pop3_session *s, const char *arg,
				   size_t *index_r)
{
	char *end;
	unsigned long n = 0;
	if (arg[0] >= '0' && arg[0] <= '9')
		n = strtoul(arg, &end, 10);
	if (n == 0 || *end != '\0' || n > s->list.count) {
		pop3_err(s, "no such message, only %zu messages in maildrop",
			 s->list.count);
		return NULL;
	}
	if (s->deleted[n - 1]) {
		pop3_err(s, "message %lu already deleted", n);
		return NULL;
	}
	*index_r = n - 1;
	return &s->list.msgs[n - 1];
}

enum pop3_action pop3_cmd_capa(struct pop3_session *s,
			       const struct pop3_args *a)
{
	(void)a;
	/* RFC 2449 §6 lists the capabilities; only the ones that are true
	 * on this connection, now, are shown. */
	pop3_ok(s, "capability list follows");
	static const char *const always[] = {
		"TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING",
		"IMPLEMENTATION maillab",
	};
	for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
		pop3_data_line(s, always[i], strlen(always[i]));
	if (s->state == POP3_AUTHORIZATION) {
		/* CRAM-MD5 is accepted but not advertised: a client picks the
		 * strongest mechanism listed (curl does), and CRAM-MD5 cannot
		 * work for users stored as a hash, so listing it would lock
		 * them out.  "AUTH" alone lists it for those who ask. */
		if (pop3_cleartext_ok(s)) {
			pop3_data_line(s, "USER", 4);
			pop3_data_line(s, "SASL PLAIN LOGIN", 16);
		}
		if (pop3_stls_available(s))
			pop3_data_line(s, "STLS", 4);
	}
	pop3_data_end(s);
	return POP3_CONTINUE;
}

enum pop3_action pop3_cmd_stat(struct pop3_session *s,
			       const struct pop3_args *a)
{
	(void)a;
	size_t n;
	unsigned long long octets;
	pop3_maildrop_totals(s, &n, &octets);
	/* RFC 1939 §5: exactly "+OK nn mm", a "drop listing" */
	pop3_ok(s, "%zu %llu", n, octets);
	return POP3_CONTINUE;
}

enum pop3_action pop3_cmd_list(struct pop3_session *s,
			       const struct pop3_args *a)
{
	size_t i;
	if (a->argc == 2) {
		struct maildir_msg *m = message(s, a->argv[1], &i);
		if (m != NULL)
			pop3_ok(s, "%zu %lld", i + 1, (long long)m->wire_size);
		return POP3_CONTINUE;
	}
	size_t n;
	unsigned long long octets;
	pop3_maildrop_totals(s, &n, &octets);
	pop3_ok(s, "%zu messages (%llu octets)", n, octets);
	for (i = 0; i < s->list.count; i++)
		if (!s->deleted[i])
			buf_printf(s->out, "%zu %lld\r\n", i + 1,
				   (long long)s->list.msgs[i].wire_size);
	pop3_data_end(s);
	return POP3_CONTINUE;
}

enum pop3_action pop3_cmd_uidl(struct pop3_session *s,
			       const struct pop3_args *a)
{
	/* RFC 1939 §7: the unique-id is 1 to 70 printable characters and
	 * stays the same across sessions; ours is UIDVALIDITY.UID, so it
	 * changes only if the folder's UIDs are ever reassigned. */
	size_t i;
	if (a->argc == 2) {
		struct maildir_msg *m = message(s, a->argv[1], &i);
		if (m != NULL)
			pop3_ok(s, "%zu %u.%u", i + 1, s->list.uidvalidity,
				m->uid);
		return POP3_CONTINUE;
	}
	pop3_ok(s, "unique-id listing follows");
	for (i = 0; i < s->list.count; i++)
		if (!s->deleted[i])
			buf_printf(s->out, "%zu %u.%u\r\n", i + 1,
				   s->list.uidvalidity, s->list.msgs[i].uid);
	pop3_data_end(s);
	return POP3_CONTINUE;
}

/* send_lines - the message as data lines: all of it, or (for TOP) the
 * header, the empty line, and at most @body_lines lines of the body. */
static void send_lines(struct pop3_session *s, const char *data, size_t len,
		       bool top, unsigned long body_lines)
{
	bool in_body = false;
	unsigned long sent = 0;
	size_t pos = 0;
	while (pos < len) {
		if (top && in_body && sent >= body_lines)
			break;
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - data) : len;
		pop3_data_line(s, data + pos, end - pos);
		if (in_body)
			sent++;
		else if (end == pos)
			in_body = true; /* the empty line ends the header */
		pos = nl ? end + 1 : len;
	}
	pop3_data_end(s);
}

/* retrieve - RETR and TOP share everything but the cut. */
static enum pop3_action retrieve(struct pop3_session *s, const char *arg,
				 bool top, unsigned long body_lines)
{
	size_t i;
	struct maildir_msg *m = message(s, arg, &i);
	if (m == NULL)
		return POP3_CONTINUE;
	char *data;
	size_t len;
	const char *error;
	if (maildir_read(s->maildir, m, &data, &len, &error) < 0) {
		trace_event(s->trace, "error reading message %zu: %s", i + 1,
			    error);
		pop3_err(s, "[SYS/TEMP] cannot read message %zu: %s", i + 1,
			 error);
		return POP3_CONTINUE;
	}
	if (top)
		pop3_ok(s, "top of message follows");
	else
		pop3_ok(s, "%lld octets", (long long)m->wire_size);
	send_lines(s, data, len, top, body_lines);
	free(data);
	if (!top)
		s->retrieved[i] = true;
	if (s->out->overflow) {
		buf_reset(s->out);
		pop3_err(s, "[SYS/PERM] message %zu is too large to send", i + 1);
	}
	return POP3_CONTINUE;
}

enum pop3_action pop3_cmd_retr(struct pop3_session *s,
			       const struct pop3_args *a)
{
	return retrieve(s, a->argv[1], false, 0);
}

enum pop3_action pop3_cmd_top(struct pop3_session *s,
			      const struct pop3_args *a)
{
	/* RFC 1939 §7: "n" must be a non-negative number of lines */
	char *end;
	const char *arg = a->argv[2];
	unsigned long lines = strtoul(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end != '\0') {
		pop3_err(s, "usage: TOP msg lines (lines is a number >= 0)");
		return POP3_CONTINUE;
	}
	return retrieve(s, a->argv[1], true, lines);
}

enum pop3_action pop3_cmd_dele(struct pop3_session *s,
			       const struct pop3_args *a)
{
	size_t i;
	if (message(s, a->argv[1], &i) == NULL)
		return POP3_CONTINUE;
	/* RFC 1939 §5: only marked now; removed in UPDATE */
	s->deleted[i] = true;
	pop3_ok(s, "message %zu deleted", i + 1);
	return POP3_CONTINUE;
}

enum pop3_action pop3_cmd_noop(struct pop3_session *s,
			       const struct pop3_args *a)
{
	(void)a;
	pop3_ok(s, "%s", "");
	return POP3_CONTINUE;
}

enum pop3_action pop3_cmd_rset(struct pop3_session *s,
			       const struct pop3_args *a)
{
	(void)a;
	memset(s->deleted, 0, s->list.count * sizeof(bool));
	size_t n;
	unsigned long long octets;
	pop3_maildrop_totals(s, &n, &octets);
	pop3_ok(s, "maildrop has %zu messages (%llu octets)", n, octets);
	return POP3_CONTINUE;
}

/* update - RFC 1939 §6: remove the marked messages.  Messages that were
 * retrieved and kept are flagged Seen (moved to cur/), so an IMAP client
 * on the same Maildir sees them as read. */
static size_t update(struct pop3_session *s)
{
	size_t failed = 0;
	const char *error;
	for (size_t i = 0; i < s->list.count; i++) {
		struct maildir_msg *m = &s->list.msgs[i];
		if (s->deleted[i]) {
			if (maildir_delete(s->maildir, m, &error) < 0) {
				failed++;
				trace_event(s->trace, "error deleting "
					    "message %zu: %s", i + 1, error);
			}
			continue;
		}
		if (!s->retrieved[i])
			continue;
		char flags[MAILDIR_FLAGS_MAX + 2];
		maildir_msg_flags(m, flags);
		if (strchr(flags, 'S') == NULL) {
			strcat(flags, "S"); /* sorted by maildir_set_flags() */
			/* Not fatal: the message is still there, unflagged. */
			if (maildir_set_flags(s->maildir, m, flags, &error) < 0)
				trace_event(s->trace, "error flagging message "
					    "%zu: %s", i + 1, error);
		}
	}
	return failed;
}

enum pop3_action pop3_cmd_quit(struct pop3_session *s,
			       const struct pop3_args *a)
{
	(void)a;
	if (s->state == POP3_AUTHORIZATION) {
		/* RFC 1939 §4: QUIT here ends the session; no UPDATE */
		pop3_ok(s, "maillab POP3 server signing off");
		return POP3_CLOSE;
	}
	size_t marked = 0;
	for (size_t i = 0; i < s->list.count; i++)
		marked += s->deleted[i];
	pop3_enter_state(s, POP3_UPDATE, "QUIT, %zu message(s) to delete",
			 marked);
	size_t failed = update(s);
	size_t left;
	unsigned long long octets;
	pop3_maildrop_totals(s, &left, &octets);
	if (failed > 0)
		pop3_err(s, "[SYS/TEMP] some deleted messages not removed");
	else if (left == 0)
		pop3_ok(s, "maillab POP3 server signing off (maildrop empty)");
	else
		pop3_ok(s, "maillab POP3 server signing off (%zu messages "
			"left)", left);
	return POP3_CLOSE;
}
