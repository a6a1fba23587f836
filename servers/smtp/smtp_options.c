/*
 * smtp_options.c - smtpd's own options (see smtp_options.h).
 *
 * The shared parser in servers/core/options.c knows the options every
 * server has; the few that only an SMTP server needs are taken out of
 * argv here first, so the shared code stays the same for every server.
 */
#include "smtp_options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "smtpd: %s: %s\n", what, arg);
	exit(2);
}

static unsigned long number(const char *name, const char *s,
			    unsigned long max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v == 0 || v > max)
		die(name, s);
	return v;
}

static void usage_extra(void)
{
	printf("smtpd options (besides those below):\n"
	       "      --listen PORT[:M[:ROLE]]  ROLE = mx or submission (default: tls ports\n"
	       "                         and 587/10587 are submission, others mx)\n"
	       "      --domain NAME      a local domain (repeatable; default maillab.test, localhost)\n"
	       "      --postmaster USER  the user who reads postmaster@ (default postmaster)\n"
	       "      --max-size OCTETS  SIZE limit (default %u)\n"
	       "      --advertise-cram-md5  list CRAM-MD5 in EHLO (hashed users cannot use it)\n"
	       "      --retry SECS       first retry of a deferred relay, then doubling (default %d)\n"
	       "      --lifetime SECS    bounce a relayed message after this long (default %d)\n"
	       "      --reuse N          sessions one process serves before it exits\n"
	       "                         (default %d; 1: a new process per connection)\n"
	       "      --reuse-idle SECS  a process waits this long for its next client\n"
	       "                         before it exits (default %d)\n"
	       "      --flush group|file make deliveries durable with one syncfs for\n"
	       "                         many sessions (group, default) or an fsync\n"
	       "                         of each file and directory (file)\n\n",
	       SMTP_SIZE_MAX, SMTP_RETRY_FIRST_S, SMTP_QUEUE_LIFETIME_S,
	       SMTP_PROCESS_REUSE, SMTP_PROCESS_IDLE_S);
}

/* role_of - cut ":ROLE" off a --listen value and remember it. */
static void role_of(struct smtp_options *so, char *spec)
{
	char *c1 = strchr(spec, ':');
	char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (c2 == NULL)
		return;
	*c2++ = '\0';
	if (so->nroles == SERVER_PORTS_MAX)
		die("too many --listen ports", spec);
	struct smtp_port_role *r = &so->roles[so->nroles++];
	r->port = (unsigned short)atoi(spec);
	if (strcmp(c2, "mx") == 0)
		r->role = SMTP_ROLE_MX;
	else if (strcmp(c2, "submission") == 0)
		r->role = SMTP_ROLE_SUBMISSION;
	else
		die("--listen role must be mx or submission", c2);
}

/* take - one of our options with its value at argv[*i]; false if the
 * argument is not ours. */
static bool take(struct smtp_options *so, int argc, char **argv, int *i)
{
	static const char *const with_value[] = {
		"--domain", "--postmaster", "--max-size", "--retry", "--lifetime",
		"--reuse", "--reuse-idle", "--flush",
	};
	char *a = argv[*i];
	if (strcmp(a, "--advertise-cram-md5") == 0) {
		so->advertise_cram = true;
		return true;
	}
	for (size_t k = 0; k < sizeof(with_value) / sizeof(*with_value); k++) {
		const char *name = with_value[k];
		size_t n = strlen(name);
		const char *val;
		if (strncmp(a, name, n) == 0 && a[n] == '=')
			val = a + n + 1;
		else if (strcmp(a, name) == 0 && *i + 1 < argc)
			val = argv[++*i];
		else
			continue;
		if (k == 0 && so->ndomains == SMTP_DOMAINS_MAX)
			die("too many --domain", val);
		if (k == 0)
			so->domains[so->ndomains++] = val;
		else if (k == 1)
			so->postmaster = val;
		else if (k == 2)
			so->max_size = number(name, val, MAIL_MESSAGE_MAX);
		else if (k == 3)
			so->retry_s = (unsigned)number(name, val, 86400);
		else if (k == 4)
			so->lifetime_s = (unsigned)number(name, val, 365 * 86400);
		else if (k == 5)
			so->reuse = (unsigned)number(name, val, 100000);
		else if (k == 6)
			so->reuse_idle_s = (unsigned)number(name, val, 86400);
		else if (strcmp(val, "group") == 0 || strcmp(val, "file") == 0)
			so->flush_file = strcmp(val, "file") == 0;
		else
			die("--flush must be group or file", val);
		return true;
	}
	return false;
}

void smtp_options_extract(int argc, char **argv, struct smtp_options *so)
{
	memset(so, 0, sizeof(*so));
	so->postmaster = "postmaster";
	so->max_size = SMTP_SIZE_MAX;
	so->retry_s = SMTP_RETRY_FIRST_S;
	so->lifetime_s = SMTP_QUEUE_LIFETIME_S;
	so->reuse = SMTP_PROCESS_REUSE;
	so->reuse_idle_s = SMTP_PROCESS_IDLE_S;
	so->rest = calloc((size_t)argc + 1, sizeof(char *));
	if (so->rest == NULL)
		exit(1);
	so->rest[so->nrest++] = argv[0];
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (take(so, argc, argv, &i))
			continue;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			usage_extra();
		if ((strcmp(a, "--listen") == 0 || strcmp(a, "-l") == 0) &&
		    i + 1 < argc) {
			so->rest[so->nrest++] = a;
			a = argv[++i];
			role_of(so, a);
		} else if (strncmp(a, "--listen=", 9) == 0) {
			role_of(so, a + 9);
		}
		so->rest[so->nrest++] = a;
	}
	if (so->ndomains == 0) {
		so->domains[so->ndomains++] = "maillab.test";
		so->domains[so->ndomains++] = "localhost";
	}
}

enum smtp_role smtp_options_role(const struct smtp_options *so,
				 const struct listen_port *port)
{
	for (int i = so->nroles - 1; i >= 0; i--)
		if (so->roles[i].port == port->port)
			return so->roles[i].role;
	/* RFC 8314 §3.3: implicit TLS is for submission (465); RFC 6409
	 * §3.1: port 587 is submission */
	if (port->mode == LISTEN_TLS || port->port == 587 || port->port == 10587)
		return SMTP_ROLE_SUBMISSION;
	return SMTP_ROLE_MX;
}

void smtp_options_free(struct smtp_options *so)
{
	free(so->rest);
	so->rest = NULL;
}
