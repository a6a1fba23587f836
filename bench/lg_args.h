/*
 * lg_args.h - the load generator's command line, and the names it builds
 * from it (users, recipients).
 *
 *   loadgen --workload NAME --port N [options]
 *
 * Parsing is a pure function of argv (no getopt state, no exit()), so the
 * unit tests feed it arrays of strings.  The options are listed, with
 * their defaults, by `loadgen --help` and in docs/bench.md.
 */
#ifndef MAILLAB_LG_ARGS_H
#define MAILLAB_LG_ARGS_H

#include "lg_limits.h"

#include <stdbool.h>
#include <stddef.h>

struct lg_workload;

struct lg_conf {
	const struct lg_workload *workload;
	const char *host;       /**< numeric address (loopback in the bench) */
	unsigned port;
	unsigned clients;       /**< concurrent sessions */
	double duration_s;      /**< run this long, unless count is set */
	unsigned long count;    /**< or this many operations in all */
	double warmup_s;        /**< operations started earlier are not counted */
	double limit_s;         /**< 0, or cut operations still running then */
	bool tls;               /**< implicit TLS (RFC 8314 §3.3) */
	const char *cafile;     /**< the CA to verify the server with */
	const char *user;       /**< a user name, or the prefix of --users */
	unsigned users;         /**< 0: always --user; N: user0 .. user(N-1) */
	const char *password;
	const char *rcpt;       /**< local@domain, or the pattern of --rcpts */
	unsigned rcpts;         /**< 0: always --rcpt; N: local0@d .. */
	bool no_pipelining;     /**< SMTP: one command at a time, even if
				     the server offers PIPELINING */
	size_t size;            /**< octets per SMTP or APPEND message */
	const char *mailbox;    /**< IMAP mailbox to SELECT or APPEND to */
	const char *text;       /**< the word UID SEARCH TEXT looks for */
	unsigned timeout_s;     /**< wait for one reply */
};

/**
 * Parse @p argv (argv[0] is the program name).  Returns 0, 1 if --help
 * was asked, or -1 with a message naming the option in @p err.
 */
int lg_args_parse(int argc, char *const argv[], struct lg_conf *conf,
		  char *err, size_t err_size);

/** The usage text. */
const char *lg_args_usage(void);

/**
 * Which of the --users a client uses for its @p k-th session: client i
 * takes i, i + clients, i + 2 * clients, ... (mod users).  When clients
 * divides users, two clients never hold the same user at once, which
 * POP3 needs (the maildrop is locked per session, RFC 1939 §8).
 */
unsigned lg_user_index(const struct lg_conf *conf, unsigned client,
		       unsigned long k);

/** The user name for that index into @p out (LG_USER_MAX + 1 octets). */
void lg_user_name(const struct lg_conf *conf, unsigned index, char *out);

/** The recipient of client @p client into @p out (LG_RCPT_MAX + 1). */
void lg_rcpt(const struct lg_conf *conf, unsigned client, char *out);

#endif
