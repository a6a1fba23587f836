/*
 * lg_pop3.c - the POP3 client of the load generator: one whole session
 * per operation, the way fetchmail or a phone's mail app collects mail.
 *
 * RFC 1939: the greeting (§4), USER and PASS (§7), STAT (§5), RETR of
 * every message (§5), QUIT (§6).  The user comes from --users, so that at
 * C clients and U users (C dividing U) no two sessions want the same
 * maildrop at once: a POP3 server locks it for the session (§8).
 *
 * Everything received is checked: every reply must be +OK, and the
 * octets of the messages, once byte-stuffing is removed, must add up to
 * the size STAT announced (RFC 1939 §5 counts them with CRLF line ends).
 * A server that sent a short or a doubled message would fail here, not
 * get a better throughput figure.
 */
#include "loadgen.h"

#include "lg_parse.h"

#include <string.h>

/* status - one status line; -1 unless it is +OK. */
static int status(struct lg_client *c, const char *after, char **line_r)
{
	char *line;
	size_t len;
	if (lg_read_line(c, &line, &len) < 0)
		return -1;
	if (lg_pop3_status(line, len) != 1)
		return lg_fail(c, "after %s: %.160s", after, line);
	if (line_r != NULL)
		*line_r = line;
	return 0;
}

/* body - the lines of a multi-line reply up to "."; adds their octets
 * (without stuffing, with CRLF) to *@octets, and to the octets moved as
 * they arrive, so that a session cut by --limit still counts what it
 * fetched. */
static int body(struct lg_client *c, unsigned long long *octets)
{
	for (;;) {
		char *line;
		size_t len;
		if (lg_read_line(c, &line, &len) < 0)
			return -1;
		long n = lg_pop3_data_len(line, len);
		if (n < 0)
			return 0;
		*octets += (unsigned long long)n + 2;
		c->counts.bytes += (uint64_t)n + 2;
	}
}

/* login - connect, greeting, USER and PASS. */
static int login(struct lg_client *c)
{
	const struct lg_conf *conf = c->run->conf;
	char user[LG_USER_MAX + 1];
	lg_session_user(c, user);
	if (lg_connect(c) < 0 || status(c, "connect", NULL) < 0 ||
	    lg_sendf(c, "USER %s", user) < 0 || status(c, "USER", NULL) < 0 ||
	    lg_sendf(c, "PASS %s", conf->password) < 0 ||
	    status(c, "PASS", NULL) < 0)
		return -1;
	return 0;
}

/* retrieve_all - STAT, then RETR 1 .. n; checks the octets add up. */
static int retrieve_all(struct lg_client *c)
{
	char *line;
	unsigned long count;
	unsigned long long announced, got = 0;
	if (lg_sendf(c, "STAT") < 0 || status(c, "STAT", &line) < 0)
		return -1;
	if (lg_pop3_stat(line, &count, &announced) < 0)
		return lg_fail(c, "STAT: not \"+OK count octets\": %.80s", line);
	for (unsigned long i = 1; i <= count; i++) {
		if (lg_sendf(c, "RETR %lu", i) < 0 || status(c, "RETR", NULL) < 0 ||
		    body(c, &got) < 0)
			return -1;
	}
	if (got != announced)
		return lg_fail(c, "RETR sent %llu octets, STAT announced %llu",
			       got, announced);
	c->counts.items += count;
	return 0;
}

int lg_pop3_login(struct lg_client *c)
{
	/* RFC 1939 §5: STAT is the cheapest proof the maildrop was opened */
	char *line;
	unsigned long count;
	unsigned long long octets;
	int r = -1;
	if (login(c) == 0 && lg_sendf(c, "STAT") == 0 &&
	    status(c, "STAT", &line) == 0) {
		if (lg_pop3_stat(line, &count, &octets) < 0)
			lg_fail(c, "STAT: not \"+OK count octets\": %.80s", line);
		else if (lg_sendf(c, "QUIT") == 0 && status(c, "QUIT", NULL) == 0)
			r = 0;
	}
	lg_disconnect(c);
	return r;
}

int lg_pop3_session(struct lg_client *c)
{
	int r = login(c) == 0 && retrieve_all(c) == 0 &&
		lg_sendf(c, "QUIT") == 0 && status(c, "QUIT", NULL) == 0
		? 0 : -1;
	lg_disconnect(c);
	return r;
}
