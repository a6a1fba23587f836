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
 * and forks one process per connection, like qmail, Postfix's smtpd and
 * Dovecot's imap: a crash or a slow client touches one session only.  The
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

enum listen_mode {
	LISTEN_PLAIN,
	LISTEN_STARTTLS,
	LISTEN_TLS,
};

struct listen_port {
	unsigned short port;
	enum listen_mode mode;
};

/** What a session process knows about its connection. */
struct conn_info {
	struct trace trace;       /**< this session's trace (id filled in) */
	char peer[64];            /**< "127.0.0.1:54321" or "[::1]:54321" */
	bool peer_loopback;       /**< from 127.0.0.0/8 or ::1 */
	unsigned short local_port;
	enum listen_mode mode;    /**< the port's TLS mode */
	struct tls_server *tls;   /**< for STARTTLS; NULL if none configured */
};

struct listener_config {
	const char *proto;                 /**< "pop3": used in the trace */
	const char *binds[SERVER_BINDS_MAX];
	int nbinds;
	struct listen_port ports[SERVER_PORTS_MAX];
	int nports;
	unsigned max_sessions;
	unsigned timeout_s;                /**< idle timeout for sessions */
	size_t max_line;                   /**< line limit netio starts with */
	struct tls_server *tls;            /**< NULL: no TLS anywhere */
	int trace_fd;
	/** Run one session; @p io is connected (TLS already up on TLS ports). */
	void (*serve)(struct netio *io, const struct conn_info *ci, void *arg);
	/** Tell a client over the limit that it is refused (one reply). */
	void (*refuse)(struct netio *io, const struct conn_info *ci, void *arg);
	void *arg;
};

/** Parse "PORT[:plain|starttls|tls]" into @p port_r; -1 if malformed. */
int listener_parse_port(const char *spec, enum listen_mode fallback,
			struct listen_port *port_r);
/** Name of a mode: "plain", "starttls", "tls". */
const char *listener_mode_name(enum listen_mode mode);

/**
 * Bind everything, then accept until SIGTERM/SIGINT.  Returns 0 after a
 * clean shutdown, -1 with @p error_r if binding failed.
 */
int listener_run(const struct listener_config *cfg, const char **error_r);

#endif
