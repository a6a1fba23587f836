/*
 * imap_session.h - the glue between the listener, netio and the IMAP core.
 */
#ifndef MAILLAB_IMAP_SESSION_H
#define MAILLAB_IMAP_SESSION_H

#include "../core/options.h"

/** What every IMAP session of one server shares. */
struct imap_server {
	const struct server_options *opts; /**< the parsed command line */
	char users_file[4096]; /**< DATA/users */
};

/** Run one session on a connected netio (the listener's serve hook). */
void imap_serve(struct netio *io, const struct conn_info *ci, void *arg);
/** Refuse a client over the session limit (the listener's refuse hook). */
void imap_refuse(struct netio *io, const struct conn_info *ci, void *arg);

#endif
