/*
 * track_smtp.c - following an SMTP session from the client side.
 *
 * RFC 5321 §4.2: a reply is one or more lines with the same three-digit
 * code; every line but the last has a "-" after the code (§4.2.1), so the
 * reply is complete at the first line whose fourth character is a space
 * (or that has no text at all).  EHLO's reply lists the extensions, one
 * keyword per line after the first (§4.1.1.1); they are remembered as the
 * capabilities.
 *
 * State changes follow smtp.def's "next" column on 2xx/3xx, with the
 * conditional ones of its header comment: the "." that ends DATA returns
 * to READY whatever the answer, because the transaction is over either way
 * (§4.1.1.4); RSET returns to READY only once greeted (§4.1.1.5); STARTTLS
 * returns to INIT (RFC 3207 §4.2); AUTH marks the session authenticated
 * without a state of its own (RFC 4954 §4); 421 closes from anywhere
 * (§3.8).
 */
#include "track_internal.h"

#include "../proto/smtp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* check_auth - AUTH mechanism [initial-response] (RFC 4954 §4). */
static void check_auth(struct track *t, const char *rest, struct track_send *out)
{
	const char *mech, *ir;
	size_t mlen, irlen;
	track_check_cap(t, "AUTH", "AUTH", "RFC 4954 §3");
	if (t->authenticated)
		track_note(t, TRACK_NOTE_WARN, "already authenticated: a second "
			   "AUTH is not allowed (RFC 4954 §4)");
	rest = track_next_word(rest, &mech, &mlen);
	if (rest == NULL)
		return;
	char name[SHELL_CAP_LEN];
	snprintf(name, sizeof(name), "%.*s", (int)mlen, mech);
	if (t->caps_known && track_has_cap(t, "AUTH") && !track_has_mech(t, name))
		track_note(t, TRACK_NOTE_WARN, "AUTH %s: not among the "
			   "mechanisms of the EHLO reply; sent anyway", name);
	if (track_next_word(rest, &ir, &irlen) != NULL && !t->tls &&
	    track_cleartext_mech(name))
		out->credentials = true;
}

/* check_mail - MAIL FROM parameters need their extensions (RFC 5321
 * §4.1.1.2: a parameter the server did not announce gets 555). */
static void check_mail(struct track *t, const char *line)
{
	if (strcasestr(line, "SIZE=") != NULL)
		track_check_cap(t, "MAIL ... SIZE=", "SIZE", "RFC 1870 §3");
	if (strcasestr(line, "BODY=8BITMIME") != NULL)
		track_check_cap(t, "MAIL ... BODY=8BITMIME", "8BITMIME", "RFC 6152 §2");
	if (strcasestr(line, " SMTPUTF8") != NULL)
		track_check_cap(t, "MAIL ... SMTPUTF8", "SMTPUTF8", "RFC 6531 §3.4");
}

/* check_bdat - BDAT size [LAST]: exactly size octets follow the command
 * line, with no reply in between (RFC 3030 §2). */
static void check_bdat(struct track *t, const char *rest, struct track_send *out)
{
	const char *size;
	size_t len;
	track_check_cap(t, "BDAT", "CHUNKING", "RFC 3030 §2");
	if (track_next_word(rest, &size, &len) == NULL)
		return;
	out->literal = (size_t)strtoul(size, NULL, 10);
	out->literal_sync = false;
	out->line_follows = false;
}

void track_smtp_prepare(struct track *t, const char *typed,
			struct track_send *out)
{
	const char *word;
	size_t len;
	const char *rest = track_next_word(typed, &word, &len);
	if (rest == NULL)
		return;
	int cmd = track_cmd_find(TRACK_SMTP, word, len);
	if (cmd < 0) {
		track_note(t, TRACK_NOTE_WARN, "\"%.*s\" is not an SMTP command "
			   "mailsh knows; sent anyway", (int)len, word);
		return;
	}
	track_check_state(t, cmd);
	switch ((enum smtp_cmd_id)cmd) {
	case SMTP_CMD_STARTTLS:
		if (t->tls)
			track_note(t, TRACK_NOTE_WARN, "TLS is already on");
		track_check_cap(t, "STARTTLS", "STARTTLS", "RFC 3207 §4");
		break;
	case SMTP_CMD_AUTH:
		check_auth(t, rest, out);
		break;
	case SMTP_CMD_MAIL:
		check_mail(t, rest);
		break;
	case SMTP_CMD_BDAT:
		check_bdat(t, rest, out);
		break;
	default:
		break;
	}
}

void track_smtp_sent(struct track *t, const struct track_send *s)
{
	if (t->input == TRACK_INPUT_DATA) {
		/* the lone "." that ends the message (RFC 5321 §4.1.1.4) */
		t->pending = TRACK_P_DATA_END;
		t->input = TRACK_INPUT_COMMAND;
		return;
	}
	if (s->raw)
		return; /* a SASL answer: AUTH stays pending */
	const char *word, *arg = "";
	size_t len, alen = 0;
	const char *rest = track_next_word(s->line, &word, &len);
	if (rest == NULL)
		return;
	if (track_next_word(rest, &arg, &alen) == NULL)
		arg = "";
	int cmd = track_cmd_find(TRACK_SMTP, word, len);
	t->pending = cmd >= 0 ? cmd : TRACK_P_UNKNOWN;
	snprintf(t->pending_mech, sizeof(t->pending_mech), "%.*s", (int)alen, arg);
	snprintf(t->pending_arg, sizeof(t->pending_arg), "%s", rest);
	if (s->literal > 0)
		t->input = TRACK_INPUT_LITERAL;
}

/* ehlo_line - one line of the EHLO reply after the first: a keyword and
 * its parameters (RFC 5321 §4.1.1.1).  "AUTH PLAIN LOGIN" names the SASL
 * mechanisms (RFC 4954 §3); some servers still say "AUTH=PLAIN LOGIN". */
static void ehlo_line(struct track *t, const char *text)
{
	const char *word;
	size_t len;
	const char *rest = track_next_word(text, &word, &len);
	if (rest == NULL)
		return;
	bool old_form = len > 5 && strncasecmp(word, "AUTH=", 5) == 0;
	if (old_form) {
		track_mech_add(t, word + 5, len - 5);
		return;
	}
	track_caps_add(t, word, len);
	if (!track_word_is(word, len, "AUTH"))
		return;
	while ((rest = track_next_word(rest, &word, &len)) != NULL)
		track_mech_add(t, word, len);
}

/* succeeded - a 2xx to the pending command. */
static void succeeded(struct track *t, int code)
{
	int cmd = t->pending;
	if (cmd == TRACK_P_DATA_END || cmd == TRACK_P_GREETING || cmd < 0) {
		if (cmd == TRACK_P_DATA_END) {
			t->rcpts = 0;
			track_enter_state(t, SMTP_READY, "on %d to the end of the "
					  "message (accepted)", code);
		}
		return;
	}
	const struct track_cmd *c = track_cmd_at(TRACK_SMTP, cmd);
	bool valid = c->states & (1u << t->state);
	switch ((enum smtp_cmd_id)cmd) {
	case SMTP_CMD_STARTTLS:
		t->want_tls = true;
		return;
	case SMTP_CMD_AUTH:
		t->authenticated = true;
		track_note(t, TRACK_NOTE_INFO, "authenticated: the session may "
			   "now submit mail (RFC 4954 §4); the state stays %s",
			   smtp_state_name(t->state));
		return;
	case SMTP_CMD_RCPT:
		if (valid)
			t->rcpts++;
		break;
	case SMTP_CMD_RSET:
		if (t->state == SMTP_INIT)
			return; /* RFC 5321 §4.1.1.5: nothing to reset yet */
		t->rcpts = 0;
		break;
	case SMTP_CMD_EHLO:
	case SMTP_CMD_HELO:
	case SMTP_CMD_MAIL:
		t->rcpts = 0;
		break;
	case SMTP_CMD_BDAT:
		if (strcasestr(t->pending_arg, "LAST") != NULL) {
			t->rcpts = 0;
			track_enter_state(t, SMTP_READY, "on %d to BDAT LAST", code);
			return;
		}
		break;
	case SMTP_CMD_QUIT:
		t->closed = true;
		break;
	default:
		break;
	}
	if (valid && c->next != SMTP_SAME && c->next != t->state)
		track_enter_state(t, c->next, "on %d to %s", code, c->name);
}

/* final_line - the last line of a reply: act on its code. */
static enum track_reply final_line(struct track *t, int code)
{
	t->line_kind = TRACK_LINE_STATUS;
	t->input = TRACK_INPUT_COMMAND;
	if (code == 421) {
		/* RFC 5321 §3.8: the server is going away, from any state */
		t->outcome = TRACK_FAILED;
		t->closed = true;
		track_enter_state(t, SMTP_CLOSED, "on 421 (service closing)");
		t->pending = TRACK_P_NONE;
		return TRACK_DONE;
	}
	if (code == 334 || (code == 354 && t->pending == SMTP_CMD_DATA)) {
		t->line_kind = TRACK_LINE_CONT;
		t->outcome = TRACK_INTERMEDIATE;
		t->input = code == 334 ? TRACK_INPUT_SASL : TRACK_INPUT_DATA;
		if (code == 354)
			track_enter_state(t, SMTP_DATA, "on 354 to DATA");
		return TRACK_GO_ON;
	}
	if (code >= 200 && code < 300) {
		t->outcome = TRACK_OK;
		succeeded(t, code);
	} else if (code >= 300 && code < 400) {
		t->outcome = TRACK_INTERMEDIATE;
	} else {
		t->outcome = TRACK_FAILED;
		if (t->pending == TRACK_P_GREETING && code == 554)
			track_note(t, TRACK_NOTE_INFO, "554 as a greeting: no "
				   "SMTP service here; only QUIT is useful "
				   "(RFC 5321 §3.1)");
		if (t->pending == TRACK_P_DATA_END) {
			t->rcpts = 0;
			track_enter_state(t, SMTP_READY, "on %d to the end of "
					  "the message (refused)", code);
		}
	}
	t->pending = TRACK_P_NONE;
	return TRACK_DONE;
}

enum track_reply track_smtp_reply(struct track *t, const char *line)
{
	bool digits = strlen(line) >= 3 && line[0] >= '2' && line[0] <= '5' &&
		      line[1] >= '0' && line[1] <= '9' &&
		      line[2] >= '0' && line[2] <= '9';
	if (!digits || (line[3] != '\0' && line[3] != ' ' && line[3] != '-')) {
		t->line_kind = TRACK_LINE_DATA;
		t->outcome = TRACK_FAILED;
		track_note(t, TRACK_NOTE_WARN, "not an SMTP reply line: RFC 5321 "
			   "§4.2 says it starts with a three-digit code");
		t->pending = TRACK_P_NONE;
		return TRACK_DONE;
	}
	int code = atoi(line);
	bool last = line[3] != '-';
	const char *text = line[3] ? line + 4 : "";
	if (t->pending == SMTP_CMD_EHLO && code == 250) {
		if (!t->in_body) {
			/* the first line greets; the keywords follow */
			track_caps_reset(t);
			t->caps_known = true;
			t->in_body = true;
		} else {
			ehlo_line(t, text);
		}
	}
	if (code == 334)
		track_keep_challenge(t, text);
	if (!last) {
		t->line_kind = TRACK_LINE_DATA;
		return TRACK_MORE;
	}
	if (t->pending == SMTP_CMD_EHLO && code == 250)
		track_caps_done(t);
	t->in_body = false;
	return final_line(t, code);
}
