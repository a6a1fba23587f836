/*
 * loadgen.h - what the files of the load generator share: a run, its
 * clients, and the table of workloads.
 *
 * A run starts --clients threads.  Each is one client: it opens its
 * session (the workload's set-up, e.g. connect, LOGIN, SELECT) and then
 * repeats the workload's operation (e.g. one FETCH) until the time or the
 * count is up, timing each operation.  A workload that needs a new
 * connection for every operation (a POP3 session, an IMAP login) has no
 * set-up: its operation connects and disconnects.  An operation that
 * fails counts as an error and closes the session; the client then opens
 * a new one, and stops after LG_FAILURES_IN_A_ROW failures in a row.
 *
 *   lg_conn.c      connect, TLS, read and send lines, record errors
 *   lg_smtp.c      SMTP: a message per operation, on one connection or a
 *                  new one each time
 *   lg_pop3.c      POP3: login, STAT, RETR of every message, QUIT
 *   lg_imap.c      IMAP: LOGIN, SELECT, FETCH, SEARCH, STORE, APPEND
 *   lg_workloads.c the table below, by name
 *   loadgen.c      main(): the threads, the clock, the JSON report
 *
 * The load generator is a client: it uses common/ (netio, tls, linebuf)
 * and nothing of the servers.
 */
#ifndef MAILLAB_LOADGEN_H
#define MAILLAB_LOADGEN_H

#include "lg_args.h"
#include "lg_stats.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct netio;
struct tls_client;

/** What all clients of one run share; written only before they start,
 * except for the two atomics. */
struct lg_run {
	const struct lg_conf *conf;
	struct tls_client *tls;   /**< NULL without --tls */
	const char *body;         /**< message body for SMTP and APPEND */
	size_t body_len;
	uint64_t start_us;        /**< when the clients were let go */
	uint64_t warm_end_us;     /**< operations starting earlier are not counted */
	uint64_t deadline_us;     /**< no operation starts after this */
	uint64_t cut_us;          /**< operations still running are cut, or 0 */
	atomic_ulong claimed;     /**< operations claimed, with --count */
	atomic_bool stop;         /**< set on SIGINT/SIGTERM */
};

/** One client: one thread, at most one session at a time. */
struct lg_client {
	struct lg_run *run;
	unsigned index;           /**< 0 .. clients-1 */
	struct netio *io;         /**< NULL while not connected */
	bool verified;            /**< the server's certificate was checked */
	unsigned long seq;        /**< operations this client started */
	unsigned long sessions;   /**< sessions it opened (for --users) */
	unsigned long ticket;     /**< with --count: the number of this operation */
	unsigned long tagno;      /**< IMAP tags: a1, a2, ... */
	long exists;              /**< messages in the selected IMAP mailbox */
	bool pipelining;          /**< SMTP: MAIL, RCPT and DATA in one write */
	char *text;               /**< lg_send_text()'s buffer, or NULL */
	unsigned failures;        /**< failures in a row */
	bool cut;                 /**< the current operation hit --limit */
	struct lg_counts counts;
	char error[LG_ERROR_MAX]; /**< the first error, for the report */
};

typedef int (*lg_step)(struct lg_client *c);

struct lg_workload {
	const char *name;
	lg_step setup;   /**< open a session, or NULL: op opens its own */
	lg_step op;      /**< one measured operation; NULL: hold sessions */
	lg_step finish;  /**< end a session politely (QUIT, LOGOUT), or NULL */
	const char *help;
};

/** The workload called @p name, or NULL. */
const struct lg_workload *lg_workload_find(const char *name);
/** The table, ended by an entry with name NULL (for --help). */
extern const struct lg_workload lg_workloads[];

/* ---- lg_conn.c: sessions ------------------------------------------- */

/** Connect to the server (and run the TLS handshake with --tls). */
int lg_connect(struct lg_client *c);
/** Close the session, if any, without a goodbye. */
void lg_disconnect(struct lg_client *c);
/** Record an error (the first one is kept) and return -1. */
int lg_fail(struct lg_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Read one line (CRLF removed, NUL-terminated); -1 on EOF or timeout,
 * and once the run's --limit has passed (the operation is then cut). */
int lg_read_line(struct lg_client *c, char **line_r, size_t *len_r);
/** Read exactly @p n raw octets (an IMAP literal), discarding them. */
int lg_skip_bytes(struct lg_client *c, size_t n);
/** Send bytes as they are. */
int lg_send(struct lg_client *c, const void *data, size_t len);
/**
 * Send a message in one write: @p header (at most LG_HEADER_MAX octets),
 * the run's body, then @p end ("." CRLF after SMTP's DATA, CRLF after an
 * IMAP literal), as a client that has the message ready writes it.  Sent
 * in three writes, with TCP_NODELAY, each would leave as a packet of its
 * own and wake the server three times.  The body is copied into the
 * client's buffer once; each message then writes only its header, just
 * in front of it.
 */
int lg_send_text(struct lg_client *c, const char *header, size_t hlen,
		 const char *end);
/** Send one printf-formatted command line, CRLF added. */
int lg_sendf(struct lg_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Microseconds on the monotonic clock. */
uint64_t lg_now_us(void);
/**
 * The user name for the session the client opens now (LG_USER_MAX + 1
 * octets).  With --count, operation number n uses user n mod --users, so
 * a run of --count N over N users visits each exactly once; otherwise see
 * lg_user_index().
 */
void lg_session_user(struct lg_client *c, char *out);

/* ---- the workloads ------------------------------------------------- */

int lg_greeting(struct lg_client *c);
int lg_smtp_setup(struct lg_client *c);
int lg_smtp_message(struct lg_client *c);
int lg_smtp_session(struct lg_client *c);
int lg_smtp_quit(struct lg_client *c);
int lg_pop3_session(struct lg_client *c);
int lg_pop3_login(struct lg_client *c);
int lg_imap_login(struct lg_client *c);
int lg_imap_setup_auth(struct lg_client *c);
int lg_imap_setup_selected(struct lg_client *c);
int lg_imap_select(struct lg_client *c);
int lg_imap_fetch_flags(struct lg_client *c);
int lg_imap_fetch_body(struct lg_client *c);
int lg_imap_search_text(struct lg_client *c);
int lg_imap_search_flags(struct lg_client *c);
int lg_imap_store(struct lg_client *c);
int lg_imap_append(struct lg_client *c);
int lg_imap_logout(struct lg_client *c);

#endif
