/*
 * smtp_relay.h - the client side of SMTP: hand one queued message to the
 * next hop (RFC 5321 §3, seen from the other end).
 *
 * One call is one connection: greeting, EHLO (HELO if refused), MAIL,
 * one RCPT per recipient, DATA, the dot-stuffed text, QUIT.  The outcome
 * is per recipient, because the next hop may accept some and refuse
 * others: 2xx delivered, 4xx try again later, 5xx give up and bounce.
 * Plain TCP only: the lab's routes are on loopback.
 */
#ifndef MAILLAB_SMTP_RELAY_H
#define MAILLAB_SMTP_RELAY_H

#include "../../common/trace.h"
#include "smtp_queue.h"
#include "smtp_routes.h"

/** What happened to one recipient. */
struct smtp_relay_status {
	int code;                   /**< the reply code; 4xx for no answer */
	char reply[SMTP_REPLY_MAX]; /**< the reply line (or our reason) */
};

/**
 * Send @p data (CRLF, unstuffed) from @p env->from to every recipient of
 * @p env via @p route, saying @p helo in EHLO.  @p st has env->nrcpt
 * entries and gets each recipient's outcome; a failure to connect or a
 * lost connection gives every recipient still open a 4xx.
 */
void smtp_relay_send(const struct smtp_route *route, const char *helo,
		     const struct smtp_envelope *env, const char *data,
		     size_t len, struct smtp_relay_status *st,
		     const struct trace *trace);

#endif
