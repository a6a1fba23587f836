/*
 * imap_bodystruct.c - BODYSTRUCTURE and BODY: a message's MIME tree as an
 * IMAP list (RFC 9051 §7.5.2, body and body-ext-* in §9).
 *
 * A part that is not multipart is written as
 *
 *   (type subtype (params) id description encoding size
 *    [lines]                      for text/ *
 *    [envelope body lines]        for message/rfc822
 *    [md5 disposition language location])   BODYSTRUCTURE only
 *
 * and a multipart as its parts one after the other (no space between
 * them), then the subtype, and for BODYSTRUCTURE the parameters,
 * disposition, language and location.  Example from RFC 9051 §7.5.2:
 *
 *   (("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23)
 *    ("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff")
 *     "<960723163407.20117h@cac.washington.edu>" "Compiler diff"
 *     "BASE64" 4554 73) "MIXED")
 *
 * Sizes are of the part's body as sent (still in its transfer encoding).
 */
#include "imap_mime.h"

#include "../../proto/limits.h"
#include "imap_strings.h"

#include <strings.h>

static void put_params(const struct imap_param *v, size_t n, struct buf *out)
{
	if (n == 0) {
		buf_puts(out, "NIL");
		return;
	}
	buf_puts(out, "(");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_puts(out, " ");
		imap_nstring_put(out, v[i].name);
		buf_puts(out, " ");
		imap_nstring_put(out, v[i].value);
	}
	buf_puts(out, ")");
}

/* put_field - a header field of the part as an nstring (NIL if absent). */
static void put_field(const struct imap_mime *m, const struct imap_part *p,
		      const char *name, const char *fallback, struct buf *tmp,
		      struct buf *out)
{
	if (imap_mime_field(m->data + p->hdr_off, p->hdr_len, name, tmp))
		imap_string_put(out, tmp->data, tmp->len);
	else
		imap_nstring_put(out, fallback);
}

/* put_extension - body-ext-1part / body-ext-mpart after md5 or params:
 * disposition, language, location. */
static void put_extension(const struct imap_mime *m, const struct imap_part *p,
			  struct buf *tmp, struct buf *out)
{
	buf_puts(out, " ");
	if (p->disposition == NULL) {
		buf_puts(out, "NIL");
	} else {
		buf_puts(out, "(");
		imap_nstring_put(out, p->disposition);
		buf_puts(out, " ");
		put_params(p->dparams, p->ndparams, out);
		buf_puts(out, ")");
	}
	buf_puts(out, " ");
	put_field(m, p, "Content-Language", NULL, tmp, out);
	buf_puts(out, " ");
	put_field(m, p, "Content-Location", NULL, tmp, out);
}

static void put_part(const struct imap_mime *m, int idx, bool extended,
		     struct buf *tmp, struct buf *out);

static void put_multipart(const struct imap_mime *m, const struct imap_part *p,
			  bool extended, struct buf *tmp, struct buf *out)
{
	buf_puts(out, "(");
	for (int c = p->first_child; c >= 0; c = m->parts[c].next)
		put_part(m, c, extended, tmp, out);
	buf_puts(out, " ");
	imap_nstring_put(out, p->subtype);
	if (extended) {
		buf_puts(out, " ");
		put_params(p->params, p->nparams, out);
		put_extension(m, p, tmp, out);
	}
	buf_puts(out, ")");
}

static void put_single(const struct imap_mime *m, const struct imap_part *p,
		       bool extended, struct buf *tmp, struct buf *out)
{
	buf_puts(out, "(");
	imap_nstring_put(out, p->type);
	buf_puts(out, " ");
	imap_nstring_put(out, p->subtype);
	buf_puts(out, " ");
	put_params(p->params, p->nparams, out);
	buf_puts(out, " ");
	put_field(m, p, "Content-ID", NULL, tmp, out);
	buf_puts(out, " ");
	put_field(m, p, "Content-Description", NULL, tmp, out);
	buf_puts(out, " ");
	/* RFC 2045 §6.1: 7bit when the field is missing */
	put_field(m, p, "Content-Transfer-Encoding", "7bit", tmp, out);
	buf_printf(out, " %zu", p->body_len);
	if (p->message >= 0) {
		buf_puts(out, " ");
		imap_envelope_put(m, p->message, out);
		buf_puts(out, " ");
		put_part(m, p->message, extended, tmp, out);
		buf_printf(out, " %zu", p->lines);
	} else if (strcasecmp(p->type, "text") == 0) {
		buf_printf(out, " %zu", p->lines);
	}
	if (extended) {
		buf_puts(out, " ");
		put_field(m, p, "Content-MD5", NULL, tmp, out);
		put_extension(m, p, tmp, out);
	}
	buf_puts(out, ")");
}

static void put_part(const struct imap_mime *m, int idx, bool extended,
		     struct buf *tmp, struct buf *out)
{
	const struct imap_part *p = &m->parts[idx];
	if (p->multipart)
		put_multipart(m, p, extended, tmp, out);
	else
		put_single(m, p, extended, tmp, out);
}

void imap_bodystructure_put(const struct imap_mime *m, int idx, bool extended,
			    struct buf *out)
{
	struct buf tmp;
	buf_init(&tmp, IMAP_COMMAND_MAX);
	put_part(m, idx, extended, &tmp, out);
	buf_free(&tmp);
}
