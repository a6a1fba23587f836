/*
 * complete.c - what Tab offers, from what mailsh knows right now:
 *
 *   first word      the commands valid in the current state (from the
 *                   protocol table), or the local ':' commands
 *   after a tag     IMAP: the commands again (the tag is the learner's)
 *   AUTH, AUTHENTICATE   the SASL mechanisms the server announced
 *   RETR, DELE, TOP, LIST, UIDL, FETCH, STORE, COPY, MOVE
 *                   message numbers up to STAT's count or EXISTS
 *   SELECT, EXAMINE, STATUS, ...   mailbox names from the last LIST
 *   MAIL, RCPT      "FROM:<" and "TO:<"
 *
 * The result uses readline's convention (a NULL-terminated array whose
 * first entry is the common prefix), but nothing here calls readline, so
 * the unit tests can call it with a line and a cursor position.
 */
#include "shell.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Message numbers offered at most (a larger mailbox is typed by hand). */
#define COMPLETE_NUMBERS_MAX 999

struct matches {
	char **v;
	size_t n, cap;
	const char *prefix;
};

static void offer(struct matches *m, const char *word)
{
	size_t plen = strlen(m->prefix);
	if (strncasecmp(word, m->prefix, plen) != 0)
		return;
	for (size_t i = 1; i <= m->n; i++)
		if (strcmp(m->v[i], word) == 0)
			return;
	if (m->n + 3 > m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 16;
		char **v = realloc(m->v, cap * sizeof(*v));
		if (v == NULL)
			return;
		m->v = v;
		m->cap = cap;
	}
	m->v[++m->n] = strdup(word);
	m->v[m->n + 1] = NULL;
}

/* finish - put the longest common prefix in front (readline's format). */
static char **finish(struct matches *m)
{
	if (m->n == 0) {
		free(m->v);
		return NULL;
	}
	size_t lcp = strlen(m->v[1]);
	for (size_t i = 2; i <= m->n; i++) {
		size_t k = 0;
		while (k < lcp && m->v[i][k] == m->v[1][k])
			k++;
		lcp = k;
	}
	if (m->n == 1) {
		m->v[0] = m->v[1];
		m->v[1] = NULL;
	} else {
		m->v[0] = strndup(m->v[1], lcp < strlen(m->prefix) ?
					   strlen(m->prefix) : lcp);
		if (lcp < strlen(m->prefix))
			memcpy(m->v[0], m->prefix, strlen(m->prefix));
	}
	return m->v;
}

/* commands - the protocol's commands valid now (all, when disconnected);
 * with @p uid only the "UID x" ones, as their second word. */
static void commands(const struct shell *sh, struct matches *m, bool uid)
{
	const struct track *t = &sh->track;
	for (int i = 0; i < track_cmd_count(t->proto); i++) {
		const struct track_cmd *c = track_cmd_at(t->proto, i);
		if (sh->conn != NULL && !(c->states & (1u << t->state)))
			continue;
		bool is_uid = strncmp(c->name, "UID ", 4) == 0;
		if (uid && is_uid)
			offer(m, c->name + 4);
		else if (!uid && !is_uid)
			offer(m, c->name);
	}
	if (!uid && t->proto == TRACK_IMAP)
		offer(m, "UID");
}

static void numbers(const struct shell *sh, struct matches *m)
{
	char n[24];
	long max = sh->track.messages;
	for (long i = 1; i <= max && i <= COMPLETE_NUMBERS_MAX; i++) {
		snprintf(n, sizeof(n), "%ld", i);
		offer(m, n);
	}
}

static void mailboxes(const struct shell *sh, struct matches *m)
{
	char quoted[SHELL_MAILBOX_LEN + 3];
	for (int i = 0; i < sh->track.nmailboxes; i++) {
		const char *name = sh->track.mailboxes[i];
		/* RFC 9051 §4.3: a name with spaces must be quoted */
		if (strpbrk(name, " \"\\(){%*") != NULL) {
			snprintf(quoted, sizeof(quoted), "\"%s\"", name);
			offer(m, quoted);
		} else {
			offer(m, name);
		}
	}
}

static void mechs(const struct shell *sh, struct matches *m)
{
	for (int i = 0; i < sh->track.nmechs; i++)
		offer(m, sh->track.mechs[i]);
}

static bool is(const char *word, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcasecmp(word, *set) == 0)
			return true;
	return false;
}

/* argument - completions for argument number @p argn of @p cmd. */
static void argument(const struct shell *sh, struct matches *m,
		     const char *cmd, int argn)
{
	static const char *const numbered[] = {
		"RETR", "DELE", "TOP", "LIST", "UIDL", "FETCH", "STORE", "COPY",
		"MOVE", NULL,
	};
	static const char *const named[] = {
		"SELECT", "EXAMINE", "STATUS", "DELETE", "RENAME", "SUBSCRIBE",
		"UNSUBSCRIBE", "APPEND", NULL,
	};
	static const char *const target[] = { "COPY", "MOVE", NULL };
	enum track_proto p = sh->track.proto;
	bool imap_list = p == TRACK_IMAP && strcasecmp(cmd, "LIST") == 0;
	if (argn == 1 && (strcasecmp(cmd, "AUTH") == 0 ||
			  strcasecmp(cmd, "AUTHENTICATE") == 0))
		mechs(sh, m);
	else if (argn == 1 && is(cmd, numbered) && !imap_list)
		numbers(sh, m);
	else if (p == TRACK_IMAP && ((argn == 1 && is(cmd, named)) ||
				     (argn == 2 && is(cmd, target))))
		mailboxes(sh, m);
	else if (p == TRACK_SMTP && argn == 1 && strcasecmp(cmd, "MAIL") == 0)
		offer(m, "FROM:<");
	else if (p == TRACK_SMTP && argn == 1 && strcasecmp(cmd, "RCPT") == 0)
		offer(m, "TO:<");
}

static void meta(const struct shell *sh, struct matches *m, char **w, int nw)
{
	static const char *const urls[] = {
		"pop3://", "pop3s://", "imap://", "imaps://", "smtp://",
		"smtps://", NULL,
	};
	(void)sh;
	if (nw == 0 || (nw == 1 && strcasecmp(w[0], ":help") == 0)) {
		for (const struct meta_cmd *c = meta_cmds; c->name; c++)
			offer(m, c->name);
	} else if (nw == 1 && strcasecmp(w[0], ":connect") == 0) {
		for (int i = 0; urls[i]; i++)
			offer(m, urls[i]);
	} else if (nw == 1 && (strcasecmp(w[0], ":warnings") == 0 ||
			       strcasecmp(w[0], ":explain-replies") == 0)) {
		offer(m, "on");
		offer(m, "off");
	}
}

/* is_command - true if @p word names a command of the protocol. */
static bool is_command(const struct shell *sh, const char *word)
{
	return strcasecmp(word, "UID") == 0 ||
	       track_cmd_find(sh->track.proto, word, strlen(word)) >= 0;
}

char **complete_words(const struct shell *sh, const char *buffer, int start,
		      const char *text)
{
	struct matches m = { .prefix = text };
	char before[SHELL_INPUT_MAX], *w[16], *save = NULL;
	int nw = 0;
	snprintf(before, sizeof(before), "%.*s", start, buffer);
	for (char *p = strtok_r(before, " ", &save); p && nw < 16;
	     p = strtok_r(NULL, " ", &save))
		w[nw++] = p;
	enum track_input input = sh->conn ? sh->track.input : TRACK_INPUT_COMMAND;
	if ((nw > 0 && w[0][0] == ':') || (nw == 0 && text[0] == ':')) {
		meta(sh, &m, w, nw);
		return finish(&m);
	}
	if (input != TRACK_INPUT_COMMAND || !sh->have_url)
		return finish(&m);
	/* IMAP: a first word that is not a command is the learner's tag */
	int first = sh->track.proto == TRACK_IMAP && nw > 0 &&
		    !is_command(sh, w[0]);
	int argn = nw - first;
	if (argn == 0)
		commands(sh, &m, false);
	else if (argn == 1 && strcasecmp(w[first], "UID") == 0)
		commands(sh, &m, true);
	else if (strcasecmp(w[first], "UID") == 0)
		argument(sh, &m, w[first + 1], argn - 1);
	else
		argument(sh, &m, w[first], argn);
	return finish(&m);
}
