/*
 * lg_limits.h - every limit of the load generator and the bench probes,
 * one per line, each with its reason.
 *
 * These are client-side bounds, not protocol limits (those are in
 * proto/limits.h): how many sessions one run may open, how long a reply
 * line may be before the load generator calls the server broken, how long
 * it waits.  Like the servers, the load generator never grows a buffer
 * without a stated maximum.
 */
#ifndef MAILLAB_LG_LIMITS_H
#define MAILLAB_LG_LIMITS_H

#include "../proto/limits.h"

/* Concurrent sessions in one run: the 1,000 idle IMAP sessions of the
 * connection figure, with room to spare. */
#define LG_CLIENTS_MAX          4096
/* Longest reply line read.  The longest real one is an untagged SEARCH
 * for a 10,000-message mailbox: 10,000 UIDs of up to 6 characters, about
 * 60 KB; RFC 9051 sets no line limit, so we take four times that. */
#define LG_LINE_MAX             (256u * 1024)
/* Longest command the load generator builds (a LOGIN with the longest
 * user name and password fits; RFC 5321 §4.5.3.1.4 allows 512 for SMTP). */
#define LG_COMMAND_MAX          1024
/* Room for the header lg_text_header() writes (about 250 octets). */
#define LG_HEADER_MAX           512
/* Room for what follows a message's text: "." CRLF, and QUIT CRLF
 * behind it in smtp-conn (lg_smtp.c). */
#define LG_TEXT_END_MAX         16
/* Largest message --size may ask for: what the servers store at most. */
#define LG_MESSAGE_MAX          MAIL_MESSAGE_MAX
/* Octets per line of generated message text, CRLF included: RFC 5322
 * §2.1.1 recommends at most 78 characters before the CRLF. */
#define LG_TEXT_LINE            78
/* Seconds to wait for one reply: at 256 clients a full-text SEARCH of
 * 10,000 messages queues behind 255 others. */
#define LG_TIMEOUT_S            120
/* Failures in a row after which a client stops trying (a server that is
 * down would otherwise be hammered until the run ends). */
#define LG_FAILURES_IN_A_ROW    5
/* Threads that open the sessions of a --hold run (1,000 idle sessions are
 * opened this many at a time, not one thread per session). */
#define LG_HOLD_THREADS         16
/* Stack of one client thread: the deepest frame holds LG_COMMAND_MAX and
 * a few small buffers; the default 8 MiB times 4096 would be 32 GiB. */
#define LG_THREAD_STACK         (256u * 1024)
/* Characters of the first error a client keeps, for the report. */
#define LG_ERROR_MAX            256
/* A user name as the load generator builds it: prefix and number. */
#define LG_USER_MAX             USER_NAME_MAX
/* An envelope recipient as built from --rcpt (RFC 5321 §4.5.3.1.3). */
#define LG_RCPT_MAX             SMTP_PATH_MAX

/* ---- the probes (benchprobe) ------------------------------------------ */

/* Writers the Maildir probe may run at once. */
#define PROBE_WRITERS_MAX       256
/* Octets per write in the loopback TCP probe. */
#define PROBE_TCP_CHUNK         (64u * 1024)
/* Client/server pairs in the TLS handshake probe. */
#define PROBE_TLS_PAIRS_MAX     64
/* Runs of one start-up measurement (the median is reported). */
#define PROBE_RUNS_MAX          1000
/* Milliseconds a started program has to greet before it counts as failed. */
#define PROBE_STARTUP_LIMIT_MS  10000
/* Microseconds between connection attempts while a server starts.  A
 * figure may come out up to this much late, but each attempt is a socket,
 * a refused connection and a close: polling every 100 us took about a
 * quarter of the CPU time of a start-up measurement and made imapd's
 * start-up 2 ms slower than polling every 500 or 1,000 us (docs/bench.md). */
#define PROBE_POLL_US           500

#endif
