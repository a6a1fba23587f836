/*
 * options.c - the shared server command line (see options.h).
 *
 * Start-up errors are the one place a server exits on its own: a wrong
 * option or a missing certificate should stop it before any client sees it.
 */
#include "options.h"

#include "../../common/tls.h"

#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_CERT = 256, OPT_KEY, OPT_NO_TLS, OPT_CLEARTEXT, OPT_MAX,
       OPT_TIMEOUT, OPT_DELAY, OPT_HOST, OPT_TRACE, OPT_PID, OPT_PER_ADDR,
       OPT_LOGIN_TIMEOUT, OPT_DATA_TIMEOUT, OPT_USER, OPT_SLEEP };

static const struct option long_opts[] = {
	{ "data", required_argument, NULL, 'd' },
	{ "listen", required_argument, NULL, 'l' },
	{ "bind", required_argument, NULL, 'b' },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "no-tls", no_argument, NULL, OPT_NO_TLS },
	{ "cleartext", required_argument, NULL, OPT_CLEARTEXT },
	{ "max-sessions", required_argument, NULL, OPT_MAX },
	{ "max-per-address", required_argument, NULL, OPT_PER_ADDR },
	{ "login-timeout", required_argument, NULL, OPT_LOGIN_TIMEOUT },
	{ "data-timeout", required_argument, NULL, OPT_DATA_TIMEOUT },
	{ "user", required_argument, NULL, OPT_USER },
	{ "sleep-after", required_argument, NULL, OPT_SLEEP },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "auth-delay", required_argument, NULL, OPT_DELAY },
	{ "hostname", required_argument, NULL, OPT_HOST },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "pidfile", required_argument, NULL, OPT_PID },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(const struct server_defaults *def, FILE *f)
{
	fprintf(f, "usage: %s [options]\n%s\n\n", def->prog, def->summary);
	fprintf(f,
		"  -d, --data DIR         data directory (default ./data)\n"
		"  -l, --listen PORT[:M]  listen on PORT, mode M = plain, starttls or tls\n"
		"                         (repeatable; default");
	for (int i = 0; i < def->nports; i++)
		fprintf(f, " %u:%s", def->ports[i].port,
			listener_mode_name(def->ports[i].mode));
	fprintf(f, ")\n"
		"  -b, --bind ADDR        address to bind (repeatable; default 127.0.0.1 and ::1)\n"
		"      --cert FILE        TLS certificate (default DIR/tls/server.pem)\n"
		"      --key FILE         TLS key (default DIR/tls/server.key)\n"
		"      --no-tls           no TLS: starttls ports become plain, tls ports are refused\n"
		"      --cleartext P      passwords without TLS: loopback (default), always, never\n"
		"      --max-sessions N   concurrent sessions (default %d); when full, the\n"
		"                         oldest session not logged in makes room\n"
		"      --max-per-address N  sessions from one client address (default:\n"
		"                         no cap below --max-sessions)\n"
		"      --timeout SECS     idle timeout: the most one line may take (default %u)\n"
		"      --login-timeout SECS  from the connect to the login (default %d)\n"
		"      --data-timeout SECS   for one whole message (default %d)\n"
		"      --user NAME        started as root: bind, then run as NAME\n"
		"      --auth-delay MS    delay after a failed login (default %d)\n"
		"      --hostname NAME    name used in greetings\n"
		"      --trace FILE       write the trace here (default stderr)\n"
		"      --pidfile FILE     write the process id here\n",
		SERVER_SESSIONS_MAX, def->timeout_s, SESSION_LOGIN_TIMEOUT_S,
		SESSION_DATA_TIMEOUT_S, AUTH_FAIL_DELAY_MS);
	if (def->sleep_after_s > 0)
		fprintf(f,
			"      --sleep-after SECS a session this long without a command lets\n"
			"                         its mailbox view sleep (default %u; 0: never)\n",
			def->sleep_after_s);
	fprintf(f, "  -h, --help             this text\n");
}

/* number - parse an unsigned option value or exit with usage. */
static unsigned number(const struct server_defaults *def, const char *name,
		       const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v > 86400000) {
		fprintf(stderr, "%s: bad value for --%s: %s\n", def->prog, name,
			s);
		exit(2);
	}
	return (unsigned)v;
}

static void bad(const struct server_defaults *def, const char *what,
		const char *arg)
{
	fprintf(stderr, "%s: %s: %s\n", def->prog, what, arg);
	exit(2);
}

static void parse_cleartext(const struct server_defaults *def,
			    struct server_options *o, const char *arg)
{
	if (strcmp(arg, "loopback") == 0)
		o->cleartext = CLEARTEXT_LOOPBACK;
	else if (strcmp(arg, "always") == 0)
		o->cleartext = CLEARTEXT_ALWAYS;
	else if (strcmp(arg, "never") == 0)
		o->cleartext = CLEARTEXT_NEVER;
	else
		bad(def, "--cleartext must be loopback, always or never", arg);
}

static void add_port(const struct server_defaults *def,
		     struct server_options *o, const char *arg)
{
	if (o->nports == SERVER_PORTS_MAX)
		bad(def, "too many --listen ports", arg);
	if (listener_parse_port(arg, LISTEN_STARTTLS, &o->ports[o->nports]) < 0)
		bad(def, "--listen wants PORT[:plain|starttls|tls]", arg);
	o->nports++;
}

static void set_defaults(const struct server_defaults *def,
			 struct server_options *o)
{
	memset(o, 0, sizeof(*o));
	o->data_dir = "data";
	o->cleartext = CLEARTEXT_LOOPBACK;
	o->max_sessions = SERVER_SESSIONS_MAX;
	o->timeout_s = def->timeout_s;
	o->login_timeout_s = SESSION_LOGIN_TIMEOUT_S;
	o->data_timeout_s = SESSION_DATA_TIMEOUT_S;
	o->auth_delay_ms = AUTH_FAIL_DELAY_MS;
	o->sleep_after_s = def->sleep_after_s;
	if (gethostname(o->hostname, sizeof(o->hostname) - 1) < 0)
		strcpy(o->hostname, "localhost");
}

void server_options_parse(int argc, char **argv,
			  const struct server_defaults *def,
			  struct server_options *o)
{
	set_defaults(def, o);
	int c;
	while ((c = getopt_long(argc, argv, "d:l:b:h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->data_dir = optarg; break;
		case 'l': add_port(def, o, optarg); break;
		case 'b':
			if (o->nbinds == SERVER_BINDS_MAX)
				bad(def, "too many --bind addresses", optarg);
			o->binds[o->nbinds++] = optarg;
			break;
		case OPT_CERT: o->cert_file = optarg; break;
		case OPT_KEY: o->key_file = optarg; break;
		case OPT_NO_TLS: o->no_tls = true; break;
		case OPT_CLEARTEXT: parse_cleartext(def, o, optarg); break;
		case OPT_MAX: o->max_sessions = number(def, "max-sessions", optarg); break;
		case OPT_TIMEOUT: o->timeout_s = number(def, "timeout", optarg); break;
		case OPT_PER_ADDR: o->max_per_addr = number(def, "max-per-address", optarg); break;
		case OPT_LOGIN_TIMEOUT: o->login_timeout_s = number(def, "login-timeout", optarg); break;
		case OPT_DATA_TIMEOUT: o->data_timeout_s = number(def, "data-timeout", optarg); break;
		case OPT_USER: o->user = optarg; break;
		case OPT_DELAY: o->auth_delay_ms = number(def, "auth-delay", optarg); break;
		case OPT_HOST: snprintf(o->hostname, sizeof(o->hostname), "%s", optarg); break;
		case OPT_TRACE: o->trace_file = optarg; break;
		case OPT_PID: o->pidfile = optarg; break;
		case OPT_SLEEP:
			if (def->sleep_after_s == 0) /* not this server's */
				bad(def, "unknown option", "--sleep-after");
			o->sleep_after_s = number(def, "sleep-after", optarg);
			break;
		case 'h': usage(def, stdout); exit(0);
		default: usage(def, stderr); exit(2);
		}
	}
	if (optind < argc)
		bad(def, "unexpected argument", argv[optind]);
	if (o->max_sessions == 0 || o->max_sessions > 100000)
		bad(def, "--max-sessions must be 1..100000", "");
	if (o->nports == 0) {
		memcpy(o->ports, def->ports, sizeof(*def->ports) * (size_t)def->nports);
		o->nports = def->nports;
	}
	if (o->nbinds == 0) {
		o->binds[o->nbinds++] = "127.0.0.1";
		o->binds[o->nbinds++] = "::1";
	}
}

/* default_path - DATA/tls/NAME, remembered for freeing. */
static const char *default_path(struct server_options *o, int slot,
				const char *name)
{
	size_t n = strlen(o->data_dir) + strlen(name) + 6;
	o->owned[slot] = malloc(n);
	if (o->owned[slot] == NULL)
		exit(1);
	snprintf(o->owned[slot], n, "%s/tls/%s", o->data_dir, name);
	return o->owned[slot];
}

/* What the thread of load_apart() is given and gives back. */
struct tls_load {
	const char *cert_file, *key_file;
	struct tls_server *srv;  /* NULL on failure, with error */
	const char *error;
};

static void *tls_load_run(void *arg)
{
	struct tls_load *l = arg;
	l->srv = tls_server_new(l->cert_file, l->key_file, &l->error);
	return NULL;
}

/* load_apart - tls_server_new() on a thread of its own.
 *
 * Starting OpenSSL and reading a certificate and key allocate and free
 * thousands of small pieces.  Freed on the main thread they would stay
 * as holes all over the heap that every session process inherits, and a
 * session's first small allocations would land in them, writing to (and
 * so copying) one inherited page after another: 40 KiB more per idle
 * session, measured (docs/bench.md, change 24).  A second thread gets a
 * malloc arena of its own (malloc(3), "Arenas"), so the holes stay in
 * pages that sessions only read.  The malloc_trim() after it tidies that
 * arena once, here, before any session is forked: left to the sessions'
 * own malloc_trim() (session_wait_idle()), the tidying would copy the
 * arena's pages into every session instead. */
static void load_apart(struct tls_load *l)
{
	pthread_t t;
	if (pthread_create(&t, NULL, tls_load_run, l) != 0) {
		tls_load_run(l); /* no thread: the same, only bigger sessions */
		return;
	}
	pthread_join(t, NULL);
	malloc_trim(0);
}

/* load_tls - a certificate is needed if any port is starttls or tls. */
static void load_tls(struct server_options *o, struct listener_config *cfg,
		     const char *prog)
{
	bool want = false;
	for (int i = 0; i < o->nports; i++)
		want |= o->ports[i].mode != LISTEN_PLAIN;
	if (o->no_tls) {
		for (int i = 0; i < o->nports; i++) {
			if (o->ports[i].mode == LISTEN_TLS) {
				fprintf(stderr, "%s: port %u wants TLS but --no-tls was given\n",
					prog, o->ports[i].port);
				exit(2);
			}
			o->ports[i].mode = LISTEN_PLAIN;
		}
		return;
	}
	if (!want)
		return;
	if (o->cert_file == NULL)
		o->cert_file = default_path(o, 0, "server.pem");
	if (o->key_file == NULL)
		o->key_file = default_path(o, 1, "server.key");
	struct tls_load l = { o->cert_file, o->key_file, NULL, NULL };
	load_apart(&l);
	cfg->tls = l.srv;
	if (cfg->tls == NULL) {
		fprintf(stderr, "%s: TLS: %s (certificate %s, key %s; "
			"`make run` creates them, or use --no-tls)\n",
			prog, l.error, o->cert_file, o->key_file);
		exit(1);
	}
}

void server_options_apply(struct server_options *o,
			  struct listener_config *cfg)
{
	const char *prog = cfg->proto;
	load_tls(o, cfg, prog);
	cfg->trace_fd = STDERR_FILENO;
	if (o->trace_file != NULL) {
		cfg->trace_fd = open(o->trace_file,
				     O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (cfg->trace_fd < 0) {
			perror(o->trace_file);
			exit(1);
		}
	}
	memcpy(cfg->binds, o->binds, sizeof(o->binds));
	cfg->nbinds = o->nbinds;
	memcpy(cfg->ports, o->ports, sizeof(o->ports));
	cfg->nports = o->nports;
	cfg->max_sessions = o->max_sessions;
	cfg->max_per_addr = o->max_per_addr;
	cfg->timeout_s = o->timeout_s;
	cfg->login_timeout_s = o->login_timeout_s;
	cfg->data_timeout_s = o->data_timeout_s;
	cfg->user = o->user;
	if (o->pidfile != NULL) {
		FILE *f = fopen(o->pidfile, "w");
		if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 ||
		    fclose(f) != 0) {
			perror(o->pidfile);
			exit(1);
		}
	}
}

bool server_cleartext_allowed(const struct server_options *o,
			      const struct conn_info *ci, bool tls_active)
{
	switch (o->cleartext) {
	case CLEARTEXT_ALWAYS:
		return true;
	case CLEARTEXT_NEVER:
		return tls_active;
	case CLEARTEXT_LOOPBACK:
		return tls_active || ci->peer_loopback;
	}
	return tls_active;
}

void server_options_free(struct server_options *o,
			 struct listener_config *cfg)
{
	tls_server_free(cfg->tls);
	cfg->tls = NULL;
	if (cfg->trace_fd != STDERR_FILENO && cfg->trace_fd >= 0)
		close(cfg->trace_fd);
	if (o->pidfile != NULL)
		unlink(o->pidfile);
	free(o->owned[0]);
	free(o->owned[1]);
}
