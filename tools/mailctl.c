/*
 * mailctl.c - the administrator's command: users and mail in a data
 * directory.
 *
 * Everything the servers read lives under one data directory (DATA):
 *
 *     DATA/users                  the users file (users.h), mode 0600
 *     DATA/mail/NAME/Maildir      each user's mail (maildir.h)
 *
 * mailctl changes them with the same functions the servers read them
 * with, so what a lab sets up here is exactly what the servers will see
 * (a much reduced Dovecot "doveadm"):
 *
 *   useradd / passwd   a SHA512-CRYPT hash by default; --plain stores the
 *                      password itself, which APOP (RFC 1939 §7) and
 *                      CRAM-MD5 (RFC 2195) need on the server side
 *   userdel            removes the login, never the mail: deleting a
 *                      mailbox by accident is worse than a stale directory
 *   users              names and schemes, never secrets
 *   deliver            what a local delivery agent does: one message from
 *                      standard input into new/ (or a Maildir++ folder)
 *
 * A password is better typed or piped than given as an argument, where
 * other users can read it with ps(1); both work.  Exit status: 0 success,
 * 1 error, 2 wrong usage.
 */
#include "../proto/limits.h"
#include "../servers/core/maildir.h"
#include "../servers/core/users.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define EXIT_USAGE 2

static const char usage_text[] =
	"usage: mailctl [-d DATA] COMMAND [ARGS]\n"
	"\n"
	"  useradd NAME [PASSWORD] [--plain]  add a user and its Maildir\n"
	"  passwd NAME [PASSWORD] [--plain]   change a user's password\n"
	"  userdel NAME                       remove a user (mail is kept)\n"
	"  users                              list users and their schemes\n"
	"  deliver NAME [FOLDER] < MESSAGE    deliver a message to a user\n"
	"\n"
	"  -d DATA    data directory (default: $MAILLAB_DATA or ./data);\n"
	"             the users file is DATA/users, mail is in DATA/mail/\n"
	"  --plain    store the password as {PLAIN} (needed for APOP and\n"
	"             CRAM-MD5) instead of a {SHA512-CRYPT} hash\n"
	"  -h, --help show this help\n"
	"\n"
	"Without PASSWORD, one line is read from standard input (not echoed\n"
	"on a terminal); a password on the command line is visible to ps.\n";

/* What one run works on: the parsed command line. */
struct ctl {
	const char *data;   /* data directory */
	char *users;        /* DATA/users */
	bool plain;         /* --plain: store {PLAIN} instead of a hash */
	char **args;        /* operands after the command name */
	int nargs;
};

/* fail - print "mailctl: ..." on stderr; returns the error exit status. */
static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("mailctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return EXIT_FAILURE;
}

/* usage_error - the problem, then the usage; returns the usage status. */
static int usage_error(const char *what, const char *word)
{
	fprintf(stderr, "mailctl: %s%s%s\n%s", what, word ? ": " : "",
		word ? word : "", usage_text);
	return EXIT_USAGE;
}

/* ---- helpers ------------------------------------------------------------ */

/* ensure_data_dir - create DATA (one level) if it is missing.  0700: the
 * directory holds the password file and everyone's mail. */
static int ensure_data_dir(const struct ctl *c)
{
	if (mkdir(c->data, 0700) == 0 || errno == EEXIST)
		return 0;
	return fail("cannot create %s: %s", c->data, strerror(errno));
}

/* set_echo - terminal echo off or back on, so a typed password is not
 * shown (on the projector, in a lab). */
static void set_echo(bool on)
{
	struct termios t;
	if (tcgetattr(STDIN_FILENO, &t) != 0)
		return;
	t.c_lflag = on ? t.c_lflag | ECHO : t.c_lflag & ~(tcflag_t)ECHO;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
}

/* read_password - one line from stdin into @buf, without its line end.  A
 * line longer than USER_PASSWORD_MAX stays too long (users_set refuses
 * it) rather than being cut to a password the user never typed. */
static int read_password(char buf[USER_PASSWORD_MAX + 2])
{
	bool tty = isatty(STDIN_FILENO);
	if (tty) {
		fputs("Password: ", stderr);
		set_echo(false);
	}
	char *line = fgets(buf, USER_PASSWORD_MAX + 2, stdin);
	if (tty) {
		set_echo(true);
		fputc('\n', stderr);
	}
	if (line == NULL)
		return fail("no password given and none on standard input");
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

/* set_password - users_set with the password operand, or one typed, and
 * the scheme --plain chose. */
static int set_password(const struct ctl *c, const char *name)
{
	char typed[USER_PASSWORD_MAX + 2];
	const char *pw = c->nargs > 1 ? c->args[1] : typed;
	if (c->nargs < 2 && read_password(typed) != 0)
		return EXIT_FAILURE;
	const char *scheme = c->plain ? "PLAIN" : "SHA512-CRYPT";
	const char *error;
	int r = users_set(c->users, name, pw, scheme, &error);
	explicit_bzero(typed, sizeof(typed));
	if (r < 0)
		return fail("cannot set the password of %s: %s", name, error);
	return 0;
}

/* ---- commands ----------------------------------------------------------- */

static int cmd_useradd(const struct ctl *c)
{
	const char *name = c->args[0];
	if (!users_name_valid(name))
		return fail("invalid user name '%s' (use a-z 0-9 . _ -, not "
			    "starting with '.', at most %d)", name,
			    USER_NAME_MAX);
	if (ensure_data_dir(c) != 0)
		return EXIT_FAILURE;
	if (users_exists(c->users, name))
		return fail("user %s already exists (use passwd to change "
			    "the password)", name);
	if (set_password(c, name) != 0)
		return EXIT_FAILURE;
	/* The user is added first so a bad password leaves no directory;
	 * if the Maildir then cannot be made, the user is taken out again. */
	char *maildir = users_maildir(c->data, name);
	const char *error = "out of memory";
	if (maildir == NULL || maildir_create(maildir, &error) < 0) {
		const char *ignored;
		users_delete(c->users, name, &ignored);
		free(maildir);
		return fail("cannot create the Maildir of %s: %s (user not "
			    "added)", name, error);
	}
	printf("added %s ({%s}), mail in %s\n", name,
	       c->plain ? "PLAIN" : "SHA512-CRYPT", maildir);
	free(maildir);
	return 0;
}

static int cmd_passwd(const struct ctl *c)
{
	const char *name = c->args[0];
	if (!users_exists(c->users, name))
		return fail("no user %s in %s", name, c->users);
	if (set_password(c, name) != 0)
		return EXIT_FAILURE;
	printf("changed the password of %s ({%s})\n", name,
	       c->plain ? "PLAIN" : "SHA512-CRYPT");
	return 0;
}

static int cmd_userdel(const struct ctl *c)
{
	const char *name = c->args[0];
	const char *error;
	if (users_delete(c->users, name, &error) < 0)
		return fail("cannot delete %s from %s: %s", name, c->users,
			    error);
	char *maildir = users_maildir(c->data, name);
	printf("deleted %s; the mail is kept in %s (remove it by hand if it "
	       "is no longer wanted)\n", name, maildir ? maildir : "DATA/mail");
	free(maildir);
	return 0;
}

/* print_user - "name  SCHEME" for one line of the users file; the scheme
 * is what sits in braces before the secret, CRYPT if nothing does. */
static void print_user(char *line)
{
	line[strcspn(line, "\r\n")] = '\0';
	char *colon = strchr(line, ':');
	if (line[0] == '#' || colon == NULL)
		return;
	*colon = '\0';
	char *field = colon + 1;
	field[strcspn(field, ":")] = '\0';   /* the secret field only */
	char *close = strchr(field, '}');
	const char *scheme = field[0] == '\0' ? "(no password)" : "CRYPT";
	if (field[0] == '{' && close != NULL) {
		*close = '\0';
		scheme = field + 1;
	}
	printf("%-24s %s\n", line, scheme);
}

static int cmd_users(const struct ctl *c)
{
	FILE *f = fopen(c->users, "r");
	if (f == NULL && errno == ENOENT) {
		fprintf(stderr, "mailctl: no users yet (%s does not exist)\n",
			c->users);
		return 0;
	}
	if (f == NULL)
		return fail("cannot open %s: %s", c->users, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) >= 0)
		print_user(line);
	bool failed = ferror(f) != 0;
	fclose(f);
	if (line != NULL)
		explicit_bzero(line, cap); /* it held secrets */
	free(line);
	return failed ? fail("error reading %s", c->users) : 0;
}

/* read_message - all of stdin, at most MAIL_MESSAGE_MAX bytes (malloc'ed).
 * Reading stops one byte past the limit: enough to tell "too large" from
 * "exactly at the limit" without reading an endless pipe to its end. */
static int read_message(char **data_r, size_t *len_r)
{
	if (isatty(STDIN_FILENO))
		fputs("mailctl: reading the message; end it with Ctrl-D\n",
		      stderr);
	size_t max = (size_t)MAIL_MESSAGE_MAX + 1, cap = 0, len = 0, n = 1;
	char *data = NULL;
	while (n > 0 && len < max) {
		if (len == cap) {
			cap = cap == 0 ? 64 * 1024
				       : cap * 2 > max ? max : cap * 2;
			char *bigger = realloc(data, cap);
			if (bigger == NULL)
				return fail("out of memory");
			*data_r = data = bigger;
		}
		n = fread(data + len, 1, cap - len, stdin);
		len += n;
	}
	*len_r = len;
	if (ferror(stdin))
		return fail("error reading standard input: %s",
			    strerror(errno));
	if (len > MAIL_MESSAGE_MAX)
		return fail("message larger than %u bytes", MAIL_MESSAGE_MAX);
	if (len == 0)
		return fail("empty message on standard input");
	return 0;
}

/* folder_maildir - the Maildir to deliver into: INBOX (the user's root)
 * or a Maildir++ folder inside it, both created if missing. */
static char *folder_maildir(const struct ctl *c, const char *name,
			    const char *folder)
{
	const char *error;
	char *root = users_maildir(c->data, name);
	if (root == NULL || maildir_create(root, &error) < 0) {
		fail("cannot create the Maildir of %s: %s", name,
		     root ? error : "invalid user name");
		free(root);
		return NULL;
	}
	folder = folder ? folder : "INBOX";
	char *path = maildir_folder_path(root, folder);
	free(root);
	if (path == NULL)
		fail("invalid folder name '%s'", folder);
	else if (maildir_create(path, &error) < 0)
		fail("cannot create folder %s: %s", folder, error);
	else
		return path;
	free(path);
	return NULL;
}

static int cmd_deliver(const struct ctl *c)
{
	const char *name = c->args[0];
	if (!users_exists(c->users, name))
		return fail("no user %s in %s", name, c->users);
	char *data = NULL, *file = NULL, *path = NULL;
	size_t len = 0;
	const char *error;
	int r = read_message(&data, &len);
	if (r == 0 && (path = folder_maildir(c, name, c->nargs > 1 ?
					     c->args[1] : NULL)) == NULL)
		r = EXIT_FAILURE;
	if (r == 0 && maildir_deliver(path, data, len, &file, &error) < 0)
		r = fail("cannot deliver to %s: %s", path, error);
	if (r == 0)
		printf("%s\n", file);
	free(file);
	free(data);
	free(path);
	return r;
}

/* ---- command line ------------------------------------------------------- */

static const struct {
	const char *name;
	int min_args, max_args;   /* operands after the command name */
	bool plain_ok;            /* does --plain make sense? */
	int (*run)(const struct ctl *c);
} commands[] = {
	{ "useradd", 1, 2, true,  cmd_useradd },
	{ "passwd",  1, 2, true,  cmd_passwd },
	{ "userdel", 1, 1, false, cmd_userdel },
	{ "users",   0, 0, false, cmd_users },
	{ "deliver", 1, 2, false, cmd_deliver },
};

/* take_operands - move argv[first..] into c->args, picking out --plain. */
static int take_operands(struct ctl *c, int argc, char **argv, int first)
{
	c->args = calloc((size_t)argc + 1, sizeof(*c->args));
	if (c->args == NULL)
		return fail("out of memory");
	for (int i = first; i < argc; i++) {
		if (strcmp(argv[i], "--plain") == 0)
			c->plain = true;
		else if (strncmp(argv[i], "--", 2) == 0)
			return usage_error("unknown option", argv[i]);
		else
			c->args[c->nargs++] = argv[i];
	}
	return 0;
}

/* run_command - find the command, check its operands, run it. */
static int run_command(struct ctl *c, int argc, char **argv, int first)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[first], commands[i].name) != 0)
			continue;
		int r = take_operands(c, argc, argv, first + 1);
		if (r != 0)
			return r;
		if (c->nargs < commands[i].min_args ||
		    c->nargs > commands[i].max_args)
			return usage_error("wrong number of arguments for",
					   argv[first]);
		if (c->plain && !commands[i].plain_ok)
			return usage_error("--plain only goes with useradd "
					   "and passwd", NULL);
		return commands[i].run(c);
	}
	return usage_error("unknown command", argv[first]);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c = { .data = getenv("MAILLAB_DATA") };
	if (c.data == NULL || c.data[0] == '\0')
		c.data = "./data";
	int opt;
	/* '+': stop at the command name, so its operands are not options. */
	while ((opt = getopt_long(argc, argv, "+d:h", longopts, NULL)) != -1) {
		if (opt == 'd') {
			c.data = optarg;
		} else if (opt == 'h') {
			fputs(usage_text, stdout);
			return 0;
		} else {
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error("no command given", NULL);
	if (asprintf(&c.users, "%s/users", c.data) < 0)
		return fail("out of memory");
	int r = run_command(&c, argc, argv, optind);
	free(c.args);
	free(c.users);
	return r;
}
