/*
 * lg_smtp.c - the SMTP client of the load generator: one message per
 * operation, the way a mail client or another MTA submits it.
 *
 * RFC 5321 §3.3: MAIL FROM, RCPT TO, DATA, the text, "." - and the
 * operation is over when the server answers the final dot with 250, which
 * is the moment it has taken responsibility for the message (§4.1.1.4):
 * both maillab and Postfix say 250 only once the message is on disk.
 * If the server offers PIPELINING (RFC 2920), MAIL, RCPT and DATA go out
 * in one write and the three replies are read after it, as an MTA such
 * as Postfix sends them (§3.1: DATA ends the group, the text waits for
 * 354).  With --no-pipelining, or if the server does not offer it, each
 * command waits for its reply, as Postfix's smtp-source does.  The
 * message text is written in one go (lg_send_text()).
 *
 *   smtp       one connection per client, EHLO once, then a message per
 *              operation (a busy submission client)
 *   smtp-conn  a new connection per message, ended with QUIT (what most
 *              MTAs do when they have one message for a host); with
 *              PIPELINING the QUIT goes out behind the final dot
 *
 * Replies may be multi-line ("250-..." lines, then "250 ...",
 * RFC 5321 §4.2.1); read_reply() reads to the last line and checks its code.
 */
#include "loadgen.h"

#include "lg_parse.h"
#include "lg_text.h"

#include <string.h>

/* reply_lines - the whole reply; -1 unless its code is @want.  With
 * @pipelining_r, also whether a line of it names PIPELINING (the reply to
 * EHLO lists one extension a line, RFC 5321 §4.1.1.1). */
static int reply_lines(struct lg_client *c, int want, const char *after,
		       bool *pipelining_r)
{
	for (;;) {
		char *line;
		size_t len;
		int code;
		bool last;
		if (lg_read_line(c, &line, &len) < 0)
			return -1;
		if (lg_smtp_line(line, len, &code, &last) < 0)
			return lg_fail(c, "after %s: not an SMTP reply: %.80s",
				       after, line);
		if (pipelining_r && lg_smtp_ehlo_has(line, len, "PIPELINING"))
			*pipelining_r = true;
		if (!last)
			continue;
		if (code != want)
			return lg_fail(c, "after %s: %.160s", after, line);
		return 0;
	}
}

static int read_reply(struct lg_client *c, int want, const char *after)
{
	return reply_lines(c, want, after, NULL);
}

/* hello - connect, the 220 greeting, EHLO (RFC 5321 §4.1.1.1), and
 * whether to pipeline. */
static int hello(struct lg_client *c)
{
	bool offered = false;
	if (lg_connect(c) < 0 || read_reply(c, 220, "connect") < 0 ||
	    lg_sendf(c, "EHLO loadgen.client.test") < 0 ||
	    reply_lines(c, 250, "EHLO", &offered) < 0)
		return -1;
	c->pipelining = offered && !c->run->conf->no_pipelining;
	return 0;
}

/* envelope - MAIL, RCPT and DATA, up to the 354 (RFC 5321 §3.3). */
static int envelope(struct lg_client *c, const char *rcpt)
{
	if (c->pipelining) {
		/* one write, then the replies in order */
		if (lg_sendf(c, "MAIL FROM:<loadgen@client.test>\r\n"
			     "RCPT TO:<%s>\r\nDATA", rcpt) < 0 ||
		    read_reply(c, 250, "MAIL") < 0 ||
		    read_reply(c, 250, "RCPT") < 0)
			return -1;
	} else {
		if (lg_sendf(c, "MAIL FROM:<loadgen@client.test>") < 0 ||
		    read_reply(c, 250, "MAIL") < 0 ||
		    lg_sendf(c, "RCPT TO:<%s>", rcpt) < 0 ||
		    read_reply(c, 250, "RCPT") < 0 || lg_sendf(c, "DATA") < 0)
			return -1;
	}
	return read_reply(c, 354, "DATA");
}

int lg_smtp_setup(struct lg_client *c)
{
	return hello(c);
}

/* message - one message, up to its 250; with @quit, the session's QUIT
 * too: pipelined behind the final dot when the server offers PIPELINING
 * (RFC 2920 §3.1: the text may start a group and QUIT may end one), so
 * the 250 and the 221 come back together.  We still read the 221;
 * Postfix's client, by default, does not even wait for it. */
static int message(struct lg_client *c, bool quit)
{
	char rcpt[LG_RCPT_MAX + 1], header[LG_HEADER_MAX];
	lg_rcpt(c->run->conf, c->index, rcpt);
	size_t hlen = lg_text_header(header, sizeof(header), rcpt, c->index,
				     c->seq);
	if (hlen == 0)
		return lg_fail(c, "header does not fit");
	if (envelope(c, rcpt) < 0)
		return -1;
	/* RFC 5321 §4.1.1.4: the text, then CRLF "." CRLF; the generated
	 * body has no line starting with "." (lg_text.h) */
	bool pipelined_quit = quit && c->pipelining;
	if (lg_send_text(c, header, hlen,
			 pipelined_quit ? ".\r\nQUIT\r\n" : ".\r\n") < 0 ||
	    read_reply(c, 250, "the end of the data") < 0)
		return -1;
	if (pipelined_quit ? read_reply(c, 221, "QUIT") < 0
			   : quit && lg_smtp_quit(c) < 0)
		return -1;
	c->counts.bytes += hlen + c->run->body_len;
	c->counts.items++;
	return 0;
}

int lg_smtp_message(struct lg_client *c)
{
	return message(c, false);
}

int lg_smtp_quit(struct lg_client *c)
{
	/* RFC 5321 §4.1.1.10: QUIT is answered with 221 */
	if (lg_sendf(c, "QUIT") < 0 || read_reply(c, 221, "QUIT") < 0)
		return -1;
	return 0;
}

int lg_smtp_session(struct lg_client *c)
{
	int r = hello(c) == 0 && message(c, true) == 0 ? 0 : -1;
	lg_disconnect(c);
	return r;
}

int lg_greeting(struct lg_client *c)
{
	/* The first line of any of the three protocols: "220 ..." (SMTP),
	 * "+OK ..." (POP3), "* OK ..." (IMAP); anything else is a refusal. */
	char *line;
	size_t len;
	int r = -1;
	if (lg_connect(c) == 0 && lg_read_line(c, &line, &len) == 0) {
		if (strncmp(line, "220", 3) == 0 || strncmp(line, "+OK", 3) == 0 ||
		    strncmp(line, "* OK", 4) == 0)
			r = 0;
		else
			lg_fail(c, "greeting: %.160s", line);
	}
	lg_disconnect(c);
	return r;
}
