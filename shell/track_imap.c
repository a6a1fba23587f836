/*
 * track_imap.c - following an IMAP session from the client side.
 *
 * RFC 9051 §2.2: the client puts a tag in front of each command; the
 * server sends any number of untagged "*" lines and then one line with the
 * same tag and OK, NO or BAD, which completes the command.  A "+" line asks
 * the client to go on: with a literal it announced ({n}, §4.3), with a
 * SASL answer (AUTHENTICATE, §6.2.2) or, after IDLE, until DONE
 * (RFC 2177 §3).  A line of the server that ends in {n} is followed by n
 * raw bytes and then the rest of the line.
 *
 * State changes follow imap.def's "next" column on a tagged OK, and:
 *   - the greeting decides the first state: OK -> Not Authenticated,
 *     PREAUTH -> Authenticated, BYE -> Logout (RFC 9051 §3, §7.1.4);
 *   - a SELECT or EXAMINE that fails leaves Selected for Authenticated
 *     (RFC 9051 §6.3.2);
 *   - an untagged BYE means Logout from anywhere (RFC 9051 §7.1.5);
 *   - STARTTLS keeps Not Authenticated and forgets the capabilities
 *     (RFC 9051 §6.2.1).
 *
 * Tags: when the learner types a command without a tag, mailsh adds the
 * next of a001, a002, ... and shows it.  A first word that is not a
 * command, followed by a command, is the learner's own tag.
 */
#include "track_internal.h"

#include "../proto/imap.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* find_cmd - the command at @p p, including "UID x"; -1 if unknown.
 * *after_r points after the command name. */
static int find_cmd(const char *p, const char **after_r)
{
	const char *w1, *w2;
	size_t l1, l2;
	const char *rest = track_next_word(p, &w1, &l1);
	if (rest == NULL)
		return -1;
	*after_r = rest;
	if (track_word_is(w1, l1, "UID")) {
		const char *rest2 = track_next_word(rest, &w2, &l2);
		if (rest2 == NULL)
			return -1;
		*after_r = rest2;
		return track_cmd_find(TRACK_IMAP, w1, (size_t)(w2 + l2 - w1));
	}
	return track_cmd_find(TRACK_IMAP, w1, l1);
}

/* literal_at_end - "{n}" or "{n+}" closing a line (RFC 9051 §4.3,
 * RFC 7888 §3); returns n, or 0 with no literal. */
static size_t literal_at_end(const char *line, bool *plus_r)
{
	size_t len = strlen(line);
	*plus_r = false;
	if (len < 3 || line[len - 1] != '}')
		return 0;
	const char *open = strrchr(line, '{');
	if (open == NULL)
		return 0;
	char *end;
	unsigned long n = strtoul(open + 1, &end, 10);
	if (end == open + 1)
		return 0;
	*plus_r = *end == '+';
	if (*end == '+')
		end++;
	return *end == '}' && end == line + len - 1 ? (size_t)n : 0;
}

/* check_literal - a literal the line announces, and whether the server
 * said it takes non-synchronizing ones (RFC 7888: LITERAL+ for any size,
 * LITERAL- up to 4096 octets). */
static void check_literal(struct track *t, const char *line,
			  struct track_send *out)
{
	bool plus;
	out->literal = literal_at_end(line, &plus);
	if (out->literal == 0)
		return;
	out->literal_sync = !plus;
	out->line_follows = true;
	bool allowed = track_has_cap(t, "LITERAL+") ||
		       (track_has_cap(t, "LITERAL-") && out->literal <= 4096);
	if (plus && t->caps_known && !allowed)
		track_note(t, TRACK_NOTE_WARN, "{%zu+} is a non-synchronizing "
			   "literal, but the server did not announce LITERAL+ "
			   "(RFC 7888 §4); sent anyway", out->literal);
}

/* Extensions a command needs, unless the server speaks IMAP4rev2, which
 * includes them all (RFC 9051 Appendix E). */
static const struct {
	enum imap_cmd_id cmd;
	const char *cap;
	const char *rfc;
} needs[] = {
	{ IMAP_CMD_IDLE, "IDLE", "RFC 2177 §3" },
	{ IMAP_CMD_MOVE, "MOVE", "RFC 6851 §3" },
	{ IMAP_CMD_UID_MOVE, "MOVE", "RFC 6851 §3" },
	{ IMAP_CMD_UNSELECT, "UNSELECT", "RFC 3691 §2" },
	{ IMAP_CMD_ENABLE, "ENABLE", "RFC 5161 §3.1" },
	{ IMAP_CMD_NAMESPACE, "NAMESPACE", "RFC 2342 §5" },
	{ IMAP_CMD_UID_EXPUNGE, "UIDPLUS", "RFC 4315 §2.1" },
	{ IMAP_CMD_STARTTLS, "STARTTLS", "RFC 9051 §6.2.1" },
};

static void check_command(struct track *t, int cmd, const char *args,
			  struct track_send *out)
{
	const char *mech, *ir;
	size_t mlen, irlen;
	track_check_state(t, cmd);
	for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]); i++)
		if ((int)needs[i].cmd == cmd && !track_has_cap(t, "IMAP4rev2"))
			track_check_cap(t, track_cmd_at(TRACK_IMAP, cmd)->name,
					needs[i].cap, needs[i].rfc);
	if (cmd == IMAP_CMD_STARTTLS && t->tls)
		track_note(t, TRACK_NOTE_WARN, "TLS is already on");
	if (cmd == IMAP_CMD_LOGIN) {
		out->credentials = !t->tls;
		if (track_has_cap(t, "LOGINDISABLED"))
			track_note(t, TRACK_NOTE_WARN, "the server announced "
				   "LOGINDISABLED: LOGIN will fail "
				   "(RFC 9051 §6.2.3)");
	}
	if (cmd != IMAP_CMD_AUTHENTICATE)
		return;
	const char *rest = track_next_word(args, &mech, &mlen);
	if (rest == NULL)
		return;
	char name[SHELL_CAP_LEN], cap[SHELL_CAP_LEN + 8];
	snprintf(name, sizeof(name), "%.*s", (int)mlen, mech);
	snprintf(cap, sizeof(cap), "AUTH=%s", name);
	track_check_cap(t, "AUTHENTICATE", cap, "RFC 9051 §6.2.2");
	if (track_next_word(rest, &ir, &irlen) != NULL) {
		track_check_cap(t, "an initial response", "SASL-IR", "RFC 4959 §3");
		out->credentials = !t->tls && track_cleartext_mech(name);
	}
}

/* prepare_raw - a line that is not a command: a SASL answer, DONE, or the
 * rest of a command after a literal. */
static void prepare_raw(struct track *t, const char *typed,
			struct track_send *out)
{
	out->raw = true;
	/* SASL answers are handled in track_prepare() */
	if (t->input == TRACK_INPUT_IDLE && strcasecmp(typed, "DONE") != 0)
		track_note(t, TRACK_NOTE_WARN, "IDLE is running: only DONE ends "
			   "it (RFC 2177 §3); sent anyway");
	else if (t->input == TRACK_INPUT_REST)
		check_literal(t, typed, out);
}

void track_imap_prepare(struct track *t, const char *typed,
			struct track_send *out)
{
	if (t->input != TRACK_INPUT_COMMAND) {
		prepare_raw(t, typed, out);
		return;
	}
	const char *w1, *w2, *args;
	size_t l1, l2;
	const char *rest = track_next_word(typed, &w1, &l1);
	if (rest == NULL)
		return;
	int cmd = find_cmd(typed, &args);
	bool own_tag = false;
	if (cmd < 0) {
		cmd = find_cmd(rest, &args);
		/* "t1 XFOO": a word with a digit before another word is a tag */
		const char *digit = strpbrk(w1, "0123456789");
		bool tag_like = digit != NULL && digit < w1 + l1 &&
				track_next_word(rest, &w2, &l2) != NULL;
		own_tag = cmd >= 0 || tag_like;
	}
	if (!own_tag) {
		snprintf(out->line, sizeof(out->line), "a%03u %s", t->next_tag,
			 typed);
		out->tag_added = true;
	}
	if (cmd < 0) {
		const char *name = own_tag ? rest : typed;
		track_next_word(name, &w2, &l2);
		track_note(t, TRACK_NOTE_WARN, "\"%.*s\" is not an IMAP command "
			   "mailsh knows; sent anyway", (int)l2, w2);
	} else {
		check_command(t, cmd, args, out);
	}
	check_literal(t, out->line, out);
}

/* unquote - a mailbox name as typed or listed: an atom, or a quoted
 * string with \" and \\ escapes (RFC 9051 §4.3). */
static void unquote(const char *p, size_t len, char *out, size_t size)
{
	size_t o = 0;
	if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
		for (size_t i = 1; i + 1 < len && o + 1 < size; i++) {
			if (p[i] == '\\' && i + 2 < len)
				i++;
			out[o++] = p[i];
		}
		out[o] = '\0';
		return;
	}
	snprintf(out, size, "%.*s", (int)len, p);
}

/* last_arg - the last token of a line, which may be a quoted string. */
static void last_arg(const char *line, char *out, size_t size)
{
	size_t len = strlen(line);
	const char *start = line + len;
	if (len > 0 && line[len - 1] == '"') {
		start = line + len - 1;
		while (start > line && !(start[-1] == '"' && (start - 1 == line ||
							    start[-2] != '\\')))
			start--;
		start = start > line ? start - 1 : line;
	} else {
		while (start > line && start[-1] != ' ')
			start--;
	}
	unquote(start, (size_t)(line + len - start), out, size);
}

void track_imap_sent(struct track *t, const struct track_send *s)
{
	if (s->raw) {
		if (t->input == TRACK_INPUT_REST && s->literal > 0)
			t->input = s->literal_sync ? TRACK_INPUT_COMMAND
						   : TRACK_INPUT_LITERAL;
		else
			t->input = TRACK_INPUT_COMMAND;
		return;
	}
	const char *tag, *args = "";
	size_t tlen;
	const char *rest = track_next_word(s->line, &tag, &tlen);
	if (rest == NULL)
		return;
	snprintf(t->pending_tag, sizeof(t->pending_tag), "%.*s", (int)tlen, tag);
	if (s->tag_added)
		t->next_tag++;
	int cmd = find_cmd(rest, &args);
	t->pending = cmd >= 0 ? cmd : TRACK_P_UNKNOWN;
	const char *w;
	size_t wlen;
	if (track_next_word(args, &w, &wlen) != NULL) {
		unquote(w, wlen, t->pending_arg, sizeof(t->pending_arg));
		snprintf(t->pending_mech, sizeof(t->pending_mech), "%.*s",
			 (int)wlen, w);
	} else {
		t->pending_arg[0] = t->pending_mech[0] = '\0';
	}
	if (cmd == IMAP_CMD_LIST || cmd == IMAP_CMD_LSUB)
		t->nmailboxes = 0;
	if (s->literal > 0 && !s->literal_sync)
		t->input = TRACK_INPUT_LITERAL;
}

/* capability_words - the atoms after CAPABILITY, up to "]" in a code. */
static void capability_words(struct track *t, const char *p)
{
	const char *w;
	size_t len;
	track_caps_reset(t);
	t->caps_known = true;
	while ((p = track_next_word(p, &w, &len)) != NULL) {
		if (w[len - 1] == ']')
			len--;
		track_caps_add(t, w, len);
		if (len > 5 && strncasecmp(w, "AUTH=", 5) == 0)
			track_mech_add(t, w + 5, len - 5);
		if (w[len] == ']')
			break;
	}
	track_caps_done(t);
}

/* status_code - the [CODE ...] after OK/NO/BAD/BYE/PREAUTH. */
static void status_code(struct track *t, const char *text)
{
	if (strncasecmp(text, "[CAPABILITY ", 12) == 0)
		capability_words(t, text + 12);
}

/* untagged_status - "* OK/NO/BAD/PREAUTH/BYE ..." (RFC 9051 §7.1). */
static void untagged_status(struct track *t, const char *word, size_t len,
			    const char *text)
{
	bool greeting = t->pending == TRACK_P_GREETING;
	status_code(t, text);
	if (track_word_is(word, len, "PREAUTH") && greeting) {
		t->outcome = TRACK_OK;
		track_enter_state(t, IMAP_AUTHENTICATED, "on a PREAUTH greeting "
				  "(RFC 9051 §7.1.4)");
	} else if (track_word_is(word, len, "BYE")) {
		t->closed = true;
		t->outcome = greeting ? TRACK_FAILED : t->outcome;
		if (t->state != IMAP_LOGOUT)
			track_enter_state(t, IMAP_LOGOUT, "on untagged BYE "
					  "(RFC 9051 §7.1.5)");
	} else if (greeting) {
		t->outcome = track_word_is(word, len, "OK") ? TRACK_OK
							    : TRACK_FAILED;
	}
	if (greeting)
		t->pending = TRACK_P_NONE;
}

/* untagged - one "* ..." line: status, counters, capabilities, LIST. */
static void untagged(struct track *t, const char *p)
{
	const char *w, *w2;
	size_t len, len2;
	const char *rest = track_next_word(p, &w, &len);
	if (rest == NULL)
		return;
	if (isdigit((unsigned char)w[0])) {
		long n = strtol(w, NULL, 10);
		if (track_next_word(rest, &w2, &len2) == NULL)
			return;
		if (track_word_is(w2, len2, "EXISTS"))
			t->messages = n;            /* RFC 9051 §7.4.1 */
		else if (track_word_is(w2, len2, "EXPUNGE") && t->messages > 0)
			t->messages--;              /* RFC 9051 §7.5.1 */
		return;
	}
	while (*rest == ' ')
		rest++;
	if (track_word_is(w, len, "OK") || track_word_is(w, len, "NO") ||
	    track_word_is(w, len, "BAD") || track_word_is(w, len, "BYE") ||
	    track_word_is(w, len, "PREAUTH"))
		untagged_status(t, w, len, rest);
	else if (track_word_is(w, len, "CAPABILITY"))
		capability_words(t, rest);
	else if ((track_word_is(w, len, "LIST") || track_word_is(w, len, "LSUB")) &&
		 t->nmailboxes < SHELL_MAILBOXES_MAX && rest[0] != '\0' &&
		 rest[strlen(rest) - 1] != '}')
		last_arg(rest, t->mailboxes[t->nmailboxes++], SHELL_MAILBOX_LEN);
}

/* succeeded - a tagged OK: imap.def's next state, with the mailbox. */
static void succeeded(struct track *t, int cmd)
{
	const struct track_cmd *c = track_cmd_at(TRACK_IMAP, cmd);
	bool valid = c->states & (1u << t->state);
	switch ((enum imap_cmd_id)cmd) {
	case IMAP_CMD_STARTTLS:
		t->want_tls = true;
		return;
	case IMAP_CMD_SELECT:
	case IMAP_CMD_EXAMINE:
		snprintf(t->mailbox, sizeof(t->mailbox), "%s", t->pending_arg);
		if (valid && t->state == IMAP_SELECTED)
			track_note(t, TRACK_NOTE_INFO, "now in mailbox %s",
				   t->mailbox);
		break;
	case IMAP_CMD_CLOSE:
	case IMAP_CMD_UNSELECT:
		t->mailbox[0] = '\0';
		t->messages = -1;
		break;
	case IMAP_CMD_LOGOUT:
		t->closed = true;
		break;
	default:
		break;
	}
	if (valid && c->next != IMAP_SAME && c->next != t->state)
		track_enter_state(t, c->next, "on OK to %s", c->name);
}

/* failed - a tagged NO or BAD. */
static void failed(struct track *t, int cmd, const char *word)
{
	bool select = cmd == IMAP_CMD_SELECT || cmd == IMAP_CMD_EXAMINE;
	if (select && t->state == IMAP_SELECTED) {
		t->mailbox[0] = '\0';
		t->messages = -1;
		track_enter_state(t, IMAP_AUTHENTICATED, "on %s to %s: the old "
				  "mailbox is closed (RFC 9051 §6.3.2)", word,
				  track_cmd_at(TRACK_IMAP, cmd)->name);
	}
}

/* tagged - "tag OK/NO/BAD ...": the end of a command. */
static enum track_reply tagged(struct track *t, const char *tag, size_t tlen,
			       const char *rest)
{
	const char *w;
	size_t len;
	t->line_kind = TRACK_LINE_STATUS;
	if (t->pending_tag[0] == '\0' ||
	    strncmp(tag, t->pending_tag, tlen) != 0 || t->pending_tag[tlen]) {
		track_note(t, TRACK_NOTE_WARN, "a tagged reply for %.*s, while "
			   "mailsh waits for %s", (int)tlen, tag,
			   t->pending_tag[0] ? t->pending_tag : "nothing");
		return t->pending == TRACK_P_NONE ? TRACK_DONE : TRACK_MORE;
	}
	rest = track_next_word(rest, &w, &len);
	bool ok = rest != NULL && track_word_is(w, len, "OK");
	t->outcome = ok ? TRACK_OK : TRACK_FAILED;
	t->input = TRACK_INPUT_COMMAND;
	if (rest != NULL) {
		while (*rest == ' ')
			rest++;
		status_code(t, rest);
	}
	if (t->pending >= 0) {
		char word[8];
		snprintf(word, sizeof(word), "%.*s", (int)(rest ? len : 0),
			 rest ? w : "");
		if (ok)
			succeeded(t, t->pending);
		else
			failed(t, t->pending, word);
	}
	t->pending = TRACK_P_NONE;
	t->pending_tag[0] = '\0';
	return TRACK_DONE;
}

/* continuation - "+ ...": the server waits for the client (RFC 9051 §7.6). */
static enum track_reply continuation(struct track *t, const char *text)
{
	t->line_kind = TRACK_LINE_CONT;
	t->outcome = TRACK_INTERMEDIATE;
	if (t->pending == IMAP_CMD_AUTHENTICATE) {
		t->input = TRACK_INPUT_SASL;
		track_keep_challenge(t, text);
	} else if (t->pending == IMAP_CMD_IDLE) {
		t->input = TRACK_INPUT_IDLE;
	} else if (t->pending == TRACK_P_NONE) {
		track_note(t, TRACK_NOTE_WARN, "a continuation request, but no "
			   "command is waiting for one");
		return TRACK_DONE;
	} else {
		t->input = TRACK_INPUT_LITERAL; /* the literal just announced */
	}
	return TRACK_GO_ON;
}

enum track_reply track_imap_reply(struct track *t, const char *line)
{
	bool plus;
	size_t lit = literal_at_end(line, &plus);
	if (t->after_literal) {
		/* the rest of a response line that carried a literal */
		t->line_kind = TRACK_LINE_DATA;
		t->after_literal = lit > 0;
	} else if (line[0] == '+') {
		return continuation(t, line[1] ? line + 2 : "");
	} else if (line[0] == '*' && line[1] == ' ') {
		t->line_kind = TRACK_LINE_UNTAGGED;
		untagged(t, line + 2);
		t->after_literal = lit > 0;
	} else {
		const char *tag;
		size_t tlen;
		const char *rest = track_next_word(line, &tag, &tlen);
		if (rest == NULL)
			return t->pending == TRACK_P_NONE ? TRACK_DONE : TRACK_MORE;
		return tagged(t, tag, tlen, rest);
	}
	if (lit > 0) {
		t->literal_left = lit;
		return TRACK_LITERAL;
	}
	return t->pending == TRACK_P_NONE ? TRACK_DONE : TRACK_MORE;
}
