/*
 * imap_fetch.c - FETCH and UID FETCH (RFC 9051 §6.4.5, §6.4.9, §7.5.2).
 *
 *   C: a1 FETCH 1:2 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])
 *   S: * 1 FETCH (FLAGS (\Seen) BODY[HEADER.FIELDS (SUBJECT)] {18}
 *   S: Subject: Hello
 *   S:
 *   S: )
 *
 * The items are parsed once into a request, then each message of the set
 * is answered in the order the items were asked.  The message text is
 * read only if an item needs it, and parsed (imap_mime.c) only if an item
 * needs its structure.  Everything IMAP counts is of the text with CRLF
 * line ends, which is what is built here from the Maildir file.
 *
 * A body fetch without .PEEK sets \Seen (RFC 9051 §6.4.5), and the new
 * FLAGS are then part of the answer.  UID FETCH answers always carry UID
 * (§6.4.9).  A message another session expunged, whose EXPUNGE this
 * session may not report yet, still answers with what is known about it;
 * its text is gone, so the command ends NO [EXPUNGEISSUED] (RFC 2180
 * §4.1.3, RFC 5530).
 */
#include "imap_internal.h"

#include "imap_date.h"
#include "imap_mime.h"
#include "imap_strings.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Items in one FETCH; more is no real client. */
#define FETCH_ITEMS_MAX 64
/* Items one macro stands for: FULL is five (RFC 9051 §6.4.5). */
#define FETCH_MACRO_ITEMS 5
/* Header field names in one HEADER.FIELDS list. */
#define FETCH_FIELDS_MAX 64
/* Numbers in one section part specifier ("1.2.3"). */
#define FETCH_PART_DEPTH (IMAP_MIME_DEPTH_MAX + 2)

enum fetch_kind {
	F_UID, F_FLAGS, F_INTERNALDATE, F_SIZE, F_ENVELOPE, F_BODYSTRUCTURE,
	F_BODY, F_SECTION,
};

struct fetch_item {
	enum fetch_kind kind;
	const char *rfc822;      /* RFC822, RFC822.HEADER, RFC822.TEXT */
	bool peek;
	unsigned nums[FETCH_PART_DEPTH];
	size_t nnums;
	enum imap_section_kind sec;
	char *fields[FETCH_FIELDS_MAX];
	size_t nfields;
	bool partial;
	uint64_t origin, length;
	char echo[IMAP_LINE_MAX]; /* the section, as the response names it */
};

struct fetch_req {
	struct fetch_item *items;
	size_t n;
	size_t cap;              /* room in items: at most FETCH_ITEMS_MAX */
	bool need_text, need_mime, sets_seen, has_uid, has_flags;
};

/* ---- parsing the items ------------------------------------------------ */

/* section_fields - "(FROM "X-Thing" TO)" after HEADER.FIELDS[.NOT]. */
static const char *section_fields(const char *p, struct fetch_item *it)
{
	while (*p == ' ')
		p++;
	if (*p++ != '(')
		return NULL;
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == ')')
			return it->nfields > 0 ? p + 1 : NULL;
		const char *start = p, *end;
		if (*p == '"') {
			start = ++p;
			while (*p != '\0' && *p != '"')
				p++;
			end = p;
			if (*p++ != '"')
				return NULL;
		} else {
			while (*p != '\0' && *p != ' ' && *p != ')' && *p != '(')
				p++;
			end = p;
		}
		if (end == start || it->nfields == FETCH_FIELDS_MAX)
			return NULL;
		it->fields[it->nfields] = strndup(start, (size_t)(end - start));
		if (it->fields[it->nfields] == NULL)
			return NULL;
		it->nfields++;
	}
}

/* section - the text between '[' and ']': part numbers, then HEADER,
 * HEADER.FIELDS (...), HEADER.FIELDS.NOT (...), TEXT or MIME. */
static bool section(const char *p, const char *end, struct fetch_item *it)
{
	while (p < end && isdigit((unsigned char)*p)) {
		char *q;
		unsigned long n = strtoul(p, &q, 10);
		if (n == 0 || n > 1000000 || it->nnums == FETCH_PART_DEPTH)
			return false;
		it->nums[it->nnums++] = (unsigned)n;
		p = q;
		if (p < end && *p != '.')
			return false;
		p += p < end;
	}
	size_t n = (size_t)(end - p);
	it->sec = IMAP_SEC_ALL;
	if (n == 0)
		return p[-1] != '.' || it->nnums == 0;
	if (n == 6 && strncasecmp(p, "HEADER", 6) == 0)
		it->sec = IMAP_SEC_HEADER;
	else if (n == 4 && strncasecmp(p, "TEXT", 4) == 0)
		it->sec = IMAP_SEC_TEXT;
	else if (n == 4 && strncasecmp(p, "MIME", 4) == 0 && it->nnums > 0)
		it->sec = IMAP_SEC_MIME;
	else if (strncasecmp(p, "HEADER.FIELDS.NOT", 17) == 0 &&
		 (p[17] == ' ' || p[17] == '('))
		it->sec = IMAP_SEC_FIELDS_NOT;
	else if (strncasecmp(p, "HEADER.FIELDS", 13) == 0 &&
		 (p[13] == ' ' || p[13] == '('))
		it->sec = IMAP_SEC_FIELDS;
	else
		return false;
	if (it->sec == IMAP_SEC_FIELDS || it->sec == IMAP_SEC_FIELDS_NOT) {
		const char *after = section_fields(p + (it->sec == IMAP_SEC_FIELDS
							? 13 : 17), it);
		return after == end;
	}
	return true;
}

/* echo_section - the canonical "1.HEADER.FIELDS (A B)" for the response. */
static void echo_section(struct fetch_item *it)
{
	static const char *const names[] = {
		[IMAP_SEC_ALL] = "", [IMAP_SEC_HEADER] = "HEADER",
		[IMAP_SEC_FIELDS] = "HEADER.FIELDS",
		[IMAP_SEC_FIELDS_NOT] = "HEADER.FIELDS.NOT",
		[IMAP_SEC_TEXT] = "TEXT", [IMAP_SEC_MIME] = "MIME",
	};
	struct buf b;
	buf_init(&b, sizeof(it->echo) - 1);
	for (size_t i = 0; i < it->nnums; i++)
		buf_printf(&b, "%s%u", i ? "." : "", it->nums[i]);
	if (it->sec != IMAP_SEC_ALL)
		buf_printf(&b, "%s%s", it->nnums ? "." : "", names[it->sec]);
	for (size_t i = 0; i < it->nfields; i++) {
		buf_puts(&b, i ? " " : " (");
		for (const char *f = it->fields[i]; *f != '\0'; f++)
			buf_printf(&b, "%c", toupper((unsigned char)*f));
	}
	if (it->nfields > 0)
		buf_puts(&b, ")");
	snprintf(it->echo, sizeof(it->echo), "%s", b.data != NULL ? b.data : "");
	buf_free(&b);
}

/* body_item - "BODY[...]<o.n>" or "BODY.PEEK[...]<o.n>". */
static bool body_item(const char *text, struct fetch_item *it)
{
	const char *open = strchr(text, '['), *close;
	if (open == NULL)
		return false;
	it->peek = (size_t)(open - text) == 9 &&
		   strncasecmp(text, "BODY.PEEK", 9) == 0;
	if (!it->peek && !((size_t)(open - text) == 4 &&
			   strncasecmp(text, "BODY", 4) == 0))
		return false;
	close = strrchr(open, ']');
	if (close == NULL || !section(open + 1, close, it))
		return false;
	it->kind = F_SECTION;
	echo_section(it);
	if (close[1] == '\0')
		return true;
	/* RFC 9051 §6.4.5: <origin.octets>, octets non-zero */
	char *q;
	if (close[1] != '<' || !isdigit((unsigned char)close[2]))
		return false;
	it->origin = strtoull(close + 2, &q, 10);
	if (*q != '.' || !isdigit((unsigned char)q[1]))
		return false;
	it->length = strtoull(q + 1, &q, 10);
	it->partial = true;
	return it->length > 0 && q[0] == '>' && q[1] == '\0';
}

/* one_item - a single data item name (RFC 9051 §6.4.5). */
static bool one_item(const struct imap_arg *a, struct fetch_item *it)
{
	static const struct { const char *name; enum fetch_kind kind; } simple[] = {
		{ "UID", F_UID }, { "FLAGS", F_FLAGS },
		{ "INTERNALDATE", F_INTERNALDATE }, { "RFC822.SIZE", F_SIZE },
		{ "ENVELOPE", F_ENVELOPE }, { "BODYSTRUCTURE", F_BODYSTRUCTURE },
		{ "BODY", F_BODY },
	};
	if (a->type != IMAP_ARG_ATOM)
		return false;
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (strcasecmp(a->str, simple[i].name) == 0) {
			it->kind = simple[i].kind;
			return true;
		}
	}
	/* RFC 9051 §6.4.5: RFC822 is BODY[], RFC822.HEADER is
	 * BODY.PEEK[HEADER], RFC822.TEXT is BODY[TEXT]; the answers keep
	 * the old names */
	static const char *const old[] = { "RFC822", "RFC822.HEADER",
					   "RFC822.TEXT" };
	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(a->str, old[i]) == 0) {
			it->kind = F_SECTION;
			it->rfc822 = old[i];
			it->peek = i == 1;
			it->sec = i == 0 ? IMAP_SEC_ALL : i == 1 ? IMAP_SEC_HEADER
								 : IMAP_SEC_TEXT;
			return true;
		}
	}
	return body_item(a->str, it);
}

/* add_item - append to the request, noting what answering it needs. */
static bool add_item(struct fetch_req *req, const struct imap_arg *a)
{
	if (req->n == req->cap)
		return false;
	struct fetch_item *it = &req->items[req->n];
	memset(it, 0, sizeof(*it));
	if (!one_item(a, it))
		return false;
	req->n++;
	req->has_uid |= it->kind == F_UID;
	req->has_flags |= it->kind == F_FLAGS;
	req->need_text |= it->kind >= F_ENVELOPE;
	req->need_mime |= it->kind == F_ENVELOPE || it->kind == F_BODYSTRUCTURE ||
			  it->kind == F_BODY ||
			  (it->kind == F_SECTION && (it->nnums > 0 ||
						     it->sec != IMAP_SEC_ALL));
	req->sets_seen |= it->kind == F_SECTION && !it->peek;
	return true;
}

/* macro - ALL, FAST, FULL (RFC 9051 §6.4.5; FULL is rev1's). */
static bool macro(struct fetch_req *req, const struct imap_arg *a)
{
	static const char *const all[] = { "FLAGS", "INTERNALDATE",
					   "RFC822.SIZE", "ENVELOPE", "BODY" };
	size_t n = imap_arg_is(a, "FAST") ? 3 : imap_arg_is(a, "ALL") ? 4
		 : imap_arg_is(a, "FULL") ? 5 : 0;
	for (size_t i = 0; i < n; i++) {
		struct imap_arg word = { .type = IMAP_ARG_ATOM,
					 .str = (char *)all[i] };
		add_item(req, &word);
	}
	return n > 0;
}

static void free_req(struct fetch_req *req)
{
	for (size_t i = 0; i < req->n; i++)
		for (size_t k = 0; k < req->items[i].nfields; k++)
			free(req->items[i].fields[k]);
	free(req->items);
}

static bool parse_items(const struct imap_arg *a, struct fetch_req *req)
{
	/* room for what was asked, not for the most that may be: an item
	 * is large (its header field list), and FETCH runs often */
	req->cap = a->type != IMAP_ARG_LIST ? FETCH_MACRO_ITEMS
		   : a->count < FETCH_ITEMS_MAX ? a->count : FETCH_ITEMS_MAX;
	req->items = calloc(req->cap, sizeof(*req->items));
	if (req->items == NULL)
		return false;
	if (a->type != IMAP_ARG_LIST)
		return macro(req, a) || add_item(req, a);
	for (size_t i = 0; i < a->count; i++)
		if (!add_item(req, &a->list[i]))
			return false;
	return a->count > 0;
}

/* ---- answering -------------------------------------------------------- */

/* One message while it is being answered. */
struct fetch_msg {
	char *text;          /* CRLF form, or NULL */
	size_t len;
	struct imap_mime mime;
	bool parsed;
};

/* load - the message in wire form: every LF of the stored text (which
 * maildir_read gives with LF line ends) preceded by CR. */
static int load(struct imap_session *s, size_t i, bool mime,
		struct fetch_msg *fm)
{
	struct imap_msg *m = &s->mbox->msgs[i];
	const char *error = "";
	char *data;
	size_t len, lines = 0;
	if (m->expunged ||
	    maildir_read(s->mbox->path, &m->file, &data, &len, &error) < 0)
		return -1;
	for (size_t k = 0; k < len; k++)
		lines += data[k] == '\n';
	fm->text = malloc(len + lines + 1);
	if (fm->text != NULL) {
		for (size_t k = 0; k < len; k++) {
			if (data[k] == '\n')
				fm->text[fm->len++] = '\r';
			fm->text[fm->len++] = data[k];
		}
	}
	free(data);
	if (fm->text == NULL ||
	    (mime && imap_mime_parse(fm->text, fm->len, &fm->mime) < 0))
		return -1;
	fm->parsed = mime;
	return 0;
}

/* header_fields - the lines of the header whose field names are (or,
 * with @p not, are not) in the list, each with its continuation lines,
 * then the empty line (RFC 9051 §6.4.5). */
static void header_fields(const char *hdr, size_t len,
			  const struct fetch_item *it, bool not, struct buf *out)
{
	size_t pos = 0;
	while (pos < len) {
		size_t end = pos;
		do { /* the field and its folded lines */
			const char *nl = memchr(hdr + end, '\n', len - end);
			end = nl != NULL ? (size_t)(nl - hdr) + 1 : len;
		} while (end < len && (hdr[end] == ' ' || hdr[end] == '\t'));
		const char *colon = memchr(hdr + pos, ':', end - pos);
		bool listed = false;
		size_t name_len = colon != NULL ? (size_t)(colon - (hdr + pos)) : 0;
		for (size_t k = 0; colon != NULL && k < it->nfields; k++)
			listed |= strlen(it->fields[k]) == name_len &&
				  strncasecmp(hdr + pos, it->fields[k], name_len) == 0;
		if (colon != NULL && listed != not)
			buf_append(out, hdr + pos, end - pos);
		pos = end;
	}
	buf_puts(out, "\r\n");
}

/* section_data - what a BODY[...] item names: a piece of the message, or
 * (for HEADER.FIELDS) text built into @p built.  False: no such part. */
static bool section_data(const struct fetch_item *it, const struct fetch_msg *fm,
			 const char **data_r, size_t *len_r, struct buf *built)
{
	int msg = 0, node = 0;
	if (it->nnums == 0 && it->sec == IMAP_SEC_ALL) {
		*data_r = fm->text;
		*len_r = fm->len;
		return true;
	}
	node = imap_mime_find(&fm->mime, it->nums, it->nnums, &msg);
	if (node < 0)
		return false;
	const struct imap_part *p = &fm->mime.parts[node];
	const struct imap_part *mp = msg >= 0 ? &fm->mime.parts[msg] : NULL;
	const char *base = fm->text;
	switch (it->sec) {
	case IMAP_SEC_ALL:
		*data_r = base + p->body_off;
		*len_r = p->body_len;
		return true;
	case IMAP_SEC_MIME:
		*data_r = base + p->hdr_off;
		*len_r = p->hdr_len;
		return true;
	case IMAP_SEC_HEADER:
	case IMAP_SEC_TEXT:
		if (mp == NULL)
			return false;
		*data_r = base + (it->sec == IMAP_SEC_HEADER ? mp->hdr_off
							     : mp->body_off);
		*len_r = it->sec == IMAP_SEC_HEADER ? mp->hdr_len : mp->body_len;
		return true;
	case IMAP_SEC_FIELDS:
	case IMAP_SEC_FIELDS_NOT:
		if (mp == NULL)
			return false;
		header_fields(base + mp->hdr_off, mp->hdr_len, it,
			      it->sec == IMAP_SEC_FIELDS_NOT, built);
		*data_r = built->data != NULL ? built->data : "";
		*len_r = built->len;
		return true;
	}
	return false;
}

static void put_section(struct imap_session *s, const struct fetch_item *it,
			const struct fetch_msg *fm)
{
	const char *data;
	size_t len;
	struct buf built;
	buf_init(&built, IMAP_COMMAND_MAX);
	if (it->rfc822 != NULL)
		buf_printf(s->out, "%s ", it->rfc822);
	else if (it->partial)
		buf_printf(s->out, "BODY[%s]<%llu> ", it->echo,
			   (unsigned long long)it->origin);
	else
		buf_printf(s->out, "BODY[%s] ", it->echo);
	if (!section_data(it, fm, &data, &len, &built)) {
		buf_puts(s->out, "NIL");
	} else {
		if (it->partial) {
			/* RFC 9051 §6.4.5: past the end is the empty string */
			uint64_t o = it->origin < len ? it->origin : len;
			uint64_t n = len - o < it->length ? len - o : it->length;
			data += o;
			len = (size_t)n;
		}
		/* always a literal: body data is what a client saves as it
		 * comes, and some (curl) read it only in that form */
		buf_printf(s->out, "{%zu}\r\n", len);
		buf_append(s->out, data, len);
	}
	buf_free(&built);
}

static void put_flags(struct imap_session *s, const struct imap_msg *m)
{
	buf_puts(s->out, "FLAGS (");
	imap_flags_put(s->mbox, m->flags, m->keywords, s->out);
	buf_puts(s->out, ")");
}

static void put_item(struct imap_session *s, const struct fetch_item *it,
		     const struct imap_msg *m, const struct fetch_msg *fm)
{
	switch (it->kind) {
	case F_UID:
		buf_printf(s->out, "UID %u", m->file.uid);
		break;
	case F_FLAGS:
		put_flags(s, m);
		break;
	case F_INTERNALDATE:
		buf_puts(s->out, "INTERNALDATE ");
		imap_date_time_put(m->file.mtime, s->out);
		break;
	case F_SIZE:
		buf_printf(s->out, "RFC822.SIZE %lld", (long long)m->file.wire_size);
		break;
	case F_ENVELOPE:
		buf_puts(s->out, "ENVELOPE ");
		imap_envelope_put(&fm->mime, 0, s->out);
		break;
	case F_BODYSTRUCTURE:
	case F_BODY:
		buf_puts(s->out, it->kind == F_BODY ? "BODY " : "BODYSTRUCTURE ");
		imap_bodystructure_put(&fm->mime, 0, it->kind == F_BODYSTRUCTURE,
				       s->out);
		break;
	case F_SECTION:
		put_section(s, it, fm);
		break;
	}
}

/* fetch_one - the FETCH response for message @p i; false if its text was
 * needed and is gone. */
static bool fetch_one(struct imap_session *s, const struct imap_cmd *c,
		      const struct fetch_req *req, size_t i)
{
	struct imap_msg *m = &s->mbox->msgs[i];
	struct fetch_msg fm = { 0 };
	const char *error = "";
	bool ok = true, seen_now = false;
	if (req->need_text && load(s, i, req->need_mime, &fm) < 0) {
		ok = false;
	} else {
		if (req->sets_seen && !s->mbox->readonly &&
		    !(m->flags & IMAP_F_SEEN)) {
			seen_now = imap_mailbox_set_flags(s->mbox, i,
							  m->flags | IMAP_F_SEEN,
							  m->keywords, &error) == 0;
		}
		buf_printf(s->out, "* %zu FETCH (", i + 1);
		for (size_t k = 0; k < req->n; k++) {
			if (k > 0)
				buf_puts(s->out, " ");
			put_item(s, &req->items[k], m, &fm);
		}
		if (c->uid && !req->has_uid)
			buf_printf(s->out, "%sUID %u", req->n ? " " : "", m->file.uid);
		if (seen_now && !req->has_flags) {
			buf_puts(s->out, " ");
			put_flags(s, m);
		}
		buf_puts(s->out, ")\r\n");
	}
	if (fm.parsed)
		imap_mime_free(&fm.mime);
	free(fm.text);
	return ok;
}

enum imap_action imap_cmd_fetch(struct imap_session *s,
				const struct imap_cmd *c)
{
	struct fetch_req req = { 0 };
	struct imap_seqset set;
	if (c->argc != 2 || !parse_items(&c->args[1], &req)) {
		free_req(&req);
		return imap_bad(s, "usage: FETCH set (item ...), items such as "
				"FLAGS UID ENVELOPE BODY.PEEK[HEADER] "
				"BODY[1]<0.100>");
	}
	if (imap_message_set(s, c, &c->args[0], &set) < 0) {
		free_req(&req);
		return IMAP_CONTINUE;
	}
	bool gone = false;
	size_t first, end;
	imap_set_window(s, c, &set, &first, &end);
	for (size_t i = first; i < end && !s->flush_failed; i++) {
		if (!imap_in_set(s, c, &set, i))
			continue;
		gone |= !fetch_one(s, c, &req, i);
		imap_flush_some(s);
	}
	imap_seqset_free(&set);
	free_req(&req);
	if (gone)
		return imap_no(s, "[EXPUNGEISSUED] some of the messages no "
			       "longer exist");
	return imap_ok(s, "%s completed", c->info->name);
}
