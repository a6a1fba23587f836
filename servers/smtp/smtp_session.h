/*
 * smtp_session.h - the glue between the listener, netio and the SMTP core.
 */
#ifndef MAILLAB_SMTP_SESSION_H
#define MAILLAB_SMTP_SESSION_H

#include "../core/options.h"
#include "smtp_options.h"

#include <sys/types.h>

/** What every SMTP session of one server shares. */
struct smtp_server {
	const struct server_options *opts; /**< the parsed command line */
	const struct smtp_options *smtp; /**< smtpd's own options */
	char users_file[4096];     /**< DATA/users */
	pid_t runner;              /**< the queue runner, woken with SIGUSR1 */
};

/** Run one session on a connected netio (the listener's serve hook). */
void smtp_serve(struct netio *io, const struct conn_info *ci, void *arg);
/** Refuse a client over the session limit (the listener's refuse hook). */
void smtp_refuse(struct netio *io, const struct conn_info *ci, void *arg);

#endif
