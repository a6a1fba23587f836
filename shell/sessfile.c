/*
 * sessfile.c - the session-file parser and the server-line matcher (see
 * sessfile.h and docs/session-format.md).
 *
 * Parsing is one pass over the lines with two states: the header (up to
 * the first empty line) and the steps.  Every line in the steps starts
 * with a one-character marker; anything else is an error that names the
 * line, because a session file is also a handout and a silent mistake in
 * it would teach the wrong thing.
 *
 * Matching compiles nothing: a pattern is walked as a list of tokens
 * (literal characters, {{*}}, {{n}}, {{word}}) while the set of positions
 * of the actual line that the tokens so far can reach is kept in an array.
 * That is linear in (pattern x line) with no backtracking, so no pattern
 * can make the matcher slow.
 */
#include "sessfile.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Everything the parser carries from line to line. */
struct parse {
	const char *name;
	unsigned lineno;
	bool in_header;
	double pending_delay;
	struct sessfile *sf;
	char *err;
	size_t err_size;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct parse *p, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->err_size, "%s:%u: %s", p->name, p->lineno, why);
	return -1;
}

/* push - append a copy of @s to a growable array of strings. */
static int push(char ***arr, size_t *n, const char *s)
{
	char **grown = realloc(*arr, (*n + 1) * sizeof(**arr));
	if (grown == NULL)
		return -1;
	*arr = grown;
	if ((grown[*n] = strdup(s)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

static struct sessfile_step *new_step(struct sessfile *sf, const char *client,
				      unsigned lineno)
{
	if (sf->nsteps >= SESSFILE_STEPS_MAX)
		return NULL;
	struct sessfile_step *grown =
		realloc(sf->steps, (sf->nsteps + 1) * sizeof(*grown));
	if (grown == NULL)
		return NULL;
	sf->steps = grown;
	struct sessfile_step *st = &grown[sf->nsteps];
	memset(st, 0, sizeof(*st));
	if (client != NULL && (st->client = strdup(client)) == NULL)
		return NULL;
	st->client_line = lineno;
	sf->nsteps++;
	return st;
}

static bool one_of(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return true;
	return false;
}

static int set_once(struct parse *p, char **field, const char *name,
		    const char *value)
{
	if (*field != NULL)
		return fail(p, "header \"%s\" given twice", name);
	*field = strdup(value);
	return *field ? 0 : fail(p, "out of memory");
}

/* header_line - "name: value", or "secret NAME: value". */
static int header_line(struct parse *p, char *line)
{
	static const char *const protocols[] = { "pop3", "smtp", "imap", NULL };
	static const char *const modes[] = { "plain", "starttls", "tls", NULL };
	struct sessfile *sf = p->sf;
	char *colon = strstr(line, ": ");
	if (colon == NULL)
		return fail(p, "expected a header line \"name: value\" (or an "
			    "empty line before the steps)");
	*colon = '\0';
	const char *value = colon + 2;
	if (strcmp(line, "protocol") == 0) {
		if (!one_of(value, protocols))
			return fail(p, "protocol must be pop3, smtp or imap");
		return set_once(p, &sf->protocol, line, value);
	}
	if (strcmp(line, "tls") == 0) {
		if (!one_of(value, modes))
			return fail(p, "tls must be plain, starttls or tls");
		return set_once(p, &sf->tls, line, value);
	}
	if (strcmp(line, "server") == 0)
		return set_once(p, &sf->server, line, value);
	if (strcmp(line, "title") == 0)
		return set_once(p, &sf->title, line, value);
	if (strncmp(line, "secret ", 7) == 0 && line[7] != '\0') {
		if (sf->nsecrets == SESSFILE_SECRETS_MAX)
			return fail(p, "too many secrets (at most %d)",
				    SESSFILE_SECRETS_MAX);
		struct sessfile_secret *s = &sf->secrets[sf->nsecrets++];
		s->name = strdup(line + 7);
		s->value = strdup(value);
		return s->name && s->value ? 0 : fail(p, "out of memory");
	}
	return fail(p, "unknown header \"%s\" (expected protocol, server, tls, "
		    "title or secret NAME)", line);
}

/* text_after - the text after a marker: "X:" alone is an empty line,
 * "X: text" is text; NULL if the marker is not followed by space or end. */
static const char *text_after(const char *line, size_t marker_len)
{
	const char *rest = line + marker_len;
	if (*rest == '\0')
		return rest;
	return *rest == ' ' ? rest + 1 : NULL;
}

static int delay_line(struct parse *p, const char *text)
{
	char *end;
	double d = strtod(text, &end);
	if (end == text || *end != '\0' || !(d >= 0 && d <= 3600))
		return fail(p, "expected \"@ SECONDS\" with 0 <= SECONDS <= 3600");
	p->pending_delay = d;
	return 0;
}

/* step_line - one line after the header, dispatched on its marker. */
static int step_line(struct parse *p, const char *line)
{
	struct sessfile *sf = p->sf;
	struct sessfile_step *st = &sf->steps[sf->nsteps - 1];
	const char *t;
	if (line[0] == '\0' || line[0] == '#')
		return 0;
	if (strncmp(line, "C:", 2) == 0 && (t = text_after(line, 2)) != NULL) {
		st = new_step(sf, t, p->lineno);
		if (st == NULL)
			return fail(p, "too many steps or out of memory");
		st->delay_s = p->pending_delay;
		p->pending_delay = 0;
		return 0;
	}
	if (strncmp(line, "S:", 2) == 0 && (t = text_after(line, 2)) != NULL)
		return push(&st->server, &st->nserver, t) < 0
			       ? fail(p, "out of memory") : 0;
	if (line[0] == '>' && (t = text_after(line, 1)) != NULL)
		return push(&st->notes, &st->nnotes, t) < 0
			       ? fail(p, "out of memory") : 0;
	if (strncmp(line, "= ", 2) == 0 && line[2] != '\0') {
		if (st->state != NULL)
			return fail(p, "a second state marker in one step");
		st->state = strdup(line + 2);
		return st->state ? 0 : fail(p, "out of memory");
	}
	if (strcmp(line, "~ TLS") == 0) {
		st->tls_after = true;
		return 0;
	}
	if (strncmp(line, "@ ", 2) == 0)
		return delay_line(p, line + 2);
	return fail(p, "expected \"C:\", \"S:\", \">\", \"=\", \"~ TLS\", \"@\" "
		    "or \"#\" at the start of the line");
}

static int first_line(struct parse *p, const char *line)
{
	int version;
	char extra;
	if (sscanf(line, "maillab-session %d%c", &version, &extra) != 1)
		return fail(p, "expected \"maillab-session %d\" on the first "
			    "line", SESSFILE_VERSION);
	if (version != SESSFILE_VERSION)
		return fail(p, "format version %d is not supported (this "
			    "mailsh reads version %d)", version,
			    SESSFILE_VERSION);
	return 0;
}

/* one_line - route a line to the part of the file it belongs to. */
static int one_line(struct parse *p, char *line)
{
	if (p->lineno == 1)
		return first_line(p, line);
	if (p->in_header) {
		if (line[0] == '#')
			return 0; /* a comment for the editor, in the header too */
		if (line[0] != '\0')
			return header_line(p, line);
		p->in_header = false;
		if (p->sf->protocol == NULL)
			return fail(p, "the header has no \"protocol:\" line");
		return new_step(p->sf, NULL, p->lineno) ? 0
			: fail(p, "out of memory");
	}
	return step_line(p, line);
}

int sessfile_parse(const char *text, size_t len, const char *name,
		   struct sessfile *out, char *err, size_t err_size)
{
	struct parse p = { name, 0, true, 0, out, err, err_size };
	memset(out, 0, sizeof(*out));
	char line[SESSFILE_LINE_MAX + 1];
	size_t pos = 0;
	int r = 0;
	while (r == 0 && pos < len) {
		p.lineno++;
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = (nl ? (size_t)(nl - text) : len) - pos;
		if (n > 0 && text[pos + n - 1] == '\r')
			n--;
		if (n > SESSFILE_LINE_MAX)
			r = fail(&p, "line longer than %d characters",
				 SESSFILE_LINE_MAX);
		else if (memchr(text + pos, '\0', n) != NULL)
			r = fail(&p, "NUL byte in the line");
		else {
			memcpy(line, text + pos, n);
			line[n] = '\0';
			r = one_line(&p, line);
		}
		pos = nl ? (size_t)(nl - text) + 1 : len;
	}
	if (r == 0 && p.lineno == 0)
		r = fail(&p, "empty file");
	else if (r == 0 && p.in_header)
		r = fail(&p, "the file ends inside the header (no steps)");
	if (r < 0)
		sessfile_free(out);
	return r;
}

static void free_strings(char **arr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(arr[i]);
	free(arr);
}

void sessfile_free(struct sessfile *sf)
{
	for (size_t i = 0; i < sf->nsteps; i++) {
		struct sessfile_step *st = &sf->steps[i];
		free(st->client);
		free_strings(st->server, st->nserver);
		free_strings(st->notes, st->nnotes);
		free(st->state);
	}
	free(sf->steps);
	for (size_t i = 0; i < sf->nsecrets; i++) {
		free(sf->secrets[i].name);
		free(sf->secrets[i].value);
	}
	free(sf->title);
	free(sf->protocol);
	free(sf->server);
	free(sf->tls);
	memset(sf, 0, sizeof(*sf));
}

const char *sessfile_secret(const struct sessfile *sf, const char *name)
{
	for (size_t i = 0; i < sf->nsecrets; i++)
		if (strcmp(sf->secrets[i].name, name) == 0)
			return sf->secrets[i].value;
	return NULL;
}

bool sessfile_escape(const char *text, size_t len, char *out, size_t size)
{
	/* room for the text, and for "{{*}}" if it has to be cut */
	size_t limit = size < SESSFILE_TEXT_MAX + 1 ? size : SESSFILE_TEXT_MAX + 1;
	size_t o = 0, i = 0;
	for (; i < len && text[i] != '\0'; i++) {
		bool brace = text[i] == '{' && i + 1 < len && text[i + 1] == '{';
		size_t need = brace ? 4 : 1;
		if (o + need + sizeof("{{*}}") > limit)
			break;
		memcpy(out + o, brace ? "{{{{" : text + i, need);
		o += need;
		i += brace;
	}
	bool cut = i < len;
	if (cut) { /* what is left is matched by a pattern, not lost silently */
		memcpy(out + o, "{{*}}", 5);
		o += 5;
	}
	out[o] = '\0';
	return cut;
}

bool sessfile_is_any_lines(const char *pattern)
{
	return strcmp(pattern, "{{...}}") == 0;
}

/* ---- matching -------------------------------------------------------- */

enum tok { T_CHAR, T_ANY, T_DIGITS, T_WORD };

/* next_token - the token at @p, its kind, and how long it is. */
static enum tok next_token(const char *p, size_t *len_r)
{
	static const struct { const char *text; enum tok tok; } named[] = {
		{ "{{*}}", T_ANY }, { "{{n}}", T_DIGITS },
		{ "{{word}}", T_WORD }, { "{{{{", T_CHAR },
	};
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		size_t n = strlen(named[i].text);
		if (strncmp(p, named[i].text, n) == 0) {
			*len_r = n;
			return named[i].tok;
		}
	}
	*len_r = 1;
	return T_CHAR;
}

/* in_class - may character @c be consumed by a {{n}} or {{word}}? */
static bool in_class(enum tok t, char c)
{
	return t == T_DIGITS ? isdigit((unsigned char)c) : c != ' ' && c != '\0';
}

/* step - from the reachable positions @cur, those reachable after one
 * more token, into @next (both arrays of len + 1 flags). */
static void step(enum tok t, char lit, const char *a, size_t len,
		 const bool *cur, bool *next)
{
	memset(next, 0, len + 1);
	bool run = false;
	for (size_t j = 0; j <= len; j++) {
		switch (t) {
		case T_CHAR:
			if (cur[j] && j < len && a[j] == lit)
				next[j + 1] = true;
			break;
		case T_ANY:
			run |= cur[j];
			next[j] = run;
			break;
		case T_DIGITS:
		case T_WORD:
			/* one or more class characters after a reachable j */
			if (j > 0) {
				run = (run || cur[j - 1]) && in_class(t, a[j - 1]);
				next[j] = run;
			}
			break;
		}
	}
}

/* trimmed_len - the length of @s without its trailing spaces: they are
 * invisible on paper, editors remove them, and a server that sends "+ "
 * or "+OK " means the same as one that does not. */
static size_t trimmed_len(const char *s)
{
	size_t len = strlen(s);
	while (len > 0 && s[len - 1] == ' ')
		len--;
	return len;
}

bool sessfile_match(const char *pattern, const char *actual)
{
	size_t len = trimmed_len(actual);
	const char *end = pattern + trimmed_len(pattern);
	bool *cur = calloc(len + 1, 1), *next = calloc(len + 1, 1);
	bool ok = false;
	if (cur == NULL || next == NULL)
		goto out;
	cur[0] = true;
	for (const char *p = pattern; p < end;) {
		size_t n;
		enum tok t = next_token(p, &n);
		char lit = n == 4 && t == T_CHAR ? '{' : *p;
		step(t, lit, actual, len, cur, next);
		if (n == 4 && t == T_CHAR) /* "{{{{" is a literal "{{" */
			step(T_CHAR, '{', actual, len, next, cur);
		else {
			bool *swap = cur;
			cur = next;
			next = swap;
		}
		p += n;
	}
	ok = cur[len];
out:
	free(cur);
	free(next);
	return ok;
}
