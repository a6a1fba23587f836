/*
 * out.c - everything mailsh prints goes through here, so the look is the
 * same everywhere and colour is decided in one place.
 *
 * Colour only on a terminal and never when NO_COLOR is set (no-color.org);
 * main.c decides, these functions obey sh->colour.  In batch mode lines
 * carry "C: " (sent) and "S: " (received) so a transcript reads like the
 * dialogues in the RFCs; interactively the server's lines stand alone and
 * a sent line is shown only when mailsh changed it (a tag, dot-stuffing).
 */
#include "shell.h"

#include "explain.h"

#include <stdarg.h>
#include <string.h>

const char *out_colour(const struct shell *sh, const char *role)
{
	static const struct {
		const char *role;
		const char *sgr;
	} roles[] = {
		{ "ok", "\033[32m" },   { "err", "\033[31m" },
		{ "dim", "\033[2m" },   { "warn", "\033[33m" },
		{ "state", "\033[36m" }, { "bold", "\033[1m" },
		{ "reset", "\033[0m" },
	};
	if (!sh->colour)
		return "";
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(roles[i].role, role) == 0)
			return roles[i].sgr;
	return "";
}

/* line_role - the colour of a server line, from what the tracker made of it. */
static const char *line_role(const struct track *t)
{
	switch (t->line_kind) {
	case TRACK_LINE_STATUS:
		return t->outcome == TRACK_FAILED ? "err" : "ok";
	case TRACK_LINE_CONT:
		return "warn";
	default:
		return "";
	}
}

void out_server(struct shell *sh, const char *line)
{
	const struct track *t = &sh->track;
	const char *role = line_role(t);
	fprintf(sh->out, "%s%s%s%s\n", sh->interactive ? "" : "S: ",
		out_colour(sh, role), line, role[0] ? out_colour(sh, "reset") : "");
	if (!sh->explain)
		return;
	char text[1024];
	explain_line(t->proto, t->line_kind, line, text, sizeof(text));
	if (text[0] != '\0')
		fprintf(sh->out, "%s   = %s%s\n", out_colour(sh, "dim"), text,
			out_colour(sh, "reset"));
}

void out_sent(struct shell *sh, const char *line, bool changed)
{
	if (!sh->interactive)
		fprintf(sh->out, "C: %s\n", line);
	else if (changed)
		fprintf(sh->out, "%sC: %s%s\n", out_colour(sh, "dim"), line,
			out_colour(sh, "reset"));
}

void out_notes(struct shell *sh)
{
	struct track *t = &sh->track;
	for (int i = 0; i < t->nnotes; i++) {
		const struct track_note *n = &t->notes[i];
		if (n->kind == TRACK_NOTE_STATE)
			fprintf(sh->out, "%s%s %s%s\n", out_colour(sh, "state"),
				track_proto_name(t->proto), n->text,
				out_colour(sh, "reset"));
		else if (n->kind == TRACK_NOTE_WARN && sh->warnings)
			fprintf(sh->out, "%swarning: %s%s\n",
				out_colour(sh, "warn"), n->text,
				out_colour(sh, "reset"));
		else if (n->kind == TRACK_NOTE_INFO)
			fprintf(sh->out, "-- %s\n", n->text);
	}
	if (t->notes_lost)
		fprintf(sh->out, "-- (more notes were dropped)\n");
	track_clear_notes(t);
}

static void vout(struct shell *sh, const char *prefix, const char *role,
		 const char *fmt, va_list ap)
{
	fprintf(sh->out, "%s%s", out_colour(sh, role), prefix);
	vfprintf(sh->out, fmt, ap);
	fprintf(sh->out, "%s\n", role[0] ? out_colour(sh, "reset") : "");
}

void out_info(struct shell *sh, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vout(sh, "-- ", "", fmt, ap);
	va_end(ap);
}

void out_warn(struct shell *sh, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vout(sh, "warning: ", "warn", fmt, ap);
	va_end(ap);
}

void out_error(struct shell *sh, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vout(sh, "error: ", "err", fmt, ap);
	va_end(ap);
}
