/*
 * track.c - what the three trackers share: the tables as uniform rows,
 * the one state function, notes, capabilities (see track.h).
 *
 * The command rows are expanded here from the same .def files the
 * servers dispatch from, dropping the handler column, so mailsh never
 * links server code and can never disagree with the servers' table.
 */
#include "track_internal.h"

#include "../common/base64.h"
#include "../proto/imap.h"
#include "../proto/pop3.h"
#include "../proto/smtp.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct track_cmd pop3_rows[] = {
#define POP3_CMD(name, handler, states, next, min, max, rfc, syntax, help) \
	{ #name, states, next, rfc, syntax, help },
#include "../proto/pop3.def"
#undef POP3_CMD
};

static const struct track_cmd smtp_rows[] = {
#define SMTP_CMD(name, handler, states, next, rfc, syntax, help) \
	{ #name, states, next, rfc, syntax, help },
#include "../proto/smtp.def"
#undef SMTP_CMD
};

static const struct track_cmd imap_rows[] = {
#define IMAP_CMD(id, name, handler, states, next, rfc, syntax, help) \
	{ name, states, next, rfc, syntax, help },
#include "../proto/imap.def"
#undef IMAP_CMD
};

struct proto_desc {
	const char *name;
	const struct track_cmd *rows;
	int nrows;
	int nstates;
	void (*prepare)(struct track *, const char *, struct track_send *);
	void (*sent)(struct track *, const struct track_send *);
	enum track_reply (*reply)(struct track *, const char *);
};

static const struct proto_desc protos[] = {
	[TRACK_POP3] = { "pop3", pop3_rows, POP3_CMD_COUNT, POP3_STATE_COUNT,
			 track_pop3_prepare, track_pop3_sent, track_pop3_reply },
	[TRACK_SMTP] = { "smtp", smtp_rows, SMTP_CMD_COUNT, SMTP_STATE_COUNT,
			 track_smtp_prepare, track_smtp_sent, track_smtp_reply },
	[TRACK_IMAP] = { "imap", imap_rows, IMAP_CMD_COUNT, IMAP_STATE_COUNT,
			 track_imap_prepare, track_imap_sent, track_imap_reply },
};

void track_init(struct track *t, enum track_proto proto, bool tls)
{
	memset(t, 0, sizeof(*t));
	t->proto = proto;
	t->tls = tls;
	t->pending = TRACK_P_GREETING;
	t->messages = -1;
	t->next_tag = 1;
	/* Every protocol starts in its first state (RFC 1939 §3: AUTHORIZATION;
	 * smtp.h: INIT; RFC 9051 §3: Not Authenticated). */
	t->state = 0;
}

const char *track_proto_name(enum track_proto proto)
{
	return protos[proto].name;
}

const char *track_state_name(enum track_proto proto, int state)
{
	switch (proto) {
	case TRACK_POP3:
		return pop3_state_name((enum pop3_state)state);
	case TRACK_SMTP:
		return smtp_state_name((enum smtp_state)state);
	case TRACK_IMAP:
		return imap_state_name((enum imap_state)state);
	}
	return "?";
}

int track_state_count(enum track_proto proto)
{
	return protos[proto].nstates;
}

int track_cmd_count(enum track_proto proto)
{
	return protos[proto].nrows;
}

const struct track_cmd *track_cmd_at(enum track_proto proto, int i)
{
	return &protos[proto].rows[i];
}

int track_cmd_find(enum track_proto proto, const char *name, size_t len)
{
	for (int i = 0; i < protos[proto].nrows; i++) {
		const char *k = protos[proto].rows[i].name;
		if (strncasecmp(k, name, len) == 0 && k[len] == '\0')
			return i;
	}
	return -1;
}

bool track_cleartext_mech(const char *mech)
{
	return strcasecmp(mech, "PLAIN") == 0 || strcasecmp(mech, "LOGIN") == 0;
}

void track_prepare(struct track *t, const char *typed, struct track_send *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->line, sizeof(out->line), "%s", typed);
	/* An answer to a SASL challenge is the same in every protocol: a
	 * base64 line, or "*" to cancel (RFC 4422 §3, RFC 5034 §4, RFC 4954
	 * §4, RFC 9051 §6.2.2).  It is not a command, and for PLAIN and
	 * LOGIN outside TLS it carries the password. */
	if (t->input == TRACK_INPUT_SASL) {
		out->raw = true;
		out->credentials = !t->tls && track_cleartext_mech(t->pending_mech) &&
				   strcmp(typed, "*") != 0;
		return;
	}
	protos[t->proto].prepare(t, typed, out);
}

void track_sent(struct track *t, const struct track_send *s)
{
	t->outcome = TRACK_NONE;
	protos[t->proto].sent(t, s);
}

enum track_reply track_reply_line(struct track *t, const char *line)
{
	return protos[t->proto].reply(t, line);
}

void track_tls_started(struct track *t)
{
	t->tls = true;
	t->want_tls = false;
	/* RFC 2595 §4, RFC 3207 §4.2, RFC 9051 §6.2.1: everything learnt
	 * before the handshake may have been forged; ask again. */
	track_caps_reset(t);
	track_note(t, TRACK_NOTE_INFO, "TLS is on: capabilities learnt before "
		   "the handshake are forgotten; ask for them again");
	if (t->proto == TRACK_SMTP && t->state != 0)
		track_enter_state(t, SMTP_INIT, "after STARTTLS (EHLO again, "
				  "RFC 3207 §4.2)");
}

void track_closed(struct track *t, const char *why)
{
	if (!t->closed)
		track_note(t, TRACK_NOTE_INFO, "connection closed: %s", why);
	t->closed = true;
	t->pending = TRACK_P_NONE;
	t->input = TRACK_INPUT_COMMAND;
}

void track_literal_sent(struct track *t)
{
	/* RFC 9051 §4.3: an IMAP command goes on after its literal (often
	 * with just CRLF); an SMTP BDAT chunk is complete (RFC 3030 §2). */
	if (t->input == TRACK_INPUT_LITERAL)
		t->input = t->proto == TRACK_IMAP ? TRACK_INPUT_REST
						  : TRACK_INPUT_COMMAND;
}

void track_enter_state(struct track *t, int next, const char *why_fmt, ...)
{
	char why[SHELL_NOTE_LEN / 2];
	va_list ap;
	va_start(ap, why_fmt);
	vsnprintf(why, sizeof(why), why_fmt, ap);
	va_end(ap);
	track_note(t, TRACK_NOTE_STATE, "%s -> %s %s",
		   track_state_name(t->proto, t->state),
		   track_state_name(t->proto, next), why);
	t->state = next;
}

void track_note(struct track *t, enum track_note_kind kind, const char *fmt,
		...)
{
	if (t->nnotes == SHELL_NOTES_MAX) {
		t->notes_lost = true;
		return;
	}
	struct track_note *n = &t->notes[t->nnotes++];
	n->kind = kind;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(n->text, sizeof(n->text), fmt, ap);
	va_end(ap);
}

void track_clear_notes(struct track *t)
{
	t->nnotes = 0;
	t->notes_lost = false;
}

void track_prompt(const struct track *t, char *out, size_t size)
{
	const char *proto = track_proto_name(t->proto);
	const char *tls = t->tls ? "+tls" : "";
	const char *state = track_state_name(t->proto, t->state);
	if (t->closed)
		snprintf(out, size, "%s%s (closed)", proto, tls);
	else if (t->proto == TRACK_IMAP && t->state == IMAP_SELECTED)
		snprintf(out, size, "%s%s %s %s", proto, tls, state, t->mailbox);
	else if (t->proto == TRACK_SMTP && t->rcpts > 0)
		snprintf(out, size, "%s%s %s (%d rcpt%s)", proto, tls, state,
			 t->rcpts, t->rcpts == 1 ? "" : "s");
	else
		snprintf(out, size, "%s%s %s", proto, tls, state);
}

void track_caps_reset(struct track *t)
{
	t->caps_known = false;
	t->ncaps = 0;
	t->nmechs = 0;
}

void track_caps_done(struct track *t)
{
	bool offered = track_has_cap(t, "STARTTLS") || track_has_cap(t, "STLS");
	if (offered)
		t->starttls_offered = true;
	else if (t->starttls_offered && !t->tls)
		track_note(t, TRACK_NOTE_WARN, "STARTTLS was offered earlier in "
			   "this connection and is missing now: stripped by "
			   "someone in the middle? Do not send a password");
}

void track_caps_add(struct track *t, const char *word, size_t len)
{
	t->caps_known = true;
	if (len == 0 || len >= SHELL_CAP_LEN)
		return;
	if (t->ncaps == SHELL_CAPS_MAX) {
		track_note(t, TRACK_NOTE_INFO, "more than %d capabilities: "
			   "the rest are not remembered", SHELL_CAPS_MAX);
		return;
	}
	snprintf(t->caps[t->ncaps++], SHELL_CAP_LEN, "%.*s", (int)len, word);
}

void track_mech_add(struct track *t, const char *mech, size_t len)
{
	if (len == 0 || len >= SHELL_CAP_LEN || t->nmechs == SHELL_MECHS_MAX)
		return;
	snprintf(t->mechs[t->nmechs++], SHELL_CAP_LEN, "%.*s", (int)len, mech);
}

bool track_has_cap(const struct track *t, const char *cap)
{
	for (int i = 0; i < t->ncaps; i++)
		if (strcasecmp(t->caps[i], cap) == 0)
			return true;
	return false;
}

bool track_has_mech(const struct track *t, const char *mech)
{
	for (int i = 0; i < t->nmechs; i++)
		if (strcasecmp(t->mechs[i], mech) == 0)
			return true;
	return false;
}

/* states_text - "AUTHORIZATION, TRANSACTION" for a set of state bits. */
static void states_text(enum track_proto proto, unsigned states, char *out,
			size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (int s = 0; s < protos[proto].nstates; s++)
		if ((states & (1u << s)) && used < size)
			used += (size_t)snprintf(out + used, size - used, "%s%s",
						 used ? ", " : "",
						 track_state_name(proto, s));
}

void track_check_state(struct track *t, int cmd)
{
	const struct track_cmd *c = &protos[t->proto].rows[cmd];
	if (c->states & (1u << t->state))
		return;
	char valid[160];
	states_text(t->proto, c->states, valid, sizeof(valid));
	track_note(t, TRACK_NOTE_WARN, "%s is not valid in the %s state "
		   "(only in %s; %s); sent anyway, to show the server's answer",
		   c->name, track_state_name(t->proto, t->state), valid, c->rfc);
}

void track_check_cap(struct track *t, const char *what, const char *cap,
		     const char *rfc)
{
	if (t->caps_known && !track_has_cap(t, cap))
		track_note(t, TRACK_NOTE_WARN, "%s: the server did not announce "
			   "%s (%s); sent anyway", what, cap, rfc);
}

void track_keep_challenge(struct track *t, const char *b64)
{
	size_t len = strlen(b64);
	unsigned char decoded[SHELL_CHALLENGE_LEN + 4];
	long n = -1;
	if (len / 4 * 3 < sizeof(decoded) - 1)
		n = base64_decode(b64, len, decoded);
	if (n < 0) {
		snprintf(t->challenge, sizeof(t->challenge), "%s", b64);
		return;
	}
	/* kept as text for :cram; a binary challenge is cut at its NUL */
	snprintf(t->challenge, sizeof(t->challenge), "%.*s",
		 (int)sizeof(t->challenge) - 1, (char *)decoded);
}

bool track_word_is(const char *word, size_t len, const char *lit)
{
	return strncasecmp(word, lit, len) == 0 && lit[len] == '\0';
}

const char *track_next_word(const char *p, const char **word_r, size_t *len_r)
{
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return NULL;
	*word_r = p;
	while (*p != '\0' && *p != ' ')
		p++;
	*len_r = (size_t)(p - *word_r);
	return p;
}
