/*
 * smtp_runner.h - the queue runner: the process that empties the relay
 * queue (RFC 5321 §4.5.4, "Retry Strategies").
 *
 * smtpd's main() forks it before it starts listening.  It goes through
 * DATA/queue/env/, tries every message that is due, and then sleeps until
 * the next one is due or until a session wakes it (SIGUSR1, sent after a
 * message was queued).  It never polls: with an empty queue it sleeps
 * until it is woken or stopped.
 *
 * For each recipient the next hop's answer decides:
 *   2xx      delivered: the recipient leaves the envelope
 *   4xx      (or no connection) tried again later; each failure doubles
 *            the wait, from --retry up to SMTP_RETRY_MAX_S
 *   5xx      failed for good: the sender gets a bounce (smtp_bounce.c)
 * and a message still undelivered after --lifetime seconds is bounced
 * for the recipients left (RFC 5321 §4.5.4.1, status 4.4.7).
 */
#ifndef MAILLAB_SMTP_RUNNER_H
#define MAILLAB_SMTP_RUNNER_H

#include "../../common/trace.h"
#include "smtp_core.h"
#include "smtp_relay.h"

#include <time.h>

/** What the queue runner needs: where the queue and routes are, and its timing. */
struct smtp_runner_config {
	const char *data_dir;      /**< mail/ for bounces, routes */
	const char *queue_dir;     /**< DATA/queue */
	const char *routes_file;   /**< DATA/routes */
	const char *users_file;    /**< DATA/users */
	const char *hostname;      /**< our EHLO name and Reporting-MTA */
	const char *const *domains; /**< local domains (bounces to them are */
	int ndomains;              /**<   delivered straight into Maildir) */
	unsigned retry_s;          /**< first retry delay */
	unsigned lifetime_s;       /**< give up after this long */
	struct trace trace;        /**< "queue #0 ..." lines */
};

/** A recipient that failed for good, for the bounce. */
struct smtp_failure {
	const char *rcpt; /**< the recipient */
	const struct smtp_relay_status *status; /**< the last reply from the next hop */
};

/**
 * One pass over the queue at time @p now: try what is due.  Returns the
 * time the next message is due in @p next_r (0 if the queue is empty).
 */
void smtp_runner_pass(const struct smtp_runner_config *cfg, time_t now,
		      time_t *next_r);

/** The runner's life: passes and sleeps until SIGTERM; never returns. */
void smtp_runner_main(const struct smtp_runner_config *cfg)
	__attribute__((noreturn));

/**
 * Send the RFC 3464 delivery status notification for @p failures of the
 * message @p env / @p data to env->from (smtp_bounce.c).  The null
 * sender never gets one (RFC 5321 §4.5.5: no bounce of a bounce).
 */
void smtp_bounce(const struct smtp_runner_config *cfg,
		 const struct smtp_envelope *env, const char *data, size_t len,
		 const struct smtp_failure *failures, size_t n);

/** The DSN message itself, CRLF line ends (for the unit tests too). */
int smtp_bounce_format(const char *hostname, const struct smtp_envelope *env,
		       const char *data, size_t len,
		       const struct smtp_failure *failures, size_t n,
		       time_t now, struct buf *out);

#endif
