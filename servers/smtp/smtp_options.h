/*
 * smtp_options.h - the command line that only smtpd has, on top of the
 * shared one (servers/core/options.h):
 *
 *   --listen PORT[:MODE[:ROLE]]  ROLE is mx or submission.  Without one,
 *                         an implicit-TLS port and port 587/10587 are
 *                         submission, every other port is mx.
 *   --domain NAME         a local domain (repeatable; default maillab.test
 *                         and localhost)
 *   --postmaster USER     who reads postmaster@ (default: postmaster)
 *   --max-size OCTETS     the SIZE limit (default SMTP_SIZE_MAX)
 *   --advertise-cram-md5  list CRAM-MD5 in EHLO (see smtp_auth.c)
 *   --retry SECS          first retry of a deferred relay (then doubling)
 *   --lifetime SECS       give up on a relayed message after this long
 *   --reuse N             sessions one process serves, one after the
 *                         other, before it exits (1: a process each)
 *   --reuse-idle SECS     how long such a process waits for the next
 *                         client before it exits
 *   --flush group|file    how a delivery is made durable: one syncfs
 *                         for the deliveries of many sessions (group,
 *                         the default; servers/core/flush.h) or an
 *                         fsync of each file and directory (file)
 *
 * smtp_options_extract() takes these out of argv and leaves the rest,
 * with ":ROLE" cut off each --listen, for server_options_parse().
 */
#ifndef MAILLAB_SMTP_OPTIONS_H
#define MAILLAB_SMTP_OPTIONS_H

#include "../core/listener.h"
#include "smtp_core.h"

/** A port given an explicit role with --listen PORT:MODE:ROLE. */
struct smtp_port_role {
	unsigned short port; /**< TCP port number */
	enum smtp_role role; /**< MX or submission */
};

/** smtpd's own options, besides the ones every server shares. */
struct smtp_options {
	const char *domains[SMTP_DOMAINS_MAX]; /**< --domain */
	int ndomains;            /**< entries in domains */
	const char *postmaster;  /**< --postmaster */
	unsigned long max_size;  /**< --max-size, octets */
	bool advertise_cram;     /**< --advertise-cram-md5 */
	unsigned retry_s;        /**< --retry, seconds */
	unsigned lifetime_s;     /**< --lifetime, seconds */
	unsigned reuse;          /**< --reuse: sessions per process */
	unsigned reuse_idle_s;   /**< --reuse-idle, seconds */
	bool flush_file;         /**< --flush file: an fsync per delivery */
	struct smtp_port_role roles[SERVER_PORTS_MAX]; /**< explicit roles */
	int nroles;              /**< entries in roles */
	char **rest;             /**< argv for server_options_parse() */
	int nrest;               /**< entries in rest */
};

/** Take smtpd's own options out of argv; exits with usage on errors. */
void smtp_options_extract(int argc, char **argv, struct smtp_options *so);

/** The role of a listening port (explicit, or by the rule above). */
enum smtp_role smtp_options_role(const struct smtp_options *so,
				 const struct listen_port *port);

/** Free what extraction allocated. */
void smtp_options_free(struct smtp_options *so);

#endif
