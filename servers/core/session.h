/*
 * session.h - the pieces of session glue every server shares.
 *
 * Each server's *_session.c reads a line, feeds its protocol core, and
 * sends the reply.  What is the same in all three lives here: sending a
 * built reply (held back while a pipelining client's next command is
 * already here, so that a batch is answered in one write), waiting before
 * the answer to a failed login, and the server half of a STARTTLS/STLS
 * upgrade with its trace lines.
 */
#ifndef MAILLAB_SESSION_H
#define MAILLAB_SESSION_H

#include "../../common/buf.h"
#include "listener.h"

#include <stdbool.h>

struct netio;

/** Send everything in @p out and empty it; 0, or -1 if the write failed. */
int session_send(struct netio *io, struct buf *out);

/** Replies held for a pipelining client are sent once they reach this. */
#define SESSION_HOLD_MAX (16 * 1024)

/**
 * The reply to a command, for a client that may pipeline: like
 * session_send(), but if the session reads on (@p reading_on) and the
 * client's next command is already here (a complete line buffered), keep
 * @p out to go out with that command's reply, in one write (RFC 2920
 * §3.2; RFC 2449 §6.6 and RFC 9051 §5.5 allow the same in POP3 and IMAP).
 * Written one by one, the second small reply would wait in the kernel
 * (Nagle's algorithm) until the client acknowledged the first, which a
 * client waiting for the rest delays by up to 40 ms: every pipelined
 * batch cost that much.
 *
 * Nothing is held while the session could block: only a complete line
 * makes it hold, so the next read returns at once.  @p reading_on is
 * false when the next step is anything but reading that line (STARTTLS,
 * IDLE, a BDAT chunk or a literal, the end): then everything goes now.
 */
int session_reply(struct netio *io, struct buf *out, bool reading_on);

/**
 * True if the client has sent anything that has not been read yet: bytes
 * already buffered, or waiting on the socket.  Before the greeting that
 * makes it an early talker (RFC 5321 §3.1).
 */
bool session_input_waiting(struct netio *io);

/** Sleep @p ms milliseconds (the failed-login delay), even across signals. */
void session_delay_ms(unsigned ms);

/**
 * A login failed: count it for the client's address (over every session
 * of this server), then wait before the reply goes out: @p base_ms
 * (--auth-delay) for the first failure, doubling with each one the
 * address made in a row, up to AUTH_FAIL_DELAY_MAX_MS.  Only this session
 * waits; the others go on.
 */
void session_login_failed(const struct conn_info *ci, unsigned base_ms);

/**
 * Tell the listener where the session is (enum listener_phase), and set
 * the deadline that goes with it: --login-timeout from the connect until
 * the login, --data-timeout for one message, none otherwise.  Entering
 * LISTENER_IN from LISTENER_LOGIN is a successful login: the address's
 * failures are forgotten.
 */
void session_set_phase(struct netio *io, const struct conn_info *ci,
		       enum listener_phase phase);

/** How long a session waits for its client before it hands back memory.
 *  Shorter would trim between the commands of a busy client, and the
 *  next command would fault the same pages back in. */
#define SESSION_TRIM_AFTER_MS 1000

/**
 * Before waiting for the client's next command: if none arrives within
 * SESSION_TRIM_AFTER_MS, give the memory the last command used back to
 * the system (session_trim()); if there is a @p quiet hook and still
 * nothing after @p quiet_after_ms (counted from the start), call
 * @p quiet(@p arg) - the protocol lets go of what it can rebuild, such as
 * imapd's view of the selected mailbox - and trim again.  Then return
 * (the caller reads as usual).  An idle session costs what it keeps, not
 * the most it ever needed.  The read after it has the whole idle
 * timeout again, so a silent client is timed out up to a second late,
 * or up to @p quiet_after_ms late if that is shorter than the timeout
 * (with a longer one the hook is not called).
 */
void session_wait_idle(struct netio *io, unsigned quiet_after_ms,
		       void (*quiet)(void *arg), void *arg);
/** Give the heap's free pages back to the system (malloc_trim(3)). */
void session_trim(void);

/**
 * Run the TLS handshake after the core answered STARTTLS/STLS.  Plaintext
 * the client pipelined behind the command is discarded by netio (RFC 2595
 * §4, RFC 3207 §4.2, CVE-2011-0411) and reported in the trace, as are the
 * negotiated version and cipher.  False if the handshake failed: the
 * session must end.
 */
bool session_start_tls(struct netio *io, const struct conn_info *ci);

#endif
