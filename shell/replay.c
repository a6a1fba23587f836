/*
 * replay.c - what the replay modes share (see replay.h): loading a
 * session file, following its dialogue with the client-side tracker, and
 * matching the server lines of one step.
 *
 * Why the tracker: a session file lists the lines of each reply, but only
 * the protocol says where a reply ends - after the tagged line (RFC 9051
 * §2.2.2), the last "250 " line (RFC 5321 §4.2.1), the "." of a multi-line
 * POP3 reply (RFC 1939 §3).  Live replay reads a reply to its real end and
 * then compares, so a server that sends one line more or less is caught
 * at the step where it happened, not one step later.
 *
 * Matching (docs/session-format.md, "Patterns"): expected lines are taken
 * in order; "{{...}}" takes any number of lines up to the first one that
 * matches the expected line after it, or the rest of the reply when it
 * comes last.
 */
#include "replay.h"

#include "shell.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* read_all - a whole file, at most SESSFILE_FILE_MAX bytes. */
static char *read_all(const char *path, size_t *len_r, const char **error_r)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		*error_r = strerror(errno);
		return NULL;
	}
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	while (buf != NULL) {
		len += fread(buf + len, 1, cap - len, f);
		if (len < cap || cap > SESSFILE_FILE_MAX)
			break;
		char *grown = realloc(buf, cap * 2);
		if (grown == NULL)
			free(buf);
		buf = grown;
		cap *= 2;
	}
	bool failed = ferror(f) != 0;
	fclose(f);
	*error_r = buf == NULL ? "out of memory" : failed ? "read error"
					       : "larger than a session file may be";
	if (buf == NULL || failed || len > SESSFILE_FILE_MAX) {
		free(buf);
		return NULL;
	}
	*len_r = len;
	return buf;
}

int replay_load(const struct shell_opts *o, const char *path,
		struct sessfile *sf)
{
	const char *error;
	size_t len;
	char *text = read_all(path, &len, &error), err[512];
	if (text == NULL) {
		fprintf(stderr, "mailsh: %s: %s\n", path, error);
		return -1;
	}
	int r = sessfile_parse(text, len, path, sf, err, sizeof(err));
	free(text);
	if (r < 0) {
		fprintf(stderr, "mailsh: %s\n", err);
		return -1;
	}
	for (int i = 0; i < o->nsecrets; i++) {
		char name[64];
		const char *eq = strchr(o->secrets[i], '=');
		if (eq == NULL || eq == o->secrets[i] ||
		    (size_t)(eq - o->secrets[i]) >= sizeof(name)) {
			fprintf(stderr, "mailsh: --secret %s: expected NAME=VALUE\n",
				o->secrets[i]);
			sessfile_free(sf);
			return -1;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(eq - o->secrets[i]),
			 o->secrets[i]);
		if (sessfile_set_secret(sf, name, eq + 1, &error) < 0) {
			fprintf(stderr, "mailsh: --secret %s: %s\n", name, error);
			sessfile_free(sf);
			return -1;
		}
	}
	return 0;
}

/* ---- the dialogue, from the client side ------------------------------- */

void replay_track_init(struct replay_track *rt, enum track_proto proto,
		       bool tls)
{
	memset(rt, 0, sizeof(*rt));
	track_init(&rt->t, proto, tls);
}

/* literal_line - a line inside a literal or BDAT chunk (RFC 9051 §4.3).
 * It counts with its CRLF, except the literal's last line when the octet
 * count ends right after its text: a literal always ends a line in a
 * session file, and what follows it (the rest of an IMAP command) is the
 * next line.  A line that runs past the literal carries that rest. */
static void literal_line(struct replay_track *rt, const char *line)
{
	size_t len = strlen(line);
	if (len + 2 < rt->literal_left) {
		rt->literal_left -= len + 2;
		return;
	}
	size_t used = len == rt->literal_left ? len + 2 : rt->literal_left;
	rt->literal_left = 0;
	track_literal_sent(&rt->t);
	if (used < len + 2 && rt->t.input == TRACK_INPUT_REST)
		replay_track_client(rt, line + (used < len ? used : len));
}

bool replay_literal_ends(const struct replay_track *rt, const char *line)
{
	return rt->t.input == TRACK_INPUT_LITERAL &&
	       strlen(line) == rt->literal_left;
}

void replay_track_client(struct replay_track *rt, const char *line)
{
	struct track *t = &rt->t;
	if (t->input == TRACK_INPUT_LITERAL) {
		literal_line(rt, line);
		return;
	}
	struct track_send *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return;
	if (t->input == TRACK_INPUT_DATA) {
		/* message text goes unseen; the lone "." ends it
		 * (RFC 5321 §4.1.1.4) */
		if (strcmp(line, ".") == 0) {
			s->raw = true;
			track_sent(t, s);
		}
	} else {
		track_prepare(t, line, s);
		track_sent(t, s);
		rt->literal = s->literal;
		if (s->literal > 0 && t->input == TRACK_INPUT_LITERAL)
			rt->literal_left = s->literal; /* {n+} or BDAT: at once */
	}
	track_clear_notes(t);
	free(s);
}

enum track_reply replay_track_server(struct replay_track *rt, const char *line)
{
	enum track_reply r = track_reply_line(&rt->t, line);
	if (r == TRACK_GO_ON && rt->t.input == TRACK_INPUT_LITERAL)
		rt->literal_left = rt->literal; /* "+" after {n}: send it now */
	track_clear_notes(&rt->t);
	return r;
}

struct sessfile_ctx replay_ctx(const struct replay_track *rt)
{
	return (struct sessfile_ctx){
		.apop_stamp = rt->t.apop_stamp[0] ? rt->t.apop_stamp : NULL,
		.challenge = rt->t.challenge,
	};
}

/* ---- matching the lines of one reply ------------------------------------ */

void replay_match_init(struct replay_match *m, const struct sessfile_step *st)
{
	m->expected = st->server;
	m->n = st->nserver;
	m->pos = 0;
}

static bool any_at(const struct replay_match *m, size_t i)
{
	return i < m->n && sessfile_is_any_lines(m->expected[i]);
}

/* skip_runs - two {{...}} in a row mean what one means. */
static void skip_runs(struct replay_match *m)
{
	while (any_at(m, m->pos) && any_at(m, m->pos + 1))
		m->pos++;
}

bool replay_match_line(struct replay_match *m, const char *actual)
{
	skip_runs(m);
	if (m->pos >= m->n)
		return false;
	if (any_at(m, m->pos)) {
		if (m->pos + 1 < m->n &&
		    sessfile_match(m->expected[m->pos + 1], actual))
			m->pos += 2;
		return true;
	}
	if (!sessfile_match(m->expected[m->pos], actual))
		return false;
	m->pos++;
	return true;
}

bool replay_match_complete(struct replay_match *m)
{
	skip_runs(m);
	return m->pos == m->n || (m->pos + 1 == m->n && any_at(m, m->pos));
}

const char *replay_match_next(const struct replay_match *m)
{
	if (m->pos >= m->n)
		return NULL;
	if (any_at(m, m->pos))
		return m->pos + 1 < m->n ? m->expected[m->pos + 1] : NULL;
	return m->expected[m->pos];
}

void replay_print_line(char marker, const char *text)
{
	printf("%c:%s%s\n", marker, text[0] ? " " : "", text);
}

const char *replay_state_before(const struct sessfile *sf, size_t i)
{
	const char *state = NULL;
	for (size_t k = 0; k < i && k < sf->nsteps; k++)
		if (sf->steps[k].state != NULL)
			state = sf->steps[k].state;
	return state;
}
