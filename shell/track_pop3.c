/*
 * track_pop3.c - following a POP3 session from the client side.
 *
 * RFC 1939 §3: the server answers every command with one status line,
 * "+OK" or "-ERR"; some answers go on with lines up to a line holding a
 * single "." (byte-stuffed: a data line that starts with "." carries one
 * more).  Which ones is fixed by the command: CAPA (RFC 2449 §5), RETR and
 * TOP always, LIST and UIDL without an argument (RFC 1939 §5, §7).  An AUTH
 * exchange (RFC 5034 §4) interleaves "+ challenge" lines.
 *
 * State changes follow pop3.def's "next" column on +OK, except where the
 * RFC says otherwise:
 *   - USER does not change state, but PASS is valid only after a USER that
 *     got +OK (RFC 1939 §7);
 *   - QUIT in AUTHORIZATION closes without entering UPDATE (RFC 1939 §4);
 *   - STLS keeps AUTHORIZATION and restarts with TLS (RFC 2595 §4).
 */
#include "track_internal.h"

#include "../proto/pop3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* check_auth - AUTH [mechanism [initial-response]] (RFC 5034 §4). */
static void check_auth(struct track *t, const char *rest, struct track_send *out)
{
	const char *mech, *ir;
	size_t mlen, irlen;
	rest = track_next_word(rest, &mech, &mlen);
	if (rest == NULL)
		return;
	char name[SHELL_CAP_LEN];
	snprintf(name, sizeof(name), "%.*s", (int)mlen, mech);
	if (t->caps_known && !track_has_mech(t, name))
		track_note(t, TRACK_NOTE_WARN, "AUTH %s: the server's CAPA did "
			   "not list %s under SASL (RFC 2449 §6.3); sent anyway",
			   name, name);
	if (track_next_word(rest, &ir, &irlen) != NULL && !t->tls &&
	    track_cleartext_mech(name))
		out->credentials = true;
}

void track_pop3_prepare(struct track *t, const char *typed,
			struct track_send *out)
{
	const char *word;
	size_t len;
	const char *rest = track_next_word(typed, &word, &len);
	if (rest == NULL)
		return;
	int cmd = track_cmd_find(TRACK_POP3, word, len);
	if (cmd < 0) {
		track_note(t, TRACK_NOTE_WARN, "\"%.*s\" is not a POP3 command "
			   "mailsh knows; sent anyway", (int)len, word);
		return;
	}
	track_check_state(t, cmd);
	switch ((enum pop3_cmd_id)cmd) {
	case POP3_CMD_USER:
		track_check_cap(t, "USER", "USER", "RFC 2449 §6.2");
		break;
	case POP3_CMD_PASS:
		if (t->state == POP3_AUTHORIZATION && !t->user_accepted)
			track_note(t, TRACK_NOTE_WARN, "PASS is valid only right "
				   "after a USER that got +OK (RFC 1939 §7)");
		out->credentials = !t->tls;
		break;
	case POP3_CMD_STLS:
		if (t->tls)
			track_note(t, TRACK_NOTE_WARN, "TLS is already on");
		track_check_cap(t, "STLS", "STLS", "RFC 2595 §4");
		break;
	case POP3_CMD_TOP:
		track_check_cap(t, "TOP", "TOP", "RFC 2449 §6.1");
		break;
	case POP3_CMD_UIDL:
		track_check_cap(t, "UIDL", "UIDL", "RFC 2449 §6.8");
		break;
	case POP3_CMD_AUTH:
		check_auth(t, rest, out);
		break;
	default:
		break;
	}
}

void track_pop3_sent(struct track *t, const struct track_send *s)
{
	if (s->raw)
		return; /* a SASL answer: AUTH stays pending */
	const char *word, *arg = NULL;
	size_t len, alen = 0;
	const char *rest = track_next_word(s->line, &word, &len);
	if (rest == NULL)
		return;
	bool has_arg = track_next_word(rest, &arg, &alen) != NULL;
	int cmd = track_cmd_find(TRACK_POP3, word, len);
	t->pending = cmd >= 0 ? cmd : TRACK_P_UNKNOWN;
	snprintf(t->pending_arg, sizeof(t->pending_arg), "%.*s", (int)alen,
		 has_arg ? arg : "");
	snprintf(t->pending_mech, sizeof(t->pending_mech), "%.*s", (int)alen,
		 has_arg ? arg : "");
	t->multiline = cmd == POP3_CMD_CAPA || cmd == POP3_CMD_RETR ||
		       cmd == POP3_CMD_TOP ||
		       ((cmd == POP3_CMD_LIST || cmd == POP3_CMD_UIDL) && !has_arg);
}

/* capa_line - one line of the CAPA list (RFC 2449 §5): a name and its
 * arguments; "SASL PLAIN LOGIN" also names the mechanisms (§6.3). */
static void capa_line(struct track *t, const char *line)
{
	const char *word;
	size_t len;
	const char *rest = track_next_word(line, &word, &len);
	if (rest == NULL)
		return;
	track_caps_add(t, word, len);
	if (!track_word_is(word, len, "SASL"))
		return;
	while ((rest = track_next_word(rest, &word, &len)) != NULL)
		track_mech_add(t, word, len);
}

/* succeeded - +OK to the pending command: the transitions of pop3.def,
 * with the exceptions listed at the top of this file. */
static void succeeded(struct track *t, const char *line)
{
	int cmd = t->pending;
	if (cmd < 0)
		return;
	const struct track_cmd *c = track_cmd_at(TRACK_POP3, cmd);
	switch ((enum pop3_cmd_id)cmd) {
	case POP3_CMD_USER:
		t->user_accepted = true;
		return;
	case POP3_CMD_STLS:
		t->want_tls = true;
		return;
	case POP3_CMD_CAPA:
		track_caps_reset(t);
		t->caps_known = true;
		return;
	case POP3_CMD_STAT:
		/* RFC 1939 §5: "+OK nn mm", messages and octets */
		t->messages = strtol(line + 3, NULL, 10);
		return;
	case POP3_CMD_QUIT:
		t->closed = true;
		if (t->state == POP3_AUTHORIZATION) {
			track_note(t, TRACK_NOTE_INFO, "QUIT in AUTHORIZATION "
				   "ends the session without entering UPDATE "
				   "(RFC 1939 §4)");
			return;
		}
		break;
	default:
		break;
	}
	if (c->next != POP3_SAME && c->next != t->state &&
	    (c->states & (1u << t->state)))
		track_enter_state(t, c->next, "on +OK to %s", c->name);
}

static enum track_reply status_line(struct track *t, const char *line)
{
	bool ok = strncmp(line, "+OK", 3) == 0;
	t->line_kind = TRACK_LINE_STATUS;
	t->outcome = ok ? TRACK_OK : TRACK_FAILED;
	t->input = TRACK_INPUT_COMMAND;
	if (t->pending == TRACK_P_GREETING) {
		/* RFC 1939 §7: the APOP timestamp is the <...> of the greeting */
		const char *lt = strchr(line, '<'), *gt = lt ? strchr(lt, '>') : NULL;
		if (ok && gt != NULL)
			snprintf(t->apop_stamp, sizeof(t->apop_stamp), "%.*s",
				 (int)(gt - lt + 1), lt);
		if (!ok)
			t->closed = true;
		t->pending = TRACK_P_NONE;
		return TRACK_DONE;
	}
	if (ok) {
		succeeded(t, line);
		if (t->multiline) {
			t->in_body = true;
			return TRACK_MORE;
		}
	} else if (t->pending == POP3_CMD_PASS) {
		t->user_accepted = false; /* RFC 1939 §7: start again with USER */
	}
	t->pending = TRACK_P_NONE;
	return TRACK_DONE;
}

/* body_line - a line of a multi-line reply, up to the lone ".". */
static enum track_reply body_line(struct track *t, const char *line)
{
	t->line_kind = TRACK_LINE_DATA;
	if (strcmp(line, ".") == 0) {
		if (t->pending == POP3_CMD_CAPA)
			track_caps_done(t);
		t->in_body = false;
		t->pending = TRACK_P_NONE;
		return TRACK_DONE;
	}
	if (t->pending == POP3_CMD_CAPA)
		capa_line(t, line[0] == '.' ? line + 1 : line);
	return TRACK_MORE;
}

enum track_reply track_pop3_reply(struct track *t, const char *line)
{
	if (t->in_body)
		return body_line(t, line);
	if (strncmp(line, "+OK", 3) == 0 || strncmp(line, "-ERR", 4) == 0)
		return status_line(t, line);
	if (line[0] == '+' && (line[1] == ' ' || line[1] == '\0') &&
	    t->pending == POP3_CMD_AUTH) {
		/* RFC 5034 §4: "+ " and a base64 challenge */
		t->line_kind = TRACK_LINE_CONT;
		t->outcome = TRACK_INTERMEDIATE;
		t->input = TRACK_INPUT_SASL;
		track_keep_challenge(t, line[1] ? line + 2 : "");
		return TRACK_GO_ON;
	}
	t->line_kind = TRACK_LINE_DATA;
	track_note(t, TRACK_NOTE_WARN, "not a POP3 status line: RFC 1939 §3 "
		   "says a reply starts with +OK or -ERR");
	t->outcome = TRACK_FAILED;
	t->pending = TRACK_P_NONE;
	return TRACK_DONE;
}
