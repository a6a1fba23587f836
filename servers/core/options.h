/*
 * options.h - the command line every maillab server shares.
 *
 *   -d, --data DIR         data directory: users file, mail/, tls/ (./data)
 *   -l, --listen PORT[:M]  a port and its TLS mode M: plain|starttls|tls
 *   -b, --bind ADDR        an address to bind (default 127.0.0.1 and ::1)
 *       --cert FILE        certificate chain (DIR/tls/server.pem)
 *       --key FILE         private key (DIR/tls/server.key)
 *       --no-tls           run without TLS: starttls ports become plain
 *       --cleartext POLICY when passwords may cross without TLS:
 *                          loopback (default), always, never
 *       --max-sessions N   concurrent sessions before refusing
 *       --max-per-address N  sessions from one client address
 *       --timeout SECS     idle timeout (per line, however it trickles in)
 *       --login-timeout SECS  connect to login, in all
 *       --data-timeout SECS   one whole message
 *       --user NAME        started as root: bind, then become NAME
 *       --auth-delay MS    pause before answering a failed login
 *       --hostname NAME    name in greetings (default: gethostname())
 *       --trace FILE       trace lines go here (default: stderr)
 *       --pidfile FILE     write the server's pid here
 *   -h, --help
 *
 * Each server passes its own default ports and idle timeout; the rest is
 * the same for all, so a lab handout explains it once.
 */
#ifndef MAILLAB_OPTIONS_H
#define MAILLAB_OPTIONS_H

#include "listener.h"

/** When credentials may be sent over a connection without TLS. */
enum cleartext_policy {
	CLEARTEXT_LOOPBACK, /**< only from 127.0.0.0/8 and ::1 (sniffing labs) */
	CLEARTEXT_ALWAYS,   /**< from anywhere (an explicit choice) */
	CLEARTEXT_NEVER,    /**< never: STARTTLS or implicit TLS first */
};

/** The options every server shares, after parsing. */
struct server_options {
	const char *data_dir;    /**< --data: users file, mail/, tls/ */
	const char *cert_file;   /**< malloc'ed default or from argv */
	const char *key_file;    /**< --key: private key (malloc'ed default or from argv) */
	const char *trace_file;  /**< --trace: NULL for stderr */
	const char *pidfile;     /**< --pidfile, or NULL */
	char hostname[256];      /**< --hostname, or gethostname() */
	bool no_tls;             /**< --no-tls */
	enum cleartext_policy cleartext; /**< --cleartext */
	unsigned max_sessions;   /**< --max-sessions */
	unsigned max_per_addr;   /**< --max-per-address (0: no cap of its own) */
	unsigned timeout_s;      /**< --timeout, seconds */
	unsigned login_timeout_s; /**< --login-timeout, seconds */
	unsigned data_timeout_s; /**< --data-timeout, seconds */
	const char *user;        /**< --user, or NULL */
	unsigned auth_delay_ms;  /**< --auth-delay, milliseconds */
	unsigned sleep_after_s;  /**< --sleep-after (imapd), seconds; 0: never */
	const char *binds[SERVER_BINDS_MAX]; /**< --bind addresses */
	int nbinds;              /**< entries in binds */
	struct listen_port ports[SERVER_PORTS_MAX]; /**< --listen ports and modes */
	int nports;              /**< entries in ports */
	char *owned[2];          /**< strings to free */
};

/** What a server brings to option parsing. */
struct server_defaults {
	const char *prog;                 /**< "pop3d" */
	const char *summary;              /**< one line for --help */
	const struct listen_port *ports;  /**< used when no --listen is given */
	int nports;                       /**< entries in ports */
	unsigned timeout_s;               /**< idle timeout, seconds */
	unsigned sleep_after_s;           /**< imapd: quiet seconds before the
					       mailbox view sleeps; 0 for a
					       server without one (then there
					       is no --sleep-after) */
};

/**
 * Parse argv.  Prints usage and exits on --help (0) or a bad option (2);
 * on success fills @p o.
 */
void server_options_parse(int argc, char **argv,
			  const struct server_defaults *def,
			  struct server_options *o);

/**
 * Prepare what the listener needs from the options: open the trace,
 * load TLS (if any port wants it and --no-tls is not given), write the
 * pidfile.  Exits with a clear message on failure.
 */
void server_options_apply(struct server_options *o,
			  struct listener_config *cfg);

/** True if this connection may carry a password in cleartext now. */
bool server_cleartext_allowed(const struct server_options *o,
			      const struct conn_info *ci, bool tls_active);

/** Release what parsing and applying allocated. */
void server_options_free(struct server_options *o,
			 struct listener_config *cfg);

#endif
