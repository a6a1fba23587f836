/*
 * meta.c - the local commands: a line that starts with ':' is never sent
 * to the server.  One table holds them; dispatch, :help and completion
 * all read it, so a command cannot exist without its help line.
 */
#include "shell.h"

#include "explain.h"
#include "record.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define META_ARGS_MAX 8

static void meta_help(struct shell *sh, int argc, char **argv);

static void meta_connect(struct shell *sh, int argc, char **argv)
{
	struct conn_url url;
	const char *error;
	if (argc != 2) {
		out_error(sh, "usage: :connect URL   (e.g. pop3://localhost:10110)");
		shell_unexpected(sh, "bad :connect");
		return;
	}
	if (conn_parse_url(argv[1], &url, &error) < 0) {
		out_error(sh, "%s", error);
		shell_unexpected(sh, "bad URL");
		return;
	}
	shell_connect(sh, &url);
}

static void meta_reconnect(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (!sh->have_url) {
		out_error(sh, "nothing to reconnect to: use :connect URL");
		return;
	}
	struct conn_url url = sh->url;
	shell_connect(sh, &url);
}

static void meta_disconnect(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (sh->conn == NULL)
		out_info(sh, "not connected");
	shell_disconnect(sh, "closed by you (no QUIT/LOGOUT was sent)");
}

static void meta_starttls(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	shell_starttls(sh);
}

/* list - print a set of strings on one line. */
static void list(struct shell *sh, const char *label, const char (*items)[SHELL_CAP_LEN],
		 int n)
{
	fprintf(sh->out, "  %-13s", label);
	for (int i = 0; i < n; i++)
		fprintf(sh->out, " %s", items[i]);
	fprintf(sh->out, "%s\n", n ? "" : " (none)");
}

static void meta_state(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	const struct track *t = &sh->track;
	char prompt[SHELL_NOTE_LEN];
	if (sh->conn == NULL) {
		out_info(sh, "not connected");
		return;
	}
	track_prompt(t, prompt, sizeof(prompt));
	fprintf(sh->out, "  %-13s %s\n  %-13s %s\n", "state", prompt, "TLS",
		t->tls ? "on" : "off (everything is readable on the path)");
	if (!t->caps_known)
		fprintf(sh->out, "  %-13s not asked yet (%s)\n", "capabilities",
			t->proto == TRACK_POP3 ? "CAPA" :
			t->proto == TRACK_SMTP ? "EHLO" : "CAPABILITY");
	else
		list(sh, "capabilities", (const char (*)[SHELL_CAP_LEN])t->caps,
		     t->ncaps);
	if (t->caps_known)
		list(sh, "SASL", (const char (*)[SHELL_CAP_LEN])t->mechs, t->nmechs);
	if (t->messages >= 0)
		fprintf(sh->out, "  %-13s %ld\n", "messages", t->messages);
	if (t->proto == TRACK_POP3 && t->apop_stamp[0])
		fprintf(sh->out, "  %-13s %s\n", "APOP stamp", t->apop_stamp);
	if (t->proto == TRACK_SMTP)
		fprintf(sh->out, "  %-13s %s\n", "AUTH",
			t->authenticated ? "authenticated" : "not authenticated");
	if (t->proto == TRACK_IMAP && t->nmailboxes > 0) {
		fprintf(sh->out, "  %-13s", "mailboxes");
		for (int i = 0; i < t->nmailboxes; i++)
			fprintf(sh->out, " %s", t->mailboxes[i]);
		fprintf(sh->out, "\n");
	}
}

static void meta_diagram(struct shell *sh, int argc, char **argv)
{
	static const char *const names[] = { "pop3", "smtp", "imap" };
	if (argc == 2) {
		for (int p = 0; p < 3; p++)
			if (strcasecmp(argv[1], names[p]) == 0) {
				diagram_draw(sh, (enum track_proto)p, -1);
				return;
			}
		out_error(sh, "usage: :diagram [pop3|smtp|imap]");
		return;
	}
	diagram_draw(sh, sh->track.proto, sh->conn ? sh->track.state : -1);
}

static void meta_commands(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	diagram_commands(sh);
}

static void meta_explain(struct shell *sh, int argc, char **argv)
{
	if (argc != 2) {
		out_error(sh, "usage: :explain CODE   (250, 5.7.8, -ERR, IN-USE, "
			  "TRYCREATE, BYE, EXISTS, ...)");
		return;
	}
	if (explain_full(argv[1], sh->out) == 0) {
		out_error(sh, "%s: not a code mailsh knows", argv[1]);
		shell_unexpected(sh, "unknown code");
	}
}

/* on_off - ":warnings on|off" and the like. */
static void on_off(struct shell *sh, int argc, char **argv, bool *flag)
{
	if (argc == 2 && strcasecmp(argv[1], "on") == 0)
		*flag = true;
	else if (argc == 2 && strcasecmp(argv[1], "off") == 0)
		*flag = false;
	else if (argc != 1)
		out_error(sh, "usage: %s on|off", argv[0]);
	out_info(sh, "%s is %s", argv[0] + 1, *flag ? "on" : "off");
}

static void meta_warnings(struct shell *sh, int argc, char **argv)
{
	on_off(sh, argc, argv, &sh->warnings);
}

static void meta_explain_replies(struct shell *sh, int argc, char **argv)
{
	on_off(sh, argc, argv, &sh->explain);
}

static void meta_quit(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sh->quit = true;
}

const struct meta_cmd meta_cmds[] = {
	{ ":help", meta_help, "[:command]", "this list, or one command's help" },
	{ ":connect", meta_connect, "URL", "connect: pop3:// pop3s:// imap:// imaps:// smtp:// smtps://" },
	{ ":starttls", meta_starttls, "", "upgrade to TLS the protocol's way (STLS or [EHLO +] STARTTLS)" },
	{ ":disconnect", meta_disconnect, "", "close the connection without QUIT/LOGOUT" },
	{ ":reconnect", meta_reconnect, "", "connect again to the last URL" },
	{ ":state", meta_state, "", "the state, TLS, capabilities and what mailsh remembers" },
	{ ":diagram", meta_diagram, "[pop3|smtp|imap]", "the state diagram, with where you are" },
	{ ":commands", meta_commands, "", "the commands valid now, with syntax and RFC section" },
	{ ":explain", meta_explain, "CODE", "everything about a reply code: 550, 5.7.8, -ERR, TRYCREATE, BYE" },
	{ ":plain", sasl_help_plain, "user password [authzid]", "the base64 answer for AUTH PLAIN (RFC 4616)" },
	{ ":login", sasl_help_login, "user password", "the two base64 answers for AUTH LOGIN" },
	{ ":b64", sasl_help_b64, "text", "encode text as base64" },
	{ ":unb64", sasl_help_unb64, "base64", "decode base64 (e.g. a server challenge)" },
	{ ":cram", sasl_help_cram, "user secret [challenge]", "the CRAM-MD5 answer (RFC 2195); default: the last challenge" },
	{ ":apop", sasl_help_apop, "user secret [timestamp]", "the APOP command (RFC 1939 §7); default: the greeting's stamp" },
	{ ":warnings", meta_warnings, "on|off", "warnings about state, capabilities and cleartext passwords" },
	{ ":explain-replies", meta_explain_replies, "on|off", "one-line explanation under each reply" },
	{ ":record", record_cmd_start, "FILE", "record this session to an annotated session file (secrets masked)" },
	{ ":note", record_cmd_note, "TEXT", "add an annotation for the learner to the step just recorded" },
	{ ":stop", record_cmd_stop, "", "stop recording and write the session file" },
	{ ":quit", meta_quit, "", "leave mailsh (sends nothing: QUIT/LOGOUT is yours to type)" },
	{ NULL, NULL, NULL, NULL },
};

static const struct meta_cmd *meta_find(const char *name)
{
	for (const struct meta_cmd *m = meta_cmds; m->name; m++)
		if (strcasecmp(m->name, name) == 0)
			return m;
	return NULL;
}

static void meta_help(struct shell *sh, int argc, char **argv)
{
	const struct meta_cmd *one = argc == 2 ? meta_find(argv[1]) : NULL;
	if (argc == 2 && one == NULL) {
		out_error(sh, "%s: no such command", argv[1]);
		return;
	}
	for (const struct meta_cmd *m = meta_cmds; m->name; m++)
		if (one == NULL || m == one)
			fprintf(sh->out, "  %s%-16s%s %-24s %s\n",
				out_colour(sh, "bold"), m->name,
				out_colour(sh, "reset"), m->args, m->help);
	if (one == NULL)
		fprintf(sh->out, "Anything else is sent to the server as typed, "
			"with CRLF.  :commands lists the\nprotocol commands valid "
			"now; Tab completes.  A line starting with # is a "
			"comment.\n");
}

void meta_run(struct shell *sh, char *line)
{
	char *argv[META_ARGS_MAX + 1];
	int argc = 0;
	/* the text after the command's name, untouched (for :note) */
	char rest[SHELL_INPUT_MAX];
	const char *after = line + strcspn(line, " \t");
	snprintf(rest, sizeof(rest), "%s", after + strspn(after, " \t"));
	sh->meta_rest = rest;
	for (char *save = NULL, *w = strtok_r(line, " \t", &save);
	     w != NULL && argc < META_ARGS_MAX; w = strtok_r(NULL, " \t", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	sh->expect_failure = false;
	const struct meta_cmd *m = meta_find(argv[0]);
	if (m == NULL) {
		out_error(sh, "%s: no such local command (see :help)", argv[0]);
		shell_unexpected(sh, "unknown local command");
		sh->meta_rest = NULL;
		return;
	}
	m->fn(sh, argc, argv);
	sh->meta_rest = NULL;
}
