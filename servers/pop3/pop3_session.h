/*
 * pop3_session.h - the glue between the listener, netio and the POP3 core.
 */
#ifndef MAILLAB_POP3_SESSION_H
#define MAILLAB_POP3_SESSION_H

#include "../core/options.h"

/** What every POP3 session of one server shares. */
struct pop3_server {
	const struct server_options *opts; /**< the parsed command line */
	char users_file[4096]; /**< DATA/users */
};

/** Run one session on a connected netio (the listener's serve hook). */
void pop3_serve(struct netio *io, const struct conn_info *ci, void *arg);
/** Refuse a client over the session limit (the listener's refuse hook). */
void pop3_refuse(struct netio *io, const struct conn_info *ci, void *arg);

#endif
