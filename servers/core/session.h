/*
 * session.h - the pieces of session glue every server shares.
 *
 * Each server's *_session.c reads a line, feeds its protocol core, and
 * sends the reply.  What is the same in all three lives here: sending a
 * built reply, waiting before the answer to a failed login, and the server
 * half of a STARTTLS/STLS upgrade with its trace lines.
 */
#ifndef MAILLAB_SESSION_H
#define MAILLAB_SESSION_H

#include "../../common/buf.h"
#include "listener.h"

#include <stdbool.h>

struct netio;

/** Send everything in @p out and empty it; 0, or -1 if the write failed. */
int session_send(struct netio *io, struct buf *out);

/** Sleep @p ms milliseconds (the failed-login delay), even across signals. */
void session_delay_ms(unsigned ms);

/**
 * Run the TLS handshake after the core answered STARTTLS/STLS.  Plaintext
 * the client pipelined behind the command is discarded by netio (RFC 2595
 * §4, RFC 3207 §4.2, CVE-2011-0411) and reported in the trace, as are the
 * negotiated version and cipher.  False if the handshake failed: the
 * session must end.
 */
bool session_start_tls(struct netio *io, const struct conn_info *ci);

#endif
