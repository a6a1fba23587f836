/*
 * listener.h - accept connections and give each one its own process.
 *
 * Every maillab server is one listener plus a protocol.  The listener binds
 * each configured address (IPv4 and IPv6) on each configured port, each port
 * with its TLS mode:
 *
 *   LISTEN_PLAIN     no TLS at all (no certificate configured)
 *   LISTEN_STARTTLS  plaintext that may upgrade (STLS, STARTTLS; RFC 2595)
 *   LISTEN_TLS       implicit TLS: handshake first (RFC 8314 §3.3)
 *
 * and gives each connection a process of its own, like qmail, Postfix's
 * smtpd and Dovecot's imap: a crash or a slow client touches one session
 * only.  pop3d and imapd fork a fresh process for every connection, so
 * no process ever holds two users' mail.  smtpd, like Postfix's smtpd,
 * reuses a process for up to max_reuse sessions, one after the other: on
 * a virtual machine a fork and an exit cost milliseconds, more than a
 * whole SMTP transaction.  The
 * parent counts its children; a client over the limit still gets a proper
 * refusal from the protocol (e.g. "-ERR [SYS/TEMP] too many connections")
 * before its connection is closed.  SIGTERM or SIGINT stops accepting,
 * passes the signal on to the sessions, and waits for them.
 */
#ifndef MAILLAB_LISTENER_H
#define MAILLAB_LISTENER_H

#include "../../common/trace.h"
#include "../../proto/limits.h"

#include <stdbool.h>
#include <stddef.h>

struct netio;
struct tls_server;

/** The TLS mode of a listening port. */
enum listen_mode {
	LISTEN_PLAIN,
	LISTEN_STARTTLS,
	LISTEN_TLS,
};

/** One listening port and its mode. */
struct listen_port {
	unsigned short port; /**< TCP port number */
	enum listen_mode mode; /**< plain, STARTTLS or implicit TLS */
};

/** What a session process knows about its connection. */
struct conn_info {
	struct trace trace;       /**< this session's trace (id filled in) */
	char peer[64];            /**< "127.0.0.1:54321" or "[::1]:54321" */
	bool peer_loopback;       /**< from 127.0.0.0/8 or ::1 */
	unsigned short local_port; /**< the port the client connected to */
	enum listen_mode mode;    /**< the port's TLS mode */
	struct tls_server *tls;   /**< for STARTTLS; NULL if none configured */
	unsigned char addr[16];   /**< the peer's address (IPv4 as ::ffff:a.b.c.d) */
	unsigned login_timeout_s; /**< to log in, from the connect (0: none) */
	unsigned data_timeout_s;  /**< to send one message (0: none) */
	struct listener_shared *shared; /**< the listener's table, or NULL */
	int slot;                 /**< this session's place in it */
};

/** Failed logins counted per client address, over all sessions. */
#define LISTENER_PEERS 256

/** One address's failed logins, in struct listener_shared. */
struct listener_peer {
	unsigned char addr[16]; /**< the address (IPv4 as ::ffff:a.b.c.d) */
	int used;               /**< claimed (atomically) */
	unsigned failures;      /**< failed logins in a row */
	long long last;         /**< when the last one was, monotonic seconds */
};

/**
 * What every process of one server shares: a MAP_SHARED mapping the
 * listener makes before its first fork.  Sessions write their phase and
 * their address's failed logins (session.c); the listener reads phases to
 * choose whom to close when it is full.  No locks: each field is written
 * with atomic operations, and a lost race only miscounts one failure.
 */
struct listener_shared {
	struct listener_peer peers[LISTENER_PEERS]; /**< by address hash */
	int phase[];            /**< per session slot: enum listener_phase */
};

/**
 * Where a session is, as the listener sees it (session_set_phase()):
 * only a session that has not logged in may be closed to make room for a
 * new client, and the deadlines follow the phase (session_set_phase()).
 */
enum listener_phase {
	LISTENER_LOGIN,   /**< connected, not logged in (POP3, IMAP, SMTP
			       submission) or no transaction yet (SMTP MX) */
	LISTENER_IN,      /**< logged in, or an SMTP transaction under way */
	LISTENER_MESSAGE, /**< a message (DATA, BDAT, APPEND) is arriving */
};

/** Everything listener_run() needs: where to listen and what to run. */
struct listener_config {
	const char *proto;                 /**< "pop3": used in the trace */
	const char *binds[SERVER_BINDS_MAX]; /**< addresses to bind */
	int nbinds;                        /**< entries in binds */
	struct listen_port ports[SERVER_PORTS_MAX]; /**< ports, each with its TLS mode */
	int nports;                        /**< entries in ports */
	unsigned max_sessions;             /**< sessions at once before clients are refused */
	unsigned max_per_addr;             /**< sessions from one address (0: no cap) */
	unsigned max_reuse;                /**< sessions one process serves, one
						after the other (0 or 1: a new
						process for each) */
	unsigned reuse_idle_s;             /**< seconds an idle reusable process
						waits for a client before it is
						let go */
	unsigned timeout_s;                /**< idle timeout for sessions */
	unsigned login_timeout_s;          /**< see struct conn_info */
	unsigned data_timeout_s;           /**< see struct conn_info */
	const char *user;                  /**< run as this user when started as root */
	size_t max_line;                   /**< line limit netio starts with */
	struct tls_server *tls;            /**< NULL: no TLS anywhere */
	int trace_fd;                      /**< descriptor trace lines go to */
	/** Run one session; @p io is connected (TLS already up on TLS ports). */
	void (*serve)(struct netio *io, const struct conn_info *ci, void *arg);
	/** Tell a client over the limit that it is refused (one reply). */
	void (*refuse)(struct netio *io, const struct conn_info *ci, void *arg);
	void *arg;                         /**< passed to serve() and refuse() */
};

/** Parse "PORT[:plain|starttls|tls]" into @p port_r; -1 if malformed. */
int listener_parse_port(const char *spec, enum listen_mode fallback,
			struct listen_port *port_r);
/** Name of a mode: "plain", "starttls", "tls". */
const char *listener_mode_name(enum listen_mode mode);

/**
 * Bind everything, give up root (listener_drop_privileges()), then accept
 * until SIGTERM/SIGINT.  Returns 0 after a clean shutdown, -1 with
 * @p error_r if binding or dropping privileges failed.
 */
int listener_run(const struct listener_config *cfg, const char **error_r);

/**
 * Started as root: become @p user (its uid, gid and groups), for good,
 * before any client input is read.  Not root: nothing to do.  Root and no
 * user: nothing is done, and @p note_r says so (the documented choice of
 * docs/robustness.md: `make run` and the tests run as the invoking user).
 */
int listener_drop_privileges(const char *user, const char **note_r,
			     const char **error_r);


#endif
