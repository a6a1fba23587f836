/*
 * imap_envelope.c - ENVELOPE: the parsed header of a message (RFC 9051
 * §7.5.2):
 *
 *   (date subject from sender reply-to to cc bcc in-reply-to message-id)
 *
 * Date, subject and the ids are the fields' values, unfolded and
 * otherwise as sent (encoded words stay encoded; decoding is the
 * client's).  Each address field becomes a list of addresses, each
 * address four strings, (name adl mailbox host):
 *
 *   "Alice Liddell" <alice@example.org>   ("Alice Liddell" NIL "alice" "example.org")
 *
 * A group (RFC 5322 §3.4, "Team: a@x, b@y;") is marked with a start
 * (NIL NIL "Team" NIL) and an end (NIL NIL NIL NIL).  Sender and Reply-To
 * default to From when missing or empty (RFC 3501 §7.4.2).  An address
 * without '@' gets Dovecot's placeholders MISSING_MAILBOX and
 * MISSING_DOMAIN rather than a NIL host, which would read as a group.
 *
 * The address parser follows RFC 5322 §3.4 loosely, as a server must for
 * the headers real mail has: comments are skipped, a quoted local part is
 * kept, and anything it cannot read ends that address, not the whole
 * field.
 */
#include "imap_mime.h"

#include "../../proto/limits.h"
#include "imap_strings.h"

#include <string.h>
#include <strings.h>

enum tok_kind { TOK_WORD, TOK_SPECIAL, TOK_END };

struct lexer {
	const char *p, *end;
	struct buf word;   /* the current word, unquoted */
	char special;
};

/* next - the next word (atom, dot-atom, quoted string, domain literal)
 * or special character of an address field; comments are skipped. */
static enum tok_kind next(struct lexer *l)
{
	int depth = 0;
	for (; l->p < l->end; l->p++) {
		char c = *l->p;
		if (depth > 0) {
			if (c == '\\' && l->p + 1 < l->end)
				l->p++;
			else
				depth += c == '(' ? 1 : c == ')' ? -1 : 0;
		} else if (c == '(') {
			depth = 1;
		} else if (c != ' ' && c != '\t' && c != ')') {
			/* a ')' outside a comment (RFC 5322 §3.2.2 allows it
			 * nowhere else) is skipped like space: no token could
			 * take it, and the lexer stood still on it forever, one
			 * header hanging every FETCH ENVELOPE (found by
			 * fuzz/fuzz_imap_mime.c, fuzz/regress/imap_mime/) */
			break;
		}
	}
	if (l->p >= l->end)
		return TOK_END;
	buf_reset(&l->word);
	char c = *l->p;
	if (strchr("<>@,:;", c) != NULL) {
		l->special = c;
		l->p++;
		return TOK_SPECIAL;
	}
	if (c == '"') {
		for (l->p++; l->p < l->end && *l->p != '"'; l->p++) {
			if (*l->p == '\\' && l->p + 1 < l->end)
				l->p++;
			buf_append(&l->word, l->p, 1);
		}
		l->p += l->p < l->end;
		buf_append(&l->word, "", 0);
		return TOK_WORD;
	}
	const char *start = l->p;
	if (c == '[') /* domain literal, e.g. [192.0.2.1] */
		while (l->p < l->end && *l->p++ != ']')
			;
	else
		while (l->p < l->end && strchr("<>@,:;()\" \t", *l->p) == NULL)
			l->p++;
	buf_append(&l->word, start, (size_t)(l->p - start));
	return TOK_WORD;
}

/* One address list being written. */
struct alist {
	struct buf *out;
	size_t count;
};

static void put_address(struct alist *a, const char *name, const char *adl,
			const char *mailbox, const char *host)
{
	/* RFC 9051 §9: env-to = "(" 1*address ")", no space between */
	buf_puts(a->out, a->count++ == 0 ? "((" : "(");
	imap_nstring_put(a->out, name);
	buf_puts(a->out, " ");
	imap_nstring_put(a->out, adl);
	buf_puts(a->out, " ");
	imap_nstring_put(a->out, mailbox);
	buf_puts(a->out, " ");
	imap_nstring_put(a->out, host);
	buf_puts(a->out, ")");
}

/* angle - "<[@route,@route:]local@domain>" after the '<'. */
static void angle(struct lexer *l, struct alist *a, const char *name)
{
	struct buf route, local;
	buf_init(&route, IMAP_LINE_MAX);
	buf_init(&local, IMAP_LINE_MAX);
	enum tok_kind k;
	/* RFC 5322 §4.4: an obsolete source route before the ':' */
	while ((k = next(l)) == TOK_SPECIAL && (l->special == '@' || l->special == ',')) {
		if (l->special == '@' && next(l) == TOK_WORD)
			buf_printf(&route, "%s@%s", route.len ? "," : "", l->word.data);
	}
	if (k == TOK_SPECIAL && l->special == ':')
		k = next(l);
	if (k == TOK_WORD) {
		buf_puts(&local, l->word.data);
		k = next(l);
	}
	if (k == TOK_SPECIAL && l->special == '@' && next(l) == TOK_WORD) {
		put_address(a, name, route.len ? route.data : NULL, local.data,
			    l->word.data);
		k = next(l);
	} else if (local.len > 0) {
		put_address(a, name, NULL, local.data, "MISSING_DOMAIN");
	}
	/* up to the closing '>' */
	while (k != TOK_END && !(k == TOK_SPECIAL && l->special == '>'))
		k = next(l);
	buf_free(&route);
	buf_free(&local);
}

/* put_address_list - an address field's value as an IMAP list, or NIL. */
static void put_address_list(const char *value, size_t len, struct buf *out)
{
	struct lexer l = { .p = value, .end = value + len };
	struct buf phrase;
	struct alist a = { out, 0 };
	bool group = false;
	buf_init(&l.word, IMAP_LINE_MAX);
	buf_init(&phrase, IMAP_LINE_MAX);
	for (;;) {
		enum tok_kind k = next(&l);
		if (k == TOK_WORD) {
			buf_printf(&phrase, "%s%s", phrase.len ? " " : "", l.word.data);
			continue;
		}
		char c = k == TOK_END ? '\0' : l.special;
		if (c == '<') {
			angle(&l, &a, phrase.len ? phrase.data : NULL);
		} else if (c == '@') {
			/* addr-spec: the words so far were the local part */
			if (next(&l) == TOK_WORD)
				put_address(&a, NULL, NULL, phrase.data, l.word.data);
		} else if (c == ':') {
			put_address(&a, NULL, NULL, phrase.len ? phrase.data : "",
				    NULL);
			group = true;
		} else if (phrase.len > 0) {
			put_address(&a, NULL, NULL, phrase.data, "MISSING_DOMAIN");
		}
		if ((c == ';' || (c == '\0' && group)) && group) {
			put_address(&a, NULL, NULL, NULL, NULL);
			group = false;
		}
		buf_reset(&phrase);
		if (c == '\0')
			break;
	}
	buf_puts(out, a.count > 0 ? ")" : "NIL");
	buf_free(&phrase);
	buf_free(&l.word);
}

void imap_envelope_put(const struct imap_mime *m, int idx, struct buf *out)
{
	static const char *const fields[] = {
		"Date", "Subject", "From", "Sender", "Reply-To", "To", "Cc",
		"Bcc", "In-Reply-To", "Message-ID",
	};
	const struct imap_part *p = &m->parts[idx];
	const char *hdr = m->data + p->hdr_off;
	struct buf v, from;
	buf_init(&v, IMAP_COMMAND_MAX);
	buf_init(&from, IMAP_COMMAND_MAX);
	bool has_from = imap_mime_field(hdr, p->hdr_len, "From", &from);
	buf_puts(out, "(");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		bool address = i >= 2 && i <= 7;
		bool found = imap_mime_field(hdr, p->hdr_len, fields[i], &v);
		if (i > 0)
			buf_puts(out, " ");
		if (!address) {
			imap_nstring_put(out, found ? v.data : NULL);
			continue;
		}
		/* RFC 3501 §7.4.2: Sender and Reply-To default to From */
		if ((i == 3 || i == 4) && (!found || v.len == 0) && has_from)
			put_address_list(from.data, from.len, out);
		else
			put_address_list(found ? v.data : "", found ? v.len : 0,
					 out);
	}
	buf_puts(out, ")");
	buf_free(&v);
	buf_free(&from);
}
