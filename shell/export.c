/*
 * export.c - a session as a handout (mailsh --export md|html FILE):
 * Markdown for slides and course pages, or one self-contained HTML page
 * (its style inside, nothing fetched from anywhere) that prints well.
 *
 * The dialogue is shown the way the RFCs show theirs, "C:" and "S:"
 * lines, with "= STATE" where the state changes; consecutive steps are
 * one block, and an annotation or the start of TLS ends the block and
 * follows it as text, so each explanation stands right under the lines it
 * explains.  Patterns ({{n}}, {{...}}) and masked secrets stay visible,
 * and a legend at the end says what each one used in the session means.
 */
#include "replay.h"

#include "shell.h"

#include <stdlib.h>
#include <string.h>

/* What the legend explains, in the order it explains it. */
static const struct {
	const char *token;
	const char *meaning;
} legend[] = {
	{ "= ", "the protocol state from here on, as the client follows it" },
	{ "{{n}}", "a number that differs from server to server or from run to "
		   "run (a count, a size, a UID)" },
	{ "{{word}}", "a word that differs (a host name, a queue id, a "
		      "challenge)" },
	{ "{{*}}", "any text, possibly none (a timestamp, a greeting's wording)" },
	{ "{{...}}", "any number of lines (a list whose length varies)" },
	{ "{{secret:", "a secret, masked: the password itself is never written "
		       "down" },
	{ "{{base64:", "a secret in base64, masked" },
	{ "{{plain:", "the AUTH PLAIN answer: base64 of NUL, user, NUL, "
		      "password (RFC 4616), masked" },
	{ "{{cram:", "the CRAM-MD5 answer: user and HMAC-MD5 of the server's "
		     "challenge keyed with the password (RFC 2195), computed "
		     "anew each time" },
	{ "{{apop:", "the APOP digest: MD5 of the greeting's timestamp and the "
		     "password (RFC 1939 section 7), computed anew each time" },
};
#define LEGEND_N (sizeof(legend) / sizeof(legend[0]))

/* One way of writing: Markdown or HTML. */
struct style {
	void (*head)(FILE *f, const struct sessfile *sf, const char *name);
	void (*open)(FILE *f);
	void (*line)(FILE *f, char marker, const char *text);
	void (*close)(FILE *f);
	void (*notes)(FILE *f, char *const *notes, size_t n);
	void (*tls)(FILE *f);
	void (*tail)(FILE *f, const bool *used);
};

/* uses - which legend entries appear in the session. */
static void uses(const struct sessfile *sf, bool *used)
{
	for (size_t i = 0; i < sf->nsteps; i++) {
		const struct sessfile_step *st = &sf->steps[i];
		used[0] |= st->state != NULL;
		for (size_t k = 1; k < LEGEND_N; k++) {
			const char *token = legend[k].token;
			used[k] |= st->client && strstr(st->client, token);
			for (size_t j = 0; j < st->nserver; j++)
				used[k] |= strstr(st->server[j], token) != NULL;
		}
	}
}

static void walk(FILE *f, const struct sessfile *sf, const char *name,
		 const struct style *s)
{
	bool used[LEGEND_N] = { false }, open = false;
	const char *state = NULL;
	uses(sf, used);
	s->head(f, sf, name);
	for (size_t i = 0; i < sf->nsteps; i++) {
		const struct sessfile_step *st = &sf->steps[i];
		if (!open && (st->client != NULL || st->nserver > 0)) {
			s->open(f);
			open = true;
		}
		if (st->client != NULL)
			s->line(f, 'C', st->client);
		for (size_t k = 0; k < st->nserver; k++)
			s->line(f, 'S', st->server[k]);
		if (st->state && (!state || strcmp(state, st->state) != 0)) {
			if (!open)
				s->open(f);
			open = true;
			s->line(f, '=', st->state);
			state = st->state;
		}
		if (open && (st->nnotes > 0 || st->tls_after)) {
			s->close(f);
			open = false;
		}
		if (st->nnotes > 0)
			s->notes(f, st->notes, st->nnotes);
		if (st->tls_after)
			s->tls(f);
	}
	if (open)
		s->close(f);
	s->tail(f, used);
}

/* put_text - line text, with "{{{{" shown as the "{{" it stands for. */
static void put_text(FILE *f, const char *text,
		     void (*put)(FILE *, const char *, size_t))
{
	for (const char *p = text; *p != '\0';) {
		const char *esc = strstr(p, "{{{{");
		size_t n = esc ? (size_t)(esc - p) : strlen(p);
		put(f, p, n);
		if (esc == NULL)
			break;
		put(f, "{{", 2);
		p = esc + 4;
	}
}

/* ---- Markdown -------------------------------------------------------------- */

static void md_raw(FILE *f, const char *s, size_t n)
{
	fwrite(s, 1, n, f);
}

/* a_session - "A POP3", "An SMTP", "An IMAP": the article goes by the
 * sound of the first letter. */
static const char *a_session(const struct sessfile *sf)
{
	return strcmp(sf->protocol, "pop3") == 0 ? "A POP3" :
	       strcmp(sf->protocol, "smtp") == 0 ? "An SMTP" : "An IMAP";
}

static void md_head(FILE *f, const struct sessfile *sf, const char *name)
{
	fprintf(f, "# %s\n\n*%s session", sf->title ? sf->title : name,
		a_session(sf));
	if (sf->server != NULL)
		fprintf(f, " with `%s`", sf->server);
	fprintf(f, ", TLS: %s.  Lines marked C: are sent by the client, S: by "
		"the server.*\n\n", sf->tls ? sf->tls : "plain");
}

/* A fenced code block: every line in it starts with "C:" or "S:", so no
 * line of the dialogue can close the fence early. */
static void md_open(FILE *f)
{
	fprintf(f, "```text\n");
}

static void md_line(FILE *f, char marker, const char *text)
{
	if (marker == '=') {
		fprintf(f, "= %s\n", text);
		return;
	}
	fprintf(f, "%c:%s", marker, text[0] ? " " : "");
	put_text(f, text, md_raw);
	fputc('\n', f);
}

static void md_close(FILE *f)
{
	fprintf(f, "```\n\n");
}

static void md_notes(FILE *f, char *const *notes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n", notes[i]);
	fputc('\n', f);
}

static void md_tls(FILE *f)
{
	fprintf(f, "*TLS handshake here: from now on everything on the wire is "
		"encrypted.*\n\n");
}

static void md_tail(FILE *f, const bool *used)
{
	bool any = false;
	for (size_t k = 0; k < LEGEND_N; k++) {
		if (!used[k])
			continue;
		if (!any)
			fprintf(f, "---\n\nIn the lines above:\n\n");
		any = true;
		fprintf(f, "- `%s%s` %s\n", k == 0 ? "= STATE" : legend[k].token,
			legend[k].token[strlen(legend[k].token) - 1] == ':'
				? "...}}" : "", legend[k].meaning);
	}
}

static const struct style markdown = {
	md_head, md_open, md_line, md_close, md_notes, md_tls, md_tail,
};

/* ---- HTML -------------------------------------------------------------------- */

static void html_raw(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(s[i], f);
		}
	}
}

static void html_text(FILE *f, const char *s)
{
	html_raw(f, s, strlen(s));
}

static const char html_css[] =
	"body{font-family:Georgia,serif;max-width:48em;margin:2em auto;"
	"padding:0 1em;color:#222;line-height:1.45}"
	"h1{font-size:1.5em}"
	".meta{color:#555;font-style:italic}"
	"pre{background:#f6f6f2;border-left:4px solid #bbb;padding:.6em 1em;"
	"overflow-x:auto;font-size:.9em;line-height:1.3}"
	".c{font-weight:bold;color:#003a80}.s{color:#1d4d1d}"
	".pat{background:#ffe9a8;border-radius:3px}"
	".note{margin:.5em 0 1.2em 1em}"
	".st{color:#6a2c70;font-style:italic}"
	".tls{border:1px dashed #a33;color:#a33;padding:.3em .6em}"
	"@media print{pre{border-left:2px solid #888;background:none}"
	".pat{background:none;text-decoration:underline}}";

static void html_head(FILE *f, const struct sessfile *sf, const char *name)
{
	const char *title = sf->title ? sf->title : name;
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
		"charset=\"utf-8\">\n<title>");
	html_text(f, title);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", html_css);
	html_text(f, title);
	fprintf(f, "</h1>\n<p class=\"meta\">%s session", a_session(sf));
	if (sf->server != NULL) {
		fprintf(f, " with <code>");
		html_text(f, sf->server);
		fprintf(f, "</code>");
	}
	fprintf(f, ", TLS: %s.  Lines marked C: are sent by the client, S: by "
		"the server.</p>\n", sf->tls ? sf->tls : "plain");
}

static void html_open(FILE *f)
{
	fprintf(f, "<pre>");
}

/* html_line - one line, its patterns and placeholders marked. */
static void html_line(FILE *f, char marker, const char *text)
{
	if (marker == '=') {
		fprintf(f, "<span class=\"st\">= ");
		html_text(f, text);
		fprintf(f, "</span>\n");
		return;
	}
	fprintf(f, "<span class=\"%c\">%c:%s", marker == 'C' ? 'c' : 's', marker,
		text[0] ? " " : "");
	for (const char *p = text; *p != '\0';) {
		const char *open = strstr(p, "{{");
		const char *close = open ? strstr(open + 2, "}}") : NULL;
		if (open == NULL || close == NULL) {
			put_text(f, p, html_raw);
			break;
		}
		html_raw(f, p, (size_t)(open - p));
		if (strncmp(open, "{{{{", 4) == 0) {
			html_raw(f, "{{", 2);
			p = open + 4;
			continue;
		}
		fprintf(f, "<span class=\"pat\">");
		html_raw(f, open, (size_t)(close + 2 - open));
		fprintf(f, "</span>");
		p = close + 2;
	}
	fprintf(f, "</span>\n");
}

static void html_close(FILE *f)
{
	fprintf(f, "</pre>\n");
}

static void html_notes(FILE *f, char *const *notes, size_t n)
{
	bool para = false;
	fprintf(f, "<div class=\"note\">\n");
	for (size_t i = 0; i < n; i++) {
		if (notes[i][0] == '\0') { /* an empty "> " line: a new paragraph */
			if (para)
				fprintf(f, "</p>\n");
			para = false;
			continue;
		}
		fprintf(f, para ? "\n" : "<p>");
		para = true;
		html_text(f, notes[i]);
	}
	fprintf(f, "%s</div>\n", para ? "</p>\n" : "");
}

static void html_tls(FILE *f)
{
	fprintf(f, "<p class=\"tls\">TLS handshake here: from now on everything "
		"on the wire is encrypted.</p>\n");
}

static void html_tail(FILE *f, const bool *used)
{
	bool any = false;
	for (size_t k = 0; k < LEGEND_N; k++) {
		if (!used[k])
			continue;
		if (!any)
			fprintf(f, "<hr>\n<p>In the lines above:</p>\n<dl>\n");
		any = true;
		fprintf(f, "<dt><code>%s%s</code></dt><dd>%s</dd>\n",
			k == 0 ? "= STATE" : legend[k].token,
			legend[k].token[strlen(legend[k].token) - 1] == ':'
				? "...}}" : "", legend[k].meaning);
	}
	fprintf(f, "%s</body>\n</html>\n", any ? "</dl>\n" : "");
}

static const struct style html = {
	html_head, html_open, html_line, html_close, html_notes, html_tls,
	html_tail,
};

/* ---- the command -------------------------------------------------------------- */

int export_write(FILE *f, const struct sessfile *sf, const char *name,
		 const char *format)
{
	if (strcmp(format, "md") == 0 || strcmp(format, "markdown") == 0)
		walk(f, sf, name, &markdown);
	else if (strcmp(format, "html") == 0)
		walk(f, sf, name, &html);
	else
		return -1;
	return 0;
}

int export_session(const struct shell_opts *o)
{
	struct sessfile sf;
	if (strcmp(o->export_format, "md") != 0 &&
	    strcmp(o->export_format, "markdown") != 0 &&
	    strcmp(o->export_format, "html") != 0) {
		fprintf(stderr, "mailsh: --export md or --export html\n");
		return REPLAY_USAGE;
	}
	if (replay_load(o, o->export_file, &sf) < 0)
		return REPLAY_USAGE;
	export_write(stdout, &sf, o->export_file, o->export_format);
	sessfile_free(&sf);
	return fflush(stdout) == 0 ? REPLAY_OK : REPLAY_DIVERGED;
}
