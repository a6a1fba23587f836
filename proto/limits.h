/*
 * limits.h - every protocol limit maillab enforces, one per line, each with
 * the place it comes from.
 *
 * The idea is xv6's param.h: a reader who wants to know "how long may a
 * command be?" looks here and nowhere else.  Every buffer in the servers and
 * the shell is created with one of these maxima, and every overflow becomes a
 * protocol reply (-ERR, 500, BAD), never a crash or a silent truncation.
 *
 * Sizes that the RFCs give "including CRLF" are stated the same way here.
 */
#ifndef MAILLAB_LIMITS_H
#define MAILLAB_LIMITS_H

/* ---- POP3 ------------------------------------------------------------ */

/* RFC 2449 §4: "Commands ... MUST NOT exceed 255 octets, including the
 * terminating CRLF." */
#define POP3_COMMAND_MAX        255
/* RFC 1939 §3: each argument "may be up to 40 characters long". */
#define POP3_ARG_MAX            40
/* RFC 5034 §4: SASL continuation lines are not bound by the 255-octet
 * command limit; we accept this much base64 (plenty for PLAIN/LOGIN/CRAM). */
#define POP3_SASL_LINE_MAX      4096
/* RFC 2449 §4: "Responses ... MUST NOT exceed 512 octets, including the
 * terminating CRLF" (applies to the status line, not multi-line data). */
#define POP3_RESPONSE_MAX       512
/* RFC 1939 §3: the inactivity timer "MUST be of at least 10 minutes". */
#define POP3_IDLE_TIMEOUT_S     600
/* Failed logins (USER/PASS, APOP, AUTH) before the session is closed. */
#define POP3_AUTH_FAILURES_MAX  3

/* ---- SMTP ------------------------------------------------------------ */

/* RFC 5321 §4.5.3.1.4: a command line is at most 512 octets incl. CRLF. */
#define SMTP_COMMAND_MAX        512
/* RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets incl. CRLF. */
#define SMTP_LINE_MAX           1000

/* ---- IMAP ------------------------------------------------------------ */

/* RFC 9051 has no fixed line limit; RFC 7162 §4 recommends servers accept
 * at least 8192 octets.  We take that as our cap for one command line. */
#define IMAP_LINE_MAX           8192

/* ---- Shared ---------------------------------------------------------- */

/* Largest message we store or serve (SMTP SIZE, IMAP APPEND, POP3 RETR
 * builds the reply in memory).  A teaching server need not take more. */
#define MAIL_MESSAGE_MAX        (32u * 1024 * 1024)
/* Longest user name in the users file (letters, digits, . _ -). */
#define USER_NAME_MAX           64
/* Longest password we hash or compare. */
#define USER_PASSWORD_MAX       256
/* Concurrent sessions per server before new clients are refused. */
#define SERVER_SESSIONS_MAX     256
/* Listening ports per server (plain, STARTTLS, implicit TLS, ...). */
#define SERVER_PORTS_MAX        8
/* Bind addresses per server (IPv4 and IPv6 loopback by default). */
#define SERVER_BINDS_MAX        4
/* Seconds a client has to finish a TLS handshake. */
#define TLS_HANDSHAKE_TIMEOUT_S 30
/* One trace line, including the timestamp prefix. */
#define TRACE_LINE_MAX          1024
/* Milliseconds to wait before answering a failed login (slows guessing). */
#define AUTH_FAIL_DELAY_MS      1500

#endif
