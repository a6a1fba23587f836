/*
 * imap_search.c - SEARCH and UID SEARCH (RFC 9051 §6.4.4; the rev1 keys
 * of RFC 3501 §6.4.4: NEW, OLD, RECENT, UNRECENT are kept).
 *
 *   C: a1 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"
 *   S: * SEARCH 2 84 882
 *   S: a1 OK SEARCH completed
 *
 * The criteria are parsed into a small tree first (a list of keys is an
 * AND; OR and NOT take one and two keys; a parenthesised list is one
 * key), so a malformed search is refused before any message is read.
 * Then each message is tested; its text is read only when a key needs it
 * (HEADER, FROM, BODY, TEXT, SENT*...), once.
 *
 * Strings match as case-insensitive substrings (ASCII letters fold; other
 * octets, UTF-8 included, must be equal) of the text as a reader sees it:
 * header fields unfolded and with their encoded words decoded, and the
 * text parts of the body decoded from quoted-printable or base64
 * (imap_decode.c).  CHARSET may be US-ASCII or UTF-8 (RFC 9051 §6.4.4);
 * any other is answered NO [BADCHARSET (US-ASCII UTF-8)].
 */
#include "imap_internal.h"

#include "imap_date.h"
#include "imap_decode.h"
#include "imap_mime.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* How deep NOT and OR may nest (each level is one recursion). */
#define SEARCH_DEPTH_MAX 64

enum key_kind {
	K_AND, K_OR, K_NOT, K_ALL, K_SEQ, K_UID, K_FLAG, K_UNFLAG, K_KEYWORD,
	K_UNKEYWORD, K_NEW, K_OLD, K_LARGER, K_SMALLER, K_BEFORE, K_ON,
	K_SINCE, K_SENTBEFORE, K_SENTON, K_SENTSINCE, K_HEADER, K_BODY, K_TEXT,
};

struct key {
	enum key_kind kind;
	unsigned flag;            /* K_FLAG, K_UNFLAG */
	const char *field;        /* K_HEADER: field name */
	const char *str;          /* K_HEADER, K_BODY, K_TEXT, keywords */
	uint64_t number;          /* K_LARGER, K_SMALLER */
	long day;                 /* dates */
	struct imap_seqset set;   /* K_SEQ, K_UID */
	struct key **sub;         /* K_AND, K_OR, K_NOT */
	size_t nsub;
};

/* ---- parsing ---------------------------------------------------------- */

struct parse {
	struct imap_session *s;
	const struct imap_cmd *c;
	const char *error;
	int depth;
};

static void free_key(struct key *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < k->nsub; i++)
		free_key(k->sub[i]);
	free(k->sub);
	imap_seqset_free(&k->set);
	free(k);
}

static struct key *new_key(enum key_kind kind, size_t nsub)
{
	struct key *k = calloc(1, sizeof(*k));
	if (k != NULL && nsub > 0 && (k->sub = calloc(nsub, sizeof(*k->sub))) == NULL) {
		free(k);
		return NULL;
	}
	if (k != NULL)
		k->kind = kind;
	return k;
}

/* Keys without arguments. */
static const struct {
	const char *name;
	enum key_kind kind;
	unsigned flag;
} plain_keys[] = {
	{ "ALL", K_ALL, 0 },
	{ "ANSWERED", K_FLAG, IMAP_F_ANSWERED },
	{ "DELETED", K_FLAG, IMAP_F_DELETED },
	{ "DRAFT", K_FLAG, IMAP_F_DRAFT },
	{ "FLAGGED", K_FLAG, IMAP_F_FLAGGED },
	{ "RECENT", K_FLAG, IMAP_F_RECENT },
	{ "SEEN", K_FLAG, IMAP_F_SEEN },
	{ "UNANSWERED", K_UNFLAG, IMAP_F_ANSWERED },
	{ "UNDELETED", K_UNFLAG, IMAP_F_DELETED },
	{ "UNDRAFT", K_UNFLAG, IMAP_F_DRAFT },
	{ "UNFLAGGED", K_UNFLAG, IMAP_F_FLAGGED },
	{ "UNSEEN", K_UNFLAG, IMAP_F_SEEN },
	{ "UNRECENT", K_UNFLAG, IMAP_F_RECENT },
	{ "NEW", K_NEW, 0 },
	{ "OLD", K_OLD, 0 },
};

/* Keys with one string argument; the header ones name their field. */
static const struct {
	const char *name;
	enum key_kind kind;
	const char *field;
} string_keys[] = {
	{ "BCC", K_HEADER, "Bcc" }, { "CC", K_HEADER, "Cc" },
	{ "FROM", K_HEADER, "From" }, { "SUBJECT", K_HEADER, "Subject" },
	{ "TO", K_HEADER, "To" }, { "BODY", K_BODY, NULL },
	{ "TEXT", K_TEXT, NULL }, { "KEYWORD", K_KEYWORD, NULL },
	{ "UNKEYWORD", K_UNKEYWORD, NULL },
};

/* Keys with a date argument. */
static const struct {
	const char *name;
	enum key_kind kind;
} date_keys[] = {
	{ "BEFORE", K_BEFORE }, { "ON", K_ON }, { "SINCE", K_SINCE },
	{ "SENTBEFORE", K_SENTBEFORE }, { "SENTON", K_SENTON },
	{ "SENTSINCE", K_SENTSINCE },
};

static struct key *parse_key(struct parse *ps, const struct imap_arg *a,
			     size_t n, size_t *i);

/* arg_string - the next argument as a string (atom or string). */
static const char *arg_string(struct parse *ps, const struct imap_arg *a,
			      size_t n, size_t *i)
{
	if (*i >= n || a[*i].type == IMAP_ARG_LIST) {
		ps->error = "a search key is missing its argument";
		return NULL;
	}
	return a[(*i)++].str;
}

/* parse_and - keys until the end of @p a: all must match. */
static struct key *parse_and(struct parse *ps, const struct imap_arg *a,
			     size_t n)
{
	struct key *k = new_key(K_AND, n);
	for (size_t i = 0; k != NULL && i < n;) {
		struct key *sub = parse_key(ps, a, n, &i);
		if (sub == NULL) {
			free_key(k);
			return NULL;
		}
		k->sub[k->nsub++] = sub;
	}
	if (n == 0)
		ps->error = "a list of search keys may not be empty";
	return n > 0 ? k : (free_key(k), NULL);
}

static struct key *parse_set(struct parse *ps, const char *text, bool uid)
{
	const struct imap_mailbox *mb = ps->s->mbox;
	size_t known = mb->exists_sent;
	uint32_t star = !uid ? (uint32_t)known
		      : known > 0 ? mb->msgs[known - 1].file.uid : 0;
	struct key *k = new_key(uid ? K_UID : K_SEQ, 0);
	if (k != NULL && imap_seqset_parse(text, star, &k->set, &ps->error) < 0) {
		free_key(k);
		return NULL;
	}
	return k;
}

/* string_key - FROM, SUBJECT, BODY, KEYWORD ...: one string argument. */
static struct key *string_key(struct parse *ps, size_t t,
			      const struct imap_arg *a, size_t n, size_t *i)
{
	const char *v = arg_string(ps, a, n, i);
	struct key *k = v != NULL ? new_key(string_keys[t].kind, 0) : NULL;
	if (k != NULL) {
		k->str = v;
		k->field = string_keys[t].field;
	}
	return k;
}

/* date_key - BEFORE, ON, SINCE and the SENT* keys: a date argument. */
static struct key *date_key(struct parse *ps, size_t t,
			    const struct imap_arg *a, size_t n, size_t *i)
{
	const char *v = arg_string(ps, a, n, i);
	long day;
	if (v == NULL || imap_date_parse(v, &day) < 0) {
		ps->error = "a search date looks like 1-Feb-1994";
		return NULL;
	}
	struct key *k = new_key(date_keys[t].kind, 0);
	if (k != NULL)
		k->day = day;
	return k;
}

/* size_key - LARGER n, SMALLER n. */
static struct key *size_key(struct parse *ps, enum key_kind kind,
			    const struct imap_arg *a, size_t n, size_t *i)
{
	const char *v = arg_string(ps, a, n, i);
	if (v == NULL || !isdigit((unsigned char)*v)) {
		ps->error = "LARGER and SMALLER take a number of octets";
		return NULL;
	}
	struct key *k = new_key(kind, 0);
	if (k != NULL)
		k->number = strtoull(v, NULL, 10);
	return k;
}

/* parse_args - a key with arguments; NULL with ps->error if malformed. */
static struct key *parse_args(struct parse *ps, const char *name,
			      const struct imap_arg *a, size_t n, size_t *i)
{
	for (size_t t = 0; t < sizeof(string_keys) / sizeof(string_keys[0]); t++)
		if (strcasecmp(name, string_keys[t].name) == 0)
			return string_key(ps, t, a, n, i);
	for (size_t t = 0; t < sizeof(date_keys) / sizeof(date_keys[0]); t++)
		if (strcasecmp(name, date_keys[t].name) == 0)
			return date_key(ps, t, a, n, i);
	if (strcasecmp(name, "LARGER") == 0)
		return size_key(ps, K_LARGER, a, n, i);
	if (strcasecmp(name, "SMALLER") == 0)
		return size_key(ps, K_SMALLER, a, n, i);
	if (strcasecmp(name, "HEADER") == 0) {
		const char *field = arg_string(ps, a, n, i);
		const char *v = field != NULL ? arg_string(ps, a, n, i) : NULL;
		struct key *k = v != NULL ? new_key(K_HEADER, 0) : NULL;
		if (k != NULL) {
			k->field = field;
			k->str = v;
		}
		return k;
	}
	if (strcasecmp(name, "UID") == 0) {
		const char *v = arg_string(ps, a, n, i);
		return v != NULL ? parse_set(ps, v, true) : NULL;
	}
	ps->error = "unknown search key";
	return NULL;
}

static struct key *parse_key(struct parse *ps, const struct imap_arg *a,
			     size_t n, size_t *i)
{
	const struct imap_arg *arg = &a[(*i)++];
	if (++ps->depth > SEARCH_DEPTH_MAX) {
		ps->error = "search keys nested too deeply";
		return NULL;
	}
	struct key *k = NULL;
	if (arg->type == IMAP_ARG_LIST) {
		k = parse_and(ps, arg->list, arg->count);
	} else if (arg->type != IMAP_ARG_ATOM) {
		ps->error = "a search key is an atom";
	} else if (isdigit((unsigned char)arg->str[0]) || arg->str[0] == '*') {
		k = parse_set(ps, arg->str, false);
	} else if (strcasecmp(arg->str, "NOT") == 0 || strcasecmp(arg->str, "OR") == 0) {
		size_t subs = toupper((unsigned char)arg->str[0]) == 'N' ? 1 : 2;
		k = new_key(subs == 1 ? K_NOT : K_OR, subs);
		while (k != NULL && k->nsub < subs) {
			struct key *sub = *i < n ? parse_key(ps, a, n, i) : NULL;
			if (sub == NULL) {
				if (*i >= n)
					ps->error = "NOT and OR need search keys after them";
				free_key(k);
				k = NULL;
				break;
			}
			k->sub[k->nsub++] = sub;
		}
	} else {
		for (size_t t = 0; t < sizeof(plain_keys) / sizeof(plain_keys[0]); t++) {
			if (strcasecmp(arg->str, plain_keys[t].name) == 0) {
				k = new_key(plain_keys[t].kind, 0);
				if (k != NULL)
					k->flag = plain_keys[t].flag;
				ps->depth--;
				return k;
			}
		}
		k = parse_args(ps, arg->str, a, n, i);
	}
	ps->depth--;
	return k;
}

/* ---- matching --------------------------------------------------------- */

/* One message while it is being tested. */
struct candidate {
	struct imap_session *s;
	size_t index;
	struct imap_msg *m;
	bool tried;           /* the text was asked for */
	char *text;           /* LF line ends, as stored; NULL if gone */
	size_t len, hdr_len;
	struct buf field;     /* scratch for header values */
	struct buf decoded;   /* a header value, its encoded words decoded */
	struct buf body;      /* the decoded text parts, once needed */
	bool have_body;
};

static bool contains(const char *hay, size_t hlen, const char *needle)
{
	size_t n = strlen(needle);
	if (n == 0)
		return true;
	for (size_t i = 0; i + n <= hlen; i++) {
		size_t k = 0;
		while (k < n && tolower((unsigned char)hay[i + k]) ==
				tolower((unsigned char)needle[k]))
			k++;
		if (k == n)
			return true;
	}
	return false;
}

/* text - the message, read the first time a key needs it. */
static bool text(struct candidate *cd)
{
	if (!cd->tried) {
		const char *error = "";
		cd->tried = true;
		if (!cd->m->expunged &&
		    maildir_read(cd->s->mbox->path, &cd->m->file,
				 &cd->text, &cd->len, &error) == 0) {
			/* the header ends at the first empty line */
			const char *end = cd->text[0] == '\n' ? cd->text - 1
					: strstr(cd->text, "\n\n");
			cd->hdr_len = end != NULL ? (size_t)(end - cd->text) + 2
						  : cd->len;
		}
	}
	return cd->text != NULL;
}

static bool header_has(struct candidate *cd, const char *field,
		       const char *str)
{
	size_t pos = 0;
	if (!text(cd))
		return false;
	/* RFC 9051 §6.4.4: every field of that name counts */
	while (imap_mime_field_next(cd->text, cd->hdr_len, &pos, field,
				    &cd->field)) {
		buf_reset(&cd->decoded);
		imap_decode_words(cd->field.data, cd->field.len, &cd->decoded);
		if (contains(cd->decoded.data, cd->decoded.len, str))
			return true;
	}
	return false;
}

/* text_part - a body part that is text, decoded into the body buffer. */
static void text_part(struct candidate *cd, const struct imap_mime *m,
		      const struct imap_part *p)
{
	const char *cte = NULL;
	if (imap_mime_field(m->data + p->hdr_off, p->hdr_len,
			    "Content-Transfer-Encoding", &cd->field))
		cte = cd->field.data;
	imap_decode_body(m->data + p->body_off, p->body_len, cte,
			 imap_mime_param(p, "charset"), &cd->body);
	buf_puts(&cd->body, "\n");
}

/* body - the text a reader sees in the body: every text part, decoded
 * (attachments of other types are not searched). */
static const struct buf *body(struct candidate *cd)
{
	struct imap_mime m;
	if (cd->have_body || !text(cd))
		return &cd->body;
	cd->have_body = true;
	buf_append(&cd->body, "", 0);
	if (imap_mime_parse(cd->text, cd->len, &m) < 0)
		return &cd->body;
	for (size_t i = 0; i < m.count; i++) {
		const struct imap_part *p = &m.parts[i];
		if (!p->multipart && p->message < 0 &&
		    strcasecmp(p->type, "text") == 0)
			text_part(cd, &m, p);
	}
	imap_mime_free(&m);
	return &cd->body;
}

/* text_has - TEXT: the header (decoded) or the body. */
static bool text_has(struct candidate *cd, const char *str)
{
	if (!text(cd))
		return false;
	buf_reset(&cd->decoded);
	imap_decode_words(cd->text, cd->hdr_len, &cd->decoded);
	const struct buf *b = body(cd);
	return contains(cd->decoded.data, cd->decoded.len, str) ||
	       contains(b->data, b->len, str);
}

/* sent_day - the day of the Date: field; INTERNALDATE's without one. */
static long sent_day(struct candidate *cd)
{
	long day;
	if (text(cd) && imap_mime_field(cd->text, cd->hdr_len, "Date", &cd->field) &&
	    imap_date_rfc5322(cd->field.data, &day) == 0)
		return day;
	return imap_date_day(cd->m->file.mtime);
}

static bool keyword_is(struct candidate *cd, const char *name)
{
	int k = keywords_find(&cd->s->mbox->kw, name);
	return k >= 0 && (cd->m->keywords & (1u << k));
}

static bool match(const struct key *k, struct candidate *cd)
{
	const struct imap_msg *m = cd->m;
	long day = imap_date_day(m->file.mtime);
	switch (k->kind) {
	case K_AND:
		for (size_t i = 0; i < k->nsub; i++)
			if (!match(k->sub[i], cd))
				return false;
		return true;
	case K_OR: return match(k->sub[0], cd) || match(k->sub[1], cd);
	case K_NOT: return !match(k->sub[0], cd);
	case K_ALL: return true;
	case K_SEQ: return imap_seqset_contains(&k->set, (uint32_t)cd->index + 1);
	case K_UID: return imap_seqset_contains(&k->set, m->file.uid);
	case K_FLAG: return (m->flags & k->flag) != 0;
	case K_UNFLAG: return (m->flags & k->flag) == 0;
	case K_KEYWORD: return keyword_is(cd, k->str);
	case K_UNKEYWORD: return !keyword_is(cd, k->str);
	/* RFC 3501 §6.4.4: NEW is RECENT UNSEEN, OLD is NOT RECENT */
	case K_NEW: return (m->flags & (IMAP_F_RECENT | IMAP_F_SEEN)) == IMAP_F_RECENT;
	case K_OLD: return !(m->flags & IMAP_F_RECENT);
	case K_LARGER: return (uint64_t)m->file.wire_size > k->number;
	case K_SMALLER: return (uint64_t)m->file.wire_size < k->number;
	case K_BEFORE: return day < k->day;
	case K_ON: return day == k->day;
	case K_SINCE: return day >= k->day;
	case K_SENTBEFORE: return sent_day(cd) < k->day;
	case K_SENTON: return sent_day(cd) == k->day;
	case K_SENTSINCE: return sent_day(cd) >= k->day;
	case K_HEADER: return header_has(cd, k->field, k->str);
	case K_BODY: return text(cd) && contains(body(cd)->data, body(cd)->len,
						 k->str);
	case K_TEXT: return text_has(cd, k->str);
	}
	return false;
}

/* ---- the command ------------------------------------------------------- */

/* charset - "CHARSET x" at the start; false (and replied) if refused. */
static bool charset(struct imap_session *s, const struct imap_cmd *c,
		    size_t *first)
{
	*first = 0;
	if (c->argc < 2 || !imap_arg_is(&c->args[0], "CHARSET"))
		return true;
	*first = 2;
	const char *cs = imap_arg_text(&c->args[1]);
	if (cs != NULL && (strcasecmp(cs, "US-ASCII") == 0 ||
			   strcasecmp(cs, "UTF-8") == 0))
		return true;
	imap_no(s, "[BADCHARSET (US-ASCII UTF-8)] unsupported charset");
	return false;
}

enum imap_action imap_cmd_search(struct imap_session *s,
				 const struct imap_cmd *c)
{
	struct parse ps = { .s = s, .c = c, .error = "" };
	size_t first;
	/* no EXPUNGE before the keys are read: they may hold sequence
	 * numbers (RFC 9051 §7.5.1); UID SEARCH may have them */
	imap_announce(s, c->uid);
	if (s->fatal)
		return IMAP_CLOSE;
	if (c->argc == 0)
		return imap_bad(s, "usage: SEARCH [CHARSET UTF-8] key...");
	if (!charset(s, c, &first))
		return IMAP_CONTINUE;
	struct key *k = parse_and(&ps, c->args + first, c->argc - first);
	if (k == NULL)
		return imap_bad(s, "%s", ps.error);
	buf_puts(s->out, "* SEARCH");
	for (size_t i = 0; i < s->mbox->exists_sent; i++) {
		struct candidate cd = { .s = s, .index = i, .m = &s->mbox->msgs[i] };
		buf_init(&cd.field, IMAP_COMMAND_MAX);
		buf_init(&cd.decoded, IMAP_COMMAND_MAX);
		buf_init(&cd.body, 2 * (size_t)IMAP_COMMAND_MAX);
		if (match(k, &cd))
			buf_printf(s->out, " %u", c->uid ? cd.m->file.uid
							  : (unsigned)(i + 1));
		free(cd.text);
		buf_free(&cd.field);
		buf_free(&cd.decoded);
		buf_free(&cd.body);
		imap_flush_some(s);
	}
	buf_puts(s->out, "\r\n");
	free_key(k);
	return imap_ok(s, "%s completed", c->info->name);
}
