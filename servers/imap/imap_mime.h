/*
 * imap_mime.h - the structure of a message: its header, its body, and the
 * MIME parts inside (RFC 5322 message format; RFC 2045 and 2046 MIME).
 *
 * IMAP lets a client take a message apart on the server: FETCH
 * BODYSTRUCTURE describes the parts, BODY[2.1] fetches one of them,
 * BODY[2.HEADER] the header of a forwarded message inside (RFC 9051
 * §6.4.5).  So the server must parse what the client would: the header
 * (with folded lines), Content-Type with its parameters, multipart bodies
 * cut at their boundaries, and message/rfc822 parts, which hold a whole
 * message with its own header and parts.
 *
 * The parse is one pass over the message in its wire form (CRLF line
 * ends: every offset and size IMAP reports is of that form) and produces
 * a flat array of parts, each knowing where its header and body are.  A
 * part is a node of the tree in two roles, as IMAP's part numbers need:
 * the root of a message (whose HEADER and TEXT are its header and body),
 * and a body part with a Content-Type.  Nesting deeper than
 * IMAP_MIME_DEPTH_MAX, or more than IMAP_MIME_PARTS_MAX parts, is not
 * parsed: the rest is one opaque part, so a hostile message cannot make
 * the server recurse or allocate without bound.
 */
#ifndef MAILLAB_IMAP_MIME_H
#define MAILLAB_IMAP_MIME_H

#include "../../common/buf.h"

#include <stdbool.h>
#include <stddef.h>

/** A Content-Type or Content-Disposition parameter (RFC 2045 §5.1). */
struct imap_param {
	char *name; /**< lower case */
	char *value; /**< unquoted */
};

/** One MIME part: where it lies in the message and what it is. */
struct imap_part {
	/**@{*/
	size_t hdr_off, hdr_len;   /**< the header, with its empty line */
	/**@}*/
	/**@{*/
	size_t body_off, body_len; /**< what follows the empty line */
	/**@}*/
	size_t lines;              /**< text lines in the body */
	/**@{*/
	char *type, *subtype;      /**< as written, or the RFC 2045 default */
	/**@}*/
	struct imap_param *params; /**< Content-Type parameters */
	size_t nparams;            /**< entries in params */
	char *disposition;         /**< Content-Disposition type, or NULL */
	struct imap_param *dparams; /**< Content-Disposition parameters */
	size_t ndparams;           /**< entries in dparams */
	int first_child;           /**< multipart: the first part, or -1 */
	int next;                  /**< the next sibling, or -1 */
	size_t nchildren;          /**< multipart: how many parts */
	int message;               /**< message/rfc822: the message inside */
	bool multipart;            /**< the type is multipart */
};

/** A parsed message: all its parts, in one array. */
struct imap_mime {
	const char *data;          /**< the message (CRLF), not owned */
	size_t len;                /**< octets of data */
	struct imap_part *parts;   /**< parts[0] is the message itself */
	size_t count;              /**< parts used */
	size_t cap;                /**< parts allocated */
};

/**@{*/
/** Parse @p data; 0, or -1 if memory ran out. */
int imap_mime_parse(const char *data, size_t len, struct imap_mime *m);
void imap_mime_free(struct imap_mime *m);
/**@}*/

/**
 * The value of the first header field @p name in the header at
 * @p hdr (length @p len), unfolded (RFC 5322 §2.2.3), into @p out.
 * Returns false if there is no such field.
 */
bool imap_mime_field(const char *hdr, size_t len, const char *name,
		     struct buf *out);
/** The same, for every occurrence: start with *@p pos = 0 and call until
 * it returns false. */
bool imap_mime_field_next(const char *hdr, size_t len, size_t *pos,
			  const char *name, struct buf *out);

/** What a section specifier (RFC 9051 §6.4.5) selects. */
enum imap_section_kind {
	IMAP_SEC_ALL,        /**< BODY[] or BODY[1.2]: the whole part */
	IMAP_SEC_HEADER,     /**< HEADER */
	IMAP_SEC_FIELDS,     /**< HEADER.FIELDS (...) */
	IMAP_SEC_FIELDS_NOT, /**< HEADER.FIELDS.NOT (...) */
	IMAP_SEC_TEXT,       /**< TEXT */
	IMAP_SEC_MIME,       /**< MIME: the part's own MIME header */
};

/**
 * Find the node for the part numbers @p nums (count @p n; none: the whole
 * message).  @p as_message_r says whether HEADER and TEXT may be applied
 * (the numbers name a message: none, or a message/rfc822 part).  Returns
 * the node, or -1 if there is no such part.
 */
int imap_mime_find(const struct imap_mime *m, const unsigned *nums, size_t n,
		   int *message_r);

/** A parameter's value by name (case-insensitive), or NULL. */
const char *imap_mime_param(const struct imap_part *p, const char *name);

/* ---- FETCH data (imap_bodystruct.c, imap_envelope.c) ------------------- */

/**
 * BODYSTRUCTURE of node @p idx as a body part (RFC 9051 §7.5.2), with the
 * extension data if @p extended, or the shorter BODY form without it.
 */
void imap_bodystructure_put(const struct imap_mime *m, int idx, bool extended,
			    struct buf *out);
/** ENVELOPE of the message at node @p idx (RFC 9051 §7.5.2). */
void imap_envelope_put(const struct imap_mime *m, int idx, struct buf *out);

#endif
