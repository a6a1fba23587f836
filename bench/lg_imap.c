/*
 * lg_imap.c - the IMAP client of the load generator.
 *
 * RFC 9051 (and RFC 3501, which both servers speak): a command is a tag,
 * a name and arguments; the server answers with untagged "* ..." lines
 * and ends with "<tag> OK|NO|BAD" (§2.2.2).  command() sends one and
 * reads to its end, taking literals ("{n}" at the end of a line, then n
 * octets, §4.3) as they come, and noting what the load generator checks:
 *
 *   * n EXISTS   the size of the selected mailbox (§7.4.1)
 *   * n FETCH    one per message a FETCH returned (§7.5.2); FETCH 1:*
 *                must return exactly EXISTS of them
 *   * SEARCH     the UIDs found (RFC 3501 §7.2.5)
 *
 * Strings are sent quoted (§4.3): --user, --password, --mailbox and
 * --text have been checked to hold no quote or backslash (lg_args.c).
 * APPEND uses a synchronising literal, waiting for "+" before the message
 * (§7.5), which every server supports.
 */
#include "loadgen.h"

#include "lg_parse.h"
#include "lg_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* What the untagged responses of one command said. */
struct seen {
	long fetches;     /* "* n FETCH" responses */
	long found;       /* numbers in "* SEARCH", or -1 without one */
	bool go_ahead;    /* a "+" continuation arrived */
};

/* note - what one untagged line tells us. */
static void note(struct lg_client *c, struct seen *s, const char *line,
		 size_t len)
{
	const char *word;
	long n = lg_imap_numbered(line, len, &word);
	if (n >= 0 && strncasecmp(word, "EXISTS", 6) == 0)
		c->exists = n;
	else if (n >= 0 && strncasecmp(word, "FETCH", 5) == 0)
		s->fetches++;
	long found = lg_imap_search_count(line, len);
	if (found >= 0)
		s->found = found;
}

/* untagged - the rest of an untagged response whose first line was just
 * read: each literal it announces, and the line after it. */
static int untagged(struct lg_client *c, char *line, size_t len)
{
	for (long lit; (lit = lg_imap_literal(line, len)) >= 0;) {
		if (lg_skip_bytes(c, (size_t)lit) < 0 ||
		    lg_read_line(c, &line, &len) < 0)
			return -1;
		c->counts.bytes += (uint64_t)lit;
	}
	return 0;
}

/* responses - read to the tagged reply of @tag; 0 for OK.  With
 * @stop_at_plus, a "+" continuation returns 0 with s->go_ahead set. */
static int responses(struct lg_client *c, const char *tag, struct seen *s,
		     bool stop_at_plus, const char *what)
{
	for (;;) {
		char *line;
		size_t len;
		if (lg_read_line(c, &line, &len) < 0)
			return -1;
		switch (lg_imap_kind(line, len, tag)) {
		case LG_IMAP_UNTAGGED:
			note(c, s, line, len);
			if (untagged(c, line, len) < 0)
				return -1;
			break;
		case LG_IMAP_CONTINUATION:
			if (!stop_at_plus)
				return lg_fail(c, "%s: unexpected \"+\"", what);
			s->go_ahead = true;
			return 0;
		case LG_IMAP_OK:
			return 0;
		case LG_IMAP_NO:
		case LG_IMAP_BAD:
		case LG_IMAP_OTHER:
			return lg_fail(c, "%s: %.160s", what, line);
		}
	}
}

/* command - send "<tag> <command>" and read to its end; -1 unless OK. */
static int command(struct lg_client *c, struct seen *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int command(struct lg_client *c, struct seen *s, const char *fmt, ...)
{
	char text[LG_COMMAND_MAX], tag[24];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	snprintf(tag, sizeof(tag), "a%lu", ++c->tagno);
	*s = (struct seen){ .found = -1 };
	char name[16];
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(text, " "), text);
	if (lg_sendf(c, "%s %s", tag, text) < 0)
		return -1;
	return responses(c, tag, s, false, name);
}

/* login - connect, the "* OK" greeting (RFC 9051 §7.1.1), LOGIN. */
static int login(struct lg_client *c)
{
	const struct lg_conf *conf = c->run->conf;
	char user[LG_USER_MAX + 1], *line;
	size_t len;
	struct seen s;
	lg_session_user(c, user);
	if (lg_connect(c) < 0 || lg_read_line(c, &line, &len) < 0)
		return -1;
	if (strncasecmp(line, "* OK", 4) != 0)
		return lg_fail(c, "greeting: %.160s", line);
	return command(c, &s, "LOGIN \"%s\" \"%s\"", user, conf->password);
}

int lg_imap_logout(struct lg_client *c)
{
	/* RFC 9051 §6.1.3: "* BYE", then the tagged OK */
	struct seen s;
	return command(c, &s, "LOGOUT");
}

int lg_imap_login(struct lg_client *c)
{
	int r = login(c) == 0 && lg_imap_logout(c) == 0 ? 0 : -1;
	lg_disconnect(c);
	return r;
}

int lg_imap_setup_auth(struct lg_client *c)
{
	return login(c);
}

/* select_mailbox - SELECT (RFC 9051 §6.3.2); EXISTS must be among the
 * untagged responses. */
static int select_mailbox(struct lg_client *c)
{
	struct seen s;
	c->exists = -1;
	if (command(c, &s, "SELECT \"%s\"", c->run->conf->mailbox) < 0)
		return -1;
	if (c->exists < 0)
		return lg_fail(c, "SELECT: no EXISTS response");
	return 0;
}

int lg_imap_select(struct lg_client *c)
{
	if (select_mailbox(c) < 0)
		return -1;
	c->counts.items += (uint64_t)c->exists;
	return 0;
}

int lg_imap_setup_selected(struct lg_client *c)
{
	if (login(c) < 0 || select_mailbox(c) < 0)
		return -1;
	if (c->exists == 0)
		return lg_fail(c, "SELECT: the mailbox is empty");
	return 0;
}

int lg_imap_fetch_flags(struct lg_client *c)
{
	struct seen s;
	if (command(c, &s, "FETCH 1:* (FLAGS UID RFC822.SIZE)") < 0)
		return -1;
	if (s.fetches != c->exists)
		return lg_fail(c, "FETCH 1:* returned %ld messages of %ld",
			       s.fetches, c->exists);
	c->counts.items += (uint64_t)s.fetches;
	return 0;
}

/* next_message - the sequence number a cycling workload uses next:
 * clients start at different places and step through the mailbox. */
static long next_message(const struct lg_client *c, unsigned long k)
{
	return (long)((c->index * 7919ul + k) % (unsigned long)c->exists) + 1;
}

int lg_imap_fetch_body(struct lg_client *c)
{
	struct seen s;
	uint64_t before = c->counts.bytes;
	if (command(c, &s, "FETCH %ld BODY.PEEK[]", next_message(c, c->seq)) < 0)
		return -1;
	if (s.fetches != 1 || c->counts.bytes == before)
		return lg_fail(c, "FETCH BODY.PEEK[] returned no message");
	c->counts.items++;
	return 0;
}

/* search - one UID SEARCH; the UIDs it found are counted as items. */
static int search(struct lg_client *c, const char *what, const char *criteria)
{
	struct seen s;
	if (command(c, &s, "UID SEARCH %s", criteria) < 0)
		return -1;
	if (s.found < 0)
		return lg_fail(c, "UID SEARCH %s: no SEARCH response", what);
	c->counts.items += (uint64_t)s.found;
	return 0;
}

int lg_imap_search_text(struct lg_client *c)
{
	char criteria[LG_COMMAND_MAX / 2];
	snprintf(criteria, sizeof(criteria), "TEXT \"%s\"", c->run->conf->text);
	return search(c, "TEXT", criteria);
}

int lg_imap_search_flags(struct lg_client *c)
{
	return search(c, "FLAGGED", "FLAGGED");
}

int lg_imap_store(struct lg_client *c)
{
	/* Operations come in pairs on one message: +FLAGS, then -FLAGS
	 * (RFC 9051 §6.4.6), so the mailbox ends as it began. */
	struct seen s;
	long n = next_message(c, c->seq / 2);
	char sign = c->seq % 2 == 0 ? '+' : '-';
	if (command(c, &s, "STORE %ld %cFLAGS (\\Flagged)", n, sign) < 0)
		return -1;
	c->counts.items++;
	return 0;
}

int lg_imap_append(struct lg_client *c)
{
	const struct lg_run *run = c->run;
	char header[LG_HEADER_MAX], tag[24];
	size_t hlen = lg_text_header(header, sizeof(header), run->conf->rcpt,
				     c->index, c->seq);
	if (hlen == 0)
		return lg_fail(c, "header does not fit");
	size_t size = hlen + run->body_len;
	struct seen s;
	snprintf(tag, sizeof(tag), "a%lu", ++c->tagno);
	if (lg_sendf(c, "%s APPEND \"%s\" (\\Seen) {%zu}", tag,
		     run->conf->mailbox, size) < 0 ||
	    responses(c, tag, &s, true, "APPEND") < 0)
		return -1;
	if (!s.go_ahead)
		return lg_fail(c, "APPEND: finished before the message was sent");
	/* the literal, then the CRLF that ends the command line */
	if (lg_send_text(c, header, hlen, "\r\n") < 0 ||
	    responses(c, tag, &s, false, "APPEND") < 0)
		return -1;
	c->counts.bytes += size;
	c->counts.items++;
	return 0;
}
