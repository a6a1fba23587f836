/*
 * history.c - readline history, kept per protocol: the POP3 lines a
 * learner typed last week come back in a POP3 session, not in an IMAP one.
 *
 * Files: DIR/history-pop3, -smtp, -imap, where DIR is --history-dir, or
 * $XDG_STATE_HOME/mailsh, or ~/.local/state/mailsh (the XDG base
 * directory rule for state).  Lines that carry a password or a SASL
 * answer are never written: a history file is read by whoever can read
 * the home directory.
 */
#include "shell.h"

#include <readline/history.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Lines kept per protocol. */
#define HISTORY_LINES_MAX 1000

/* history_path - the file for the loaded protocol; false if none. */
static bool history_path(const struct shell *sh, int proto, char *out,
			 size_t size)
{
	const char *dir = sh->opts.history_dir;
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char base[3072];
	if (dir != NULL)
		snprintf(base, sizeof(base), "%s", dir);
	else if (state != NULL && state[0] == '/')
		snprintf(base, sizeof(base), "%s/mailsh", state);
	else if (home != NULL)
		snprintf(base, sizeof(base), "%s/.local/state/mailsh", home);
	else
		return false;
	/* create each missing component; failures show up when writing */
	for (char *p = strchr(base + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		(void)mkdir(base, 0700);
		*p = '/';
	}
	(void)mkdir(base, 0700);
	snprintf(out, size, "%s/history-%s", base,
		 track_proto_name((enum track_proto)proto));
	return true;
}

void history_open(struct shell *sh)
{
	char path[4096];
	int proto = (int)sh->url.proto;
	if (!sh->interactive || sh->opts.no_history || sh->history_proto == proto)
		return;
	history_close(sh);
	clear_history();
	stifle_history(HISTORY_LINES_MAX);
	sh->history_proto = proto;
	if (history_path(sh, proto, path, sizeof(path)))
		(void)read_history(path); /* a first session has none */
}

void history_close(struct shell *sh)
{
	char path[4096];
	if (sh->history_proto < 0)
		return;
	if (history_path(sh, sh->history_proto, path, sizeof(path)) &&
	    write_history(path) != 0)
		out_warn(sh, "could not write the history to %s", path);
}

void history_add(struct shell *sh, const char *line, bool secret)
{
	if (!sh->interactive || line[0] == '\0')
		return;
	/* secrets stay out of the file, but the learner may still want to
	 * edit the line they just typed: it is not kept at all */
	if (!secret)
		add_history(line);
}
