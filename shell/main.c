/*
 * main.c - mailsh's main(): the command line, then one of two loops.
 *
 *   interactive  stdin and stdout are a terminal and no --batch: GNU
 *                readline with line editing, history and completion, in
 *                its callback form, so that what the server sends unasked
 *                (IMAP IDLE updates, a BYE on timeout) is shown at once,
 *                while the learner is typing;
 *   batch        commands come from a file or a pipe, one per line; no
 *                prompts, no colour, "C:"/"S:" transcript lines, and the
 *                exit status says whether the session went as expected
 *                (exec.c defines "expected").
 *
 * Or, with --replay, --replay-live, --serve or --export, one of the ways
 * of playing an annotated session back (replay.h) instead of a shell.
 *
 * Everything else happens in the files listed in shell.h.
 */
#include "shell.h"

#include "record.h"
#include "replay.h"

#include "../common/tls.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <readline/readline.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* readline's callbacks (the line handler, completion) carry no user data,
 * so the one shell they act on is reached through this pointer; it is set
 * once in main() and never changes. */
static struct shell *rl_shell;

/* Set by SIGINT, read by the interactive loop: Ctrl-C abandons the line
 * being typed, it does not end mailsh. */
static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
"usage: mailsh [options] [URL]\n"
"\n"
"An interactive shell for typing raw POP3, SMTP and IMAP, showing the\n"
"protocol state and explaining every reply.\n"
"\n"
"  URL                pop3://HOST[:PORT]  pop3s://  imap://  imaps://\n"
"                     smtp://  smtps://   (IPv6: imap://[::1]:10143)\n"
"  --starttls         upgrade with STLS/STARTTLS right after the greeting\n"
"  --cafile FILE      trust the CA certificates in FILE (a lab CA)\n"
"  -k, --insecure     go on when the certificate does not verify (says\n"
"                     loudly what that means)\n"
"  --keylog FILE      write TLS keys for Wireshark (also: SSLKEYLOGFILE)\n"
"  -b, --batch FILE   read commands from FILE ('-': stdin); exit status 0\n"
"                     if everything went as expected, 1 if not\n"
"  --timeout SECS     wait this long for a reply (default %d)\n"
"  --no-explain       no one-line explanation under each reply\n"
"  --no-warnings      no warnings (wrong state, cleartext passwords, ...)\n"
"  --color, --no-color   force colour on or off (default: on a terminal,\n"
"                     unless NO_COLOR is set)\n"
"  --history-dir DIR  keep history files here; --no-history: none\n"
"  -h, --help         this text\n"
"\n"
"Annotated sessions (docs/session-format.md):\n"
"  --record FILE      record the session to FILE (passwords masked)\n"
"  --replay FILE      present FILE step by step, no server needed;\n"
"                     --pace SECS plays on by itself, --step N starts at N\n"
"  --replay-live FILE [URL]   replay FILE against a server and check\n"
"                     every reply; --secret NAME=VALUE fills in a secret\n"
"  --serve FILE --listen [HOST:]PORT   play the server side of FILE to\n"
"                     one client; --tls for implicit TLS (--cert, --key)\n"
"  --export md|html FILE      FILE as a Markdown or HTML handout\n"
"\n"
"Lines starting with ':' are local commands (:help lists them); anything\n"
"else is sent to the server with CRLF.  See mailsh(1).\n",
		SHELL_REPLY_TIMEOUT_S);
}

/* The options of annotated sessions, after parse_options()'s own. */
enum { O_RECORD = 300, O_REPLAY, O_PACE, O_STEP, O_LIVE, O_SECRET, O_SERVE,
       O_LISTEN, O_TLS, O_CERT, O_KEY, O_EXPORT };

/* session_option - one of those options; false if @c is not one. */
static bool session_option(int c, struct shell_opts *o)
{
	switch (c) {
	case O_RECORD: o->record = optarg; break;
	case O_REPLAY: o->replay = optarg; break;
	case O_PACE: o->pace_s = strtod(optarg, NULL); break;
	case O_STEP: o->step = (unsigned)strtoul(optarg, NULL, 10); break;
	case O_LIVE: o->replay_live = optarg; break;
	case O_SECRET:
		if (o->nsecrets == SESSFILE_SECRETS_MAX) {
			fprintf(stderr, "mailsh: at most %d --secret options\n",
				SESSFILE_SECRETS_MAX);
			exit(2);
		}
		o->secrets[o->nsecrets++] = optarg;
		break;
	case O_SERVE: o->serve = optarg; break;
	case O_LISTEN: o->listen = optarg; break;
	case O_TLS: o->serve_tls = true; break;
	case O_CERT: o->cert = optarg; break;
	case O_KEY: o->key = optarg; break;
	case O_EXPORT: o->export_format = optarg; break;
	default: return false;
	}
	return true;
}

/* session_mode - the mode the options ask for, checked; NULL for the shell. */
static int (*session_mode(struct shell_opts *o))(const struct shell_opts *)
{
	int modes = !!o->replay + !!o->replay_live + !!o->serve +
		    !!o->export_format;
	const char *why =
		modes > 1 ? "--replay, --replay-live, --serve and --export "
			    "exclude each other" :
		modes == 1 && o->record ? "--record records a shell session" :
		o->serve && o->listen == NULL ? "--serve needs --listen PORT" :
		o->pace_s < 0 ? "--pace takes seconds, 0 or more" :
		(o->replay || o->serve) && o->url ? "a URL goes only with "
						    "--replay-live" :
		o->export_format && o->url == NULL ? "--export md|html needs "
						     "the session file" : NULL;
	if (why != NULL) {
		fprintf(stderr, "mailsh: %s (mailsh --help lists the options)\n",
			why);
		exit(2);
	}
	if (o->export_format != NULL) {
		o->export_file = o->url;
		o->url = NULL;
		return export_session;
	}
	return o->replay ? replay_present : o->replay_live ? replay_live
	       : o->serve ? replay_serve : NULL;
}

static void parse_options(int argc, char **argv, struct shell_opts *o)
{
	enum { O_CAFILE = 256, O_KEYLOG, O_TIMEOUT, O_NO_EXPLAIN, O_NO_WARN,
	       O_COLOR, O_NO_COLOR, O_HISTDIR, O_NO_HIST, O_STARTTLS };
	static const struct option longopts[] = {
		{ "starttls", no_argument, NULL, O_STARTTLS },
		{ "cafile", required_argument, NULL, O_CAFILE },
		{ "insecure", no_argument, NULL, 'k' },
		{ "keylog", required_argument, NULL, O_KEYLOG },
		{ "batch", required_argument, NULL, 'b' },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "no-explain", no_argument, NULL, O_NO_EXPLAIN },
		{ "no-warnings", no_argument, NULL, O_NO_WARN },
		{ "color", no_argument, NULL, O_COLOR },
		{ "no-color", no_argument, NULL, O_NO_COLOR },
		{ "history-dir", required_argument, NULL, O_HISTDIR },
		{ "no-history", no_argument, NULL, O_NO_HIST },
		{ "help", no_argument, NULL, 'h' },
		{ "record", required_argument, NULL, O_RECORD },
		{ "replay", required_argument, NULL, O_REPLAY },
		{ "pace", required_argument, NULL, O_PACE },
		{ "step", required_argument, NULL, O_STEP },
		{ "replay-live", required_argument, NULL, O_LIVE },
		{ "secret", required_argument, NULL, O_SECRET },
		{ "serve", required_argument, NULL, O_SERVE },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "tls", no_argument, NULL, O_TLS },
		{ "cert", required_argument, NULL, O_CERT },
		{ "key", required_argument, NULL, O_KEY },
		{ "export", required_argument, NULL, O_EXPORT },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	*o = (struct shell_opts){ .colour = -1, .timeout_s = SHELL_REPLY_TIMEOUT_S };
	while ((c = getopt_long(argc, argv, "kb:h", longopts, NULL)) != -1) {
		switch (c) {
		case O_STARTTLS: o->starttls = true; break;
		case O_CAFILE: o->cafile = optarg; break;
		case 'k': o->insecure = true; break;
		case O_KEYLOG: o->keylog = optarg; break;
		case 'b': o->batch = optarg; break;
		case O_TIMEOUT: o->timeout_s = (unsigned)strtoul(optarg, NULL, 10); break;
		case O_NO_EXPLAIN: o->no_explain = true; break;
		case O_NO_WARN: o->no_warnings = true; break;
		case O_COLOR: o->colour = 1; break;
		case O_NO_COLOR: o->colour = 0; break;
		case O_HISTDIR: o->history_dir = optarg; break;
		case O_NO_HIST: o->no_history = true; break;
		case 'h': usage(stdout); exit(EXIT_SUCCESS);
		default:
			if (!session_option(c, o)) {
				usage(stderr);
				exit(2);
			}
		}
	}
	if (optind < argc)
		o->url = argv[optind++];
	if (optind < argc || o->timeout_s == 0) {
		usage(stderr);
		exit(2);
	}
}

static void set_prompt(struct shell *sh)
{
	char prompt[SHELL_NOTE_LEN + 64];
	shell_prompt(sh, prompt, sizeof(prompt));
	rl_set_prompt(prompt);
}

static void on_line(char *line)
{
	struct shell *sh = rl_shell;
	if (line == NULL) {
		fputc('\n', sh->out);
		sh->quit = true;
		return;
	}
	shell_line(sh, line);
	free(line);
	set_prompt(sh);
}

static char **on_complete(const char *text, int start, int end)
{
	(void)end;
	rl_attempted_completion_over = 1; /* never fall back to file names */
	return complete_words(rl_shell, rl_line_buffer, start, text);
}

/* server_spoke - show what the server sent while the learner types:
 * clear the prompt line, print, and draw the prompt and the line again. */
static void server_spoke(struct shell *sh)
{
	char *typed = rl_copy_text(0, rl_end);
	int point = rl_point;
	rl_set_prompt("");
	rl_replace_line("", 0);
	rl_redisplay();
	shell_read_unsolicited(sh);
	set_prompt(sh);
	rl_replace_line(typed, 0);
	rl_point = point;
	rl_forced_update_display();
	free(typed);
}

static void interactive_loop(struct shell *sh)
{
	rl_catch_signals = 0;
	rl_attempted_completion_function = on_complete;
	rl_readline_name = "mailsh";
	rl_callback_handler_install("", on_line);
	set_prompt(sh);
	rl_forced_update_display();
	while (!sh->quit) {
		struct pollfd pfd[2] = { { .fd = STDIN_FILENO, .events = POLLIN } };
		int n = 1;
		if (sh->conn != NULL) {
			pfd[n++] = (struct pollfd){ .fd = netio_fd(sh->conn->io),
						    .events = POLLIN };
			if (netio_input_buffered(sh->conn->io))
				pfd[1].revents = POLLIN;
		}
		if (!(n == 2 && pfd[1].revents) && poll(pfd, (nfds_t)n, -1) < 0 &&
		    errno != EINTR)
			break;
		if (interrupted) {
			interrupted = 0;
			fputs("^C\n", sh->out);
			rl_replace_line("", 0);
			rl_on_new_line();
			rl_redisplay();
			continue;
		}
		if (pfd[0].revents)
			rl_callback_read_char();
		else if (n == 2 && pfd[1].revents)
			server_spoke(sh);
	}
	rl_callback_handler_remove();
}

static int batch_loop(struct shell *sh, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	while (!sh->quit && getline(&line, &cap, in) > 0) {
		sh->lineno++;
		if (line[0] == ':')
			fprintf(sh->out, "L: %s", line);
		shell_line(sh, line);
		fflush(sh->out);
	}
	free(line);
	if (sh->unexpected == 0)
		fprintf(sh->out, "-- batch: all %lu lines went as expected\n",
			sh->lineno);
	else
		fprintf(sh->out, "-- batch: %d thing%s did not go as expected\n",
			sh->unexpected, sh->unexpected == 1 ? "" : "s");
	return sh->unexpected == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int main(int argc, char **argv)
{
	struct shell sh = { .history_proto = -1 };
	parse_options(argc, argv, &sh.opts);
	int (*mode)(const struct shell_opts *) = session_mode(&sh.opts);
	if (mode != NULL) {
		signal(SIGPIPE, SIG_IGN);
		setvbuf(stdout, NULL, _IOLBF, 0);
		return mode(&sh.opts);
	}
	const char *no_color = getenv("NO_COLOR");
	bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	sh.out = stdout;
	sh.interactive = tty && sh.opts.batch == NULL;
	sh.colour = sh.opts.colour == 1 ||
		    (sh.opts.colour == -1 && sh.interactive &&
		     (no_color == NULL || no_color[0] == '\0'));
	sh.explain = !sh.opts.no_explain;
	sh.warnings = !sh.opts.no_warnings;
	rl_shell = &sh;
	/* a closed connection must be an error from write(), not a signal */
	signal(SIGPIPE, SIG_IGN);
	if (!sh.interactive)
		setvbuf(stdout, NULL, _IOLBF, 0);

	FILE *in = stdin;
	if (sh.opts.batch != NULL && strcmp(sh.opts.batch, "-") != 0 &&
	    (in = fopen(sh.opts.batch, "r")) == NULL) {
		fprintf(stderr, "mailsh: %s: %s\n", sh.opts.batch, strerror(errno));
		return 2;
	}
	if (sh.opts.record != NULL) {
		const char *error;
		if ((sh.rec = record_new(sh.opts.record, &error)) == NULL) {
			fprintf(stderr, "mailsh: %s: %s\n", sh.opts.record, error);
			return 2;
		}
	}
	if (sh.opts.url != NULL) {
		struct conn_url url;
		const char *error;
		if (conn_parse_url(sh.opts.url, &url, &error) < 0) {
			fprintf(stderr, "mailsh: %s\n", error);
			return 2;
		}
		shell_connect(&sh, &url);
	}
	int status = EXIT_SUCCESS;
	if (sh.interactive) {
		struct sigaction sa = { .sa_handler = on_sigint };
		sigaction(SIGINT, &sa, NULL);
		interactive_loop(&sh);
	} else {
		status = batch_loop(&sh, in);
	}
	if (in != stdin)
		fclose(in);
	history_close(&sh);
	shell_disconnect(&sh, "mailsh ends");
	record_finish(&sh); /* a recording that never had a connection */
	tls_client_free(sh.tls);
	free(sh.confirm_line);
	return status;
}
