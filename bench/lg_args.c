/*
 * lg_args.c - the command line (see lg_args.h).
 *
 * The options are a table: name, kind, where the value goes, and its
 * range.  One loop reads "--name value" or "--name=value"; numbers are
 * checked against the range and every refusal names the option, so a
 * typo in the bench script is caught before any server is touched.
 * Text that will be put into a command (mailbox, search word, names) may
 * not hold CR, LF, quotes or backslashes: it goes on the wire verbatim.
 */
#include "lg_args.h"

#include "loadgen.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { TEXT, UINT, ULONG, SECONDS, SIZE, FLAG, WORKLOAD };

struct option {
	const char *name;
	enum kind kind;
	size_t offset;          /* where in struct lg_conf */
	unsigned long min, max; /* for numbers */
};

#define AT(field) offsetof(struct lg_conf, field)

static const struct option options[] = {
	{ "workload", WORKLOAD, AT(workload), 0, 0 },
	{ "host", TEXT, AT(host), 0, 0 },
	{ "port", UINT, AT(port), 1, 65535 },
	{ "clients", UINT, AT(clients), 1, LG_CLIENTS_MAX },
	{ "duration", SECONDS, AT(duration_s), 0, 3600 },
	{ "count", ULONG, AT(count), 1, 1000000000ul },
	{ "warmup", SECONDS, AT(warmup_s), 0, 3600 },
	{ "limit", SECONDS, AT(limit_s), 0, 3600 },
	{ "tls", FLAG, AT(tls), 0, 0 },
	{ "cafile", TEXT, AT(cafile), 0, 0 },
	{ "user", TEXT, AT(user), 0, 0 },
	{ "users", UINT, AT(users), 1, 1000000 },
	{ "password", TEXT, AT(password), 0, 0 },
	{ "rcpt", TEXT, AT(rcpt), 0, 0 },
	{ "rcpts", UINT, AT(rcpts), 1, 1000000 },
	{ "no-pipelining", FLAG, AT(no_pipelining), 0, 0 },
	{ "size", SIZE, AT(size), 0, LG_MESSAGE_MAX },
	{ "mailbox", TEXT, AT(mailbox), 0, 0 },
	{ "text", TEXT, AT(text), 0, 0 },
	{ "timeout", UINT, AT(timeout_s), 1, 3600 },
};

static const char usage[] =
	"usage: loadgen --workload NAME --port N [options]\n"
	"  --host ADDR        server address (127.0.0.1)\n"
	"  --clients N        concurrent sessions (1)\n"
	"  --duration SECS    run this long (2), or\n"
	"  --count N          this many operations in all\n"
	"  --warmup SECS      operations starting earlier are not counted (0)\n"
	"  --limit SECS       end the run this long after it started, cutting\n"
	"                     operations still running (0: let them finish)\n"
	"  --tls              implicit TLS; --cafile FILE to verify the server\n"
	"  --user NAME        user to log in as (alice); with --users N the\n"
	"                     names are NAME0 .. NAME(N-1), spread over clients\n"
	"  --password TEXT    (wonderland)\n"
	"  --rcpt ADDR        SMTP recipient (alice@maillab.test); with\n"
	"                     --rcpts N: local0@domain .. local(N-1)@domain\n"
	"  --no-pipelining    SMTP: wait for each reply, as smtp-source does,\n"
	"                     even if the server offers PIPELINING\n"
	"  --size BYTES       message size for smtp and imap-append (4096;\n"
	"                     a K or M suffix multiplies by 1024 or 1024*1024)\n"
	"  --mailbox NAME     IMAP mailbox (INBOX)\n"
	"  --text WORD        what imap-search-text looks for (fox)\n"
	"  --timeout SECS     wait for one reply (120)\n"
	"  --help\n"
	"The report is one line of JSON on stdout.  Workloads:\n";

const char *lg_args_usage(void)
{
	return usage;
}

static int fail(char *err, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return -1;
}

static void defaults(struct lg_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->host = "127.0.0.1";
	c->clients = 1;
	c->duration_s = 2;
	c->user = "alice";
	c->password = "wonderland";
	c->rcpt = "alice@maillab.test";
	c->size = 4096;
	c->mailbox = "INBOX";
	c->text = "fox";
	c->timeout_s = LG_TIMEOUT_S;
}

/* number - an unsigned decimal within [min, max], with an optional K/M
 * suffix for sizes. */
static int number(const char *s, const struct option *o,
		  unsigned long long *n_r)
{
	char *end;
	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		return -1;
	unsigned long long n = strtoull(s, &end, 10);
	if (o->kind == SIZE && (*end == 'K' || *end == 'M')) {
		n <<= *end == 'K' ? 10 : 20;
		end++;
	}
	if (errno != 0 || *end != '\0' || n < o->min || n > o->max)
		return -1;
	*n_r = n;
	return 0;
}

/* set - store @value for option @o into @c. */
static int set(struct lg_conf *c, const struct option *o, const char *value,
	       char *err, size_t size)
{
	char *field = (char *)c + o->offset;
	unsigned long long n = 0;
	char *end;
	switch (o->kind) {
	case FLAG:
		*(bool *)field = true;
		return 0;
	case TEXT:
		*(const char **)field = value;
		return 0;
	case WORKLOAD:
		*(const struct lg_workload **)field = lg_workload_find(value);
		if (c->workload == NULL)
			return fail(err, size, "--workload: unknown workload "
				    "\"%s\"", value);
		return 0;
	case SECONDS:
		errno = 0;
		double d = strtod(value, &end);
		if (errno != 0 || end == value || *end != '\0' || !isfinite(d) ||
		    d < (double)o->min || d > (double)o->max)
			return fail(err, size, "--%s: not a number of seconds "
				    "from %lu to %lu", o->name, o->min, o->max);
		*(double *)field = d;
		return 0;
	case UINT:
	case ULONG:
	case SIZE:
		if (number(value, o, &n) < 0)
			return fail(err, size, "--%s: not a number from %lu to "
				    "%lu", o->name, o->min, o->max);
		if (o->kind == UINT)
			*(unsigned *)field = (unsigned)n;
		else if (o->kind == ULONG)
			*(unsigned long *)field = (unsigned long)n;
		else
			*(size_t *)field = (size_t)n;
		return 0;
	}
	return -1;
}

/* safe_text - may this go into a command line as it is (inside quotes)? */
static bool safe_text(const char *s, size_t max)
{
	size_t n = strlen(s);
	return n > 0 && n <= max && strpbrk(s, "\r\n\"\\") == NULL;
}

/* check - what the options must say together. */
static int check(const struct lg_conf *c, bool duration_given, char *err,
		 size_t size)
{
	if (c->workload == NULL)
		return fail(err, size, "--workload is required");
	if (c->port == 0)
		return fail(err, size, "--port is required");
	if (duration_given && c->count > 0)
		return fail(err, size, "--duration and --count exclude each other");
	if (c->size == 1)
		return fail(err, size, "--size: a message cannot be 1 octet");
	/* room for the number after the prefix: up to 7 digits */
	if (!safe_text(c->user, LG_USER_MAX - (c->users ? 7 : 0)) ||
	    strchr(c->user, ' ') != NULL)
		return fail(err, size, "--user: 1 to %d characters without "
			    "spaces, quotes or line ends", LG_USER_MAX);
	if (!safe_text(c->password, USER_PASSWORD_MAX) ||
	    strchr(c->password, ' ') != NULL)
		return fail(err, size, "--password: 1 to %d characters without "
			    "spaces, quotes or line ends", USER_PASSWORD_MAX);
	const char *at = strchr(c->rcpt, '@');
	if (at == NULL || at == c->rcpt || !safe_text(c->rcpt, LG_RCPT_MAX - 9))
		return fail(err, size, "--rcpt: an address local@domain");
	if (!safe_text(c->mailbox, IMAP_MAILBOX_MAX) ||
	    !safe_text(c->text, IMAP_MAILBOX_MAX))
		return fail(err, size, "--mailbox and --text: 1 to %d characters "
			    "without quotes or line ends", IMAP_MAILBOX_MAX);
	if (c->limit_s > 0 && c->limit_s < c->warmup_s + c->duration_s)
		return fail(err, size, "--limit must be at least --warmup plus "
			    "--duration");
	if (c->workload->op == NULL && c->count > 0)
		return fail(err, size, "--count: %s holds sessions, it runs no "
			    "operations", c->workload->name);
	return 0;
}

/* find - the option called @name (@len characters). */
static const struct option *find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (strlen(options[i].name) == len &&
		    strncmp(options[i].name, name, len) == 0)
			return &options[i];
	return NULL;
}

int lg_args_parse(int argc, char *const argv[], struct lg_conf *conf,
		  char *err, size_t err_size)
{
	bool duration_given = false;
	defaults(conf);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
			return 1;
		if (strncmp(arg, "--", 2) != 0)
			return fail(err, err_size, "unexpected argument \"%s\"",
				    arg);
		const char *eq = strchr(arg + 2, '=');
		size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		const struct option *o = find(arg + 2, len);
		if (o == NULL)
			return fail(err, err_size, "unknown option \"%s\"", arg);
		const char *value = eq ? eq + 1 : NULL;
		if (o->kind == FLAG && value != NULL)
			return fail(err, err_size, "--%s takes no value", o->name);
		if (o->kind != FLAG && value == NULL) {
			if (i + 1 >= argc)
				return fail(err, err_size, "--%s needs a value",
					    o->name);
			value = argv[++i];
		}
		if (set(conf, o, value, err, err_size) < 0)
			return -1;
		duration_given |= o->offset == AT(duration_s);
	}
	return check(conf, duration_given, err, err_size);
}

unsigned lg_user_index(const struct lg_conf *conf, unsigned client,
		       unsigned long k)
{
	if (conf->users == 0)
		return 0;
	unsigned long long i = client + (unsigned long long)conf->clients * k;
	return (unsigned)(i % conf->users);
}

void lg_user_name(const struct lg_conf *conf, unsigned index, char *out)
{
	if (conf->users == 0)
		snprintf(out, LG_USER_MAX + 1, "%s", conf->user);
	else
		snprintf(out, LG_USER_MAX + 1, "%s%u", conf->user, index);
}

void lg_rcpt(const struct lg_conf *conf, unsigned client, char *out)
{
	if (conf->rcpts == 0) {
		snprintf(out, LG_RCPT_MAX + 1, "%s", conf->rcpt);
		return;
	}
	const char *at = strchr(conf->rcpt, '@');
	snprintf(out, LG_RCPT_MAX + 1, "%.*s%u%s", (int)(at - conf->rcpt),
		 conf->rcpt, client % conf->rcpts, at);
}
