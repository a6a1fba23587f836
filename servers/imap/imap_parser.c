/*
 * imap_parser.c - an incremental tokenizer for IMAP commands (see
 * imap_parser.h for what it reports and why it must be incremental).
 *
 * RFC 9051 §9 (formal syntax) is the grammar; the lexical rules used here:
 *
 *   tag      1*<ASTRING-CHAR except "+">, then SP
 *   atom     1*ATOM-CHAR; we also take '%' '*' (list-wildcards), ']'
 *            (astring) and '\' (flags such as \Seen), and a '[' that opens
 *            a FETCH section runs to its ']'
 *   quoted   DQUOTE *(QUOTED-CHAR / "\" quoted-specials) DQUOTE; a
 *            backslash may only escape '"' or '\'; no CR, LF or NUL
 *   literal  "{" number ["+"] "}" CRLF *CHAR8  (RFC 7888 adds the "+")
 *   list     "(" [arg *(SP arg)] ")"
 *
 * Arguments are separated by one SP; runs of spaces are accepted too, as
 * most servers do, since people type IMAP by hand in this course.  8-bit
 * octets are allowed in quoted strings and literals (RFC 9051 allows
 * UTF-8 there) but not in atoms, where they can only be a mistake.
 *
 * The bytes are consumed one at a time by a state machine (enum
 * imap_lex); each state is one small function below.  Tokens are written
 * into one bounded buffer as NUL-terminated strings and noted in a flat
 * array with their parent list; only when the command is complete is the
 * tree built, so nothing points into a buffer that may still move.
 */
#include "imap_parser.h"

#include <stdlib.h>
#include <string.h>

/* ---- character classes ------------------------------------------------ */

static bool is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* atom_char - RFC 9051 §9 ATOM-CHAR, plus the extras named above. */
static bool atom_char(unsigned char c)
{
	if (c >= 0x80 || is_ctl(c))
		return false;
	return c != ' ' && c != '(' && c != ')' && c != '{' && c != '"';
}

/* tag_char - ASTRING-CHAR except '+', and no wildcards or '\'. */
static bool tag_char(unsigned char c)
{
	return atom_char(c) && c != '+' && c != '%' && c != '*' && c != '\\';
}

/* ---- life ------------------------------------------------------------- */

void imap_parser_init(struct imap_parser *p)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->text, IMAP_COMMAND_MAX);
	p->nodes = calloc(IMAP_ARGS_MAX, sizeof(*p->nodes));
	imap_parser_set_limits(p, IMAP_LITERAL_MAX, IMAP_COMMAND_MAX);
	imap_parser_reset(p);
}

void imap_parser_set_limits(struct imap_parser *p, uint64_t literal_max,
			    size_t command_max)
{
	p->literal_max = literal_max;
	p->command_max = command_max < IMAP_COMMAND_MAX ? command_max
							: IMAP_COMMAND_MAX;
}

void imap_parser_free(struct imap_parser *p)
{
	buf_free(&p->text);
	free(p->nodes);
	free(p->args);
	p->nodes = NULL;
	p->args = NULL;
}

/* A text buffer grown past this (by a large APPEND) is given back, so an
 * idle session does not keep a message's worth of memory. */
#define TEXT_KEEP (256 * 1024)

void imap_parser_reset(struct imap_parser *p)
{
	if (p->text.cap > TEXT_KEEP) {
		buf_free(&p->text);
		buf_init(&p->text, IMAP_COMMAND_MAX);
	}
	buf_reset(&p->text);
	free(p->args);
	p->args = NULL;
	p->nargs = 0;
	p->nnodes = p->line_len = p->lit_left = 0;
	p->depth = p->skip_lit = 0;
	p->tag_done = p->finished = false;
	p->tag = NULL;
	p->error = IMAP_PERR_NONE;
	p->error_text = NULL;
	p->lex = IMAP_LEX_TAG;
}

uint64_t imap_parser_literal_left(const struct imap_parser *p)
{
	return p->lex == IMAP_LEX_LIT_DATA || p->lex == IMAP_LEX_SKIP_DATA
		       ? p->lit_left : 0;
}

bool imap_parser_busy(const struct imap_parser *p)
{
	return !p->finished && (p->text.len > 0 || p->lex != IMAP_LEX_TAG);
}

/* ---- errors ----------------------------------------------------------- */

/* fail - remember the first error and skip the rest of the line; the
 * error is reported at its end, so the next command starts clean. */
static void fail(struct imap_parser *p, enum imap_parse_error e,
		 const char *why)
{
	if (p->error == IMAP_PERR_NONE) {
		p->error = e;
		p->error_text = why;
	}
	p->lex = IMAP_LEX_SKIP;
	p->skip_lit = 0;
}

/* ---- building --------------------------------------------------------- */

/* put - append one byte of the current token; the command's total size
 * is bounded by the buffer's maximum. */
static bool put(struct imap_parser *p, char c)
{
	if (p->text.len < p->command_max && buf_append(&p->text, &c, 1) == 0)
		return true;
	fail(p, IMAP_PERR_TOOBIG, "command too large");
	return false;
}

/* open_node - start a token (or a list) at the current end of text. */
static bool open_node(struct imap_parser *p, enum imap_arg_type type)
{
	if (p->nnodes == IMAP_ARGS_MAX || p->nodes == NULL) {
		fail(p, IMAP_PERR_SYNTAX, "too many arguments");
		return false;
	}
	struct imap_node *n = &p->nodes[p->nnodes++];
	*n = (struct imap_node){
		.type = type,
		.off = p->text.len,
		.parent = p->depth > 0 ? p->stack[p->depth - 1] : -1,
	};
	return true;
}

/* close_node - end the current token: its length, and its NUL. */
static void close_node(struct imap_parser *p)
{
	struct imap_node *n = &p->nodes[p->nnodes - 1];
	n->len = p->text.len - n->off;
	if (put(p, '\0'))
		p->lex = IMAP_LEX_AFTER;
}

/* build_tree - turn the flat nodes into lists of struct imap_arg.  The
 * elements of every list must be contiguous, so: count the elements of
 * each list (slot 0 is the top level, slot i + 1 is node i), give each
 * list its slice of one array, then fill the slices in order. */
static bool build_tree(struct imap_parser *p)
{
	size_t n = p->nnodes;
	struct imap_arg *all = calloc(n + 1, sizeof(*all));
	size_t *count = calloc(n + 1, sizeof(*count));
	size_t *start = calloc(n + 1, sizeof(*start));
	size_t *used = calloc(n + 1, sizeof(*used));
	bool ok = all != NULL && count != NULL && start != NULL && used != NULL;
	for (size_t i = 0; ok && i < n; i++)
		count[p->nodes[i].parent + 1]++;
	size_t next = ok ? count[0] : 0;
	for (size_t i = 0; ok && i < n; i++) {
		start[i + 1] = next;
		next += count[i + 1];
	}
	for (size_t i = 0; ok && i < n; i++) {
		const struct imap_node *nd = &p->nodes[i];
		size_t slot = (size_t)(nd->parent + 1);
		struct imap_arg *a = &all[start[slot] + used[slot]++];
		a->type = nd->type;
		a->literal = nd->literal;
		if (nd->type == IMAP_ARG_LIST) {
			a->list = &all[start[i + 1]];
			a->count = count[i + 1];
		} else {
			a->str = p->text.data + nd->off;
			a->len = nd->len;
		}
	}
	if (ok) {
		p->args = all;
		p->nargs = count[0];
	} else {
		free(all);
	}
	free(count);
	free(start);
	free(used);
	return ok;
}

/* finish - the end of a command, good or bad: the caller's turn. */
static enum imap_parse_status finish(struct imap_parser *p)
{
	p->finished = true;
	p->tag = p->tag_done ? p->text.data : NULL;
	if (p->error == IMAP_PERR_NONE && !build_tree(p)) {
		p->error = IMAP_PERR_TOOBIG;
		p->error_text = "out of memory";
	}
	return p->error == IMAP_PERR_NONE ? IMAP_PARSE_DONE : IMAP_PARSE_ERROR;
}

/* end_line - LF outside a literal: the command is complete unless a list
 * is still open or nothing but the tag came. */
static enum imap_parse_status end_line(struct imap_parser *p)
{
	if (p->error == IMAP_PERR_NONE) {
		if (p->depth > 0)
			fail(p, IMAP_PERR_SYNTAX,
			     "unbalanced parentheses: a list is not closed");
		else if (p->nnodes == 0)
			fail(p, IMAP_PERR_SYNTAX, "missing command name");
	}
	return finish(p);
}

/* ---- the states ------------------------------------------------------- */

/* bad_octet - the reply to an octet that fits nowhere. */
static void bad_octet(struct imap_parser *p, unsigned char c)
{
	static const char *const texts[] = {
		"NUL octet in command",
		"8-bit octet outside a quoted string or literal",
		"control character in command",
	};
	fail(p, IMAP_PERR_SYNTAX, texts[c == 0 ? 0 : c >= 0x80 ? 1 : 2]);
}

static enum imap_parse_status lex_tag(struct imap_parser *p, unsigned char c)
{
	if (tag_char(c)) {
		put(p, (char)c);
		return IMAP_PARSE_NEED_MORE;
	}
	bool eol = c == '\r' || c == '\n';
	if ((c == ' ' || eol) && p->text.len > 0) {
		p->tag_done = put(p, '\0');
		p->lex = IMAP_LEX_BETWEEN;
	} else if (eol && p->text.len == 0) {
		fail(p, IMAP_PERR_SYNTAX, "empty command line");
	} else if (c == ' ') {
		fail(p, IMAP_PERR_SYNTAX, "missing tag");
	} else if (c == 0 || c >= 0x80 || is_ctl(c)) {
		bad_octet(p, c);
	} else {
		fail(p, IMAP_PERR_SYNTAX, "invalid character in tag");
	}
	if (c == '\r' && p->lex != IMAP_LEX_SKIP)
		p->lex = IMAP_LEX_CR;
	return c == '\n' ? end_line(p) : IMAP_PARSE_NEED_MORE;
}

/* close_list - ')' ends the innermost open list. */
static void close_list(struct imap_parser *p)
{
	if (p->depth == 0) {
		fail(p, IMAP_PERR_SYNTAX, "unbalanced parentheses: ')' "
		     "without '('");
		return;
	}
	p->depth--;
	p->lex = IMAP_LEX_AFTER;
}

static void open_list(struct imap_parser *p)
{
	if (p->depth == IMAP_LIST_DEPTH_MAX) {
		fail(p, IMAP_PERR_SYNTAX, "lists nested too deeply");
		return;
	}
	if (open_node(p, IMAP_ARG_LIST))
		p->stack[p->depth++] = (int)p->nnodes - 1;
}

static enum imap_parse_status lex_after(struct imap_parser *p, unsigned char c)
{
	if (c == ' ') {
		p->lex = IMAP_LEX_BETWEEN;
	} else if (c == ')') {
		close_list(p);
	} else if (c == '\r') {
		p->lex = IMAP_LEX_CR;
	} else if (c == '\n') {
		return end_line(p);
	} else {
		fail(p, IMAP_PERR_SYNTAX, "arguments must be separated by a "
		     "space");
	}
	return IMAP_PARSE_NEED_MORE;
}

static enum imap_parse_status lex_between(struct imap_parser *p,
					  unsigned char c)
{
	switch (c) {
	case ' ':
		break;
	case '(':
		open_list(p);
		break;
	case ')':
		close_list(p);
		break;
	case '"':
		if (open_node(p, IMAP_ARG_STRING))
			p->lex = IMAP_LEX_QUOTED;
		break;
	case '{':
		p->lit_size = 0;
		p->lit_plus = p->lit_digits = false;
		p->lex = IMAP_LEX_LIT_SIZE;
		break;
	case '\r':
		p->lex = IMAP_LEX_CR;
		break;
	case '\n':
		return end_line(p);
	default:
		if (!atom_char(c)) {
			bad_octet(p, c);
		} else if (open_node(p, IMAP_ARG_ATOM) && put(p, (char)c)) {
			p->lex = c == '[' ? IMAP_LEX_BRACKET : IMAP_LEX_ATOM;
		}
	}
	return IMAP_PARSE_NEED_MORE;
}

static enum imap_parse_status lex_atom(struct imap_parser *p, unsigned char c)
{
	if (atom_char(c)) {
		if (put(p, (char)c) && c == '[')
			p->lex = IMAP_LEX_BRACKET;
		return IMAP_PARSE_NEED_MORE;
	}
	if (c == ' ' || c == ')' || c == '\r' || c == '\n') {
		close_node(p);
		if (p->lex != IMAP_LEX_AFTER) /* the buffer overflowed */
			return c == '\n' ? end_line(p) : IMAP_PARSE_NEED_MORE;
		return lex_after(p, c);
	}
	if (c == '(' || c == '{' || c == '"')
		fail(p, IMAP_PERR_SYNTAX, c == '(' ? "'(' inside an atom"
			 : c == '{' ? "'{' inside an atom"
				    : "'\"' inside an atom");
	else
		bad_octet(p, c);
	return IMAP_PARSE_NEED_MORE;
}

/* lex_bracket - "BODY[HEADER.FIELDS (FROM TO)]": anything printable up to
 * the ']' belongs to the atom; the FETCH code parses it. */
static enum imap_parse_status lex_bracket(struct imap_parser *p,
					  unsigned char c)
{
	if (c == ']') {
		if (put(p, (char)c))
			p->lex = IMAP_LEX_ATOM;
	} else if (c == '\r' || c == '\n') {
		fail(p, IMAP_PERR_SYNTAX, "'[' without ']'");
		return c == '\n' ? end_line(p) : IMAP_PARSE_NEED_MORE;
	} else if (c == 0 || c >= 0x80 || is_ctl(c)) {
		bad_octet(p, c);
	} else {
		put(p, (char)c);
	}
	return IMAP_PARSE_NEED_MORE;
}

static enum imap_parse_status lex_quoted(struct imap_parser *p,
					 unsigned char c)
{
	if (p->lex == IMAP_LEX_QUOTED_ESC) {
		/* RFC 9051 §9: quoted-specials only */
		if (c == '"' || c == '\\') {
			if (put(p, (char)c))
				p->lex = IMAP_LEX_QUOTED;
			return IMAP_PARSE_NEED_MORE;
		}
		fail(p, IMAP_PERR_SYNTAX, "in a quoted string '\\' may only "
		     "escape '\"' or '\\'");
	} else if (c == '"') {
		close_node(p);
		return IMAP_PARSE_NEED_MORE;
	} else if (c == '\\') {
		p->lex = IMAP_LEX_QUOTED_ESC;
		return IMAP_PARSE_NEED_MORE;
	} else if (c == '\r' || c == '\n') {
		fail(p, IMAP_PERR_SYNTAX, "quoted string not closed "
		     "(use a literal for line breaks)");
	} else if (c == 0) {
		bad_octet(p, c);
	} else {
		put(p, (char)c);
		return IMAP_PARSE_NEED_MORE;
	}
	return c == '\n' ? end_line(p) : IMAP_PARSE_NEED_MORE;
}

/* lit_too_big - checked when the size is announced, before any octet of
 * the literal is read. */
static bool lit_too_big(const struct imap_parser *p)
{
	return p->lit_size > p->literal_max ||
	       p->lit_size + p->text.len + 1 > p->command_max;
}

static enum imap_parse_status lex_lit_size(struct imap_parser *p,
					   unsigned char c)
{
	if (c >= '0' && c <= '9' && !p->lit_plus) {
		/* saturate: anything this large is refused anyway */
		if (p->lit_size <= (uint64_t)IMAP_COMMAND_MAX)
			p->lit_size = p->lit_size * 10 + (uint64_t)(c - '0');
		p->lit_digits = true;
	} else if (c == '+' && p->lit_digits && !p->lit_plus) {
		p->lit_plus = true;
	} else if (c == '}' && p->lit_digits) {
		if (!lit_too_big(p)) {
			p->lex = IMAP_LEX_LIT_EOL;
		} else if (p->lit_plus) {
			/* RFC 7888 §4: its octets are already on the way and
			 * may be any number; the stream cannot be followed. */
			p->error = IMAP_PERR_FATAL;
			p->error_text = "non-synchronizing literal too large";
			return finish(p);
		} else {
			/* {n}: the client waits for "+", which it will not
			 * get, so the command ends at this line. */
			fail(p, IMAP_PERR_TOOBIG, "literal too large");
		}
	} else {
		fail(p, IMAP_PERR_SYNTAX, "malformed literal size (use {n} "
		     "or {n+})");
		if (c == '\n')
			return end_line(p);
	}
	return IMAP_PARSE_NEED_MORE;
}

/* lex_lit_eol - after "{n}": CRLF, then the octets.  A {n} asks the
 * caller for the "+" continuation; {n+} does not (RFC 7888 §3). */
static enum imap_parse_status lex_lit_eol(struct imap_parser *p,
					  unsigned char c)
{
	if (c == '\r')
		return IMAP_PARSE_NEED_MORE;
	if (c != '\n') {
		fail(p, IMAP_PERR_SYNTAX, "a literal's size must end the line");
		return IMAP_PARSE_NEED_MORE;
	}
	if (!open_node(p, IMAP_ARG_STRING))
		return end_line(p);
	p->nodes[p->nnodes - 1].literal = true;
	p->line_len = 0;
	p->lit_left = p->lit_size;
	p->lex = IMAP_LEX_LIT_DATA;
	if (p->lit_left == 0)
		close_node(p);
	return p->lit_plus ? IMAP_PARSE_NEED_MORE : IMAP_PARSE_LITERAL;
}

static enum imap_parse_status lex_cr(struct imap_parser *p, unsigned char c)
{
	if (c == '\n')
		return end_line(p);
	fail(p, IMAP_PERR_SYNTAX, "CR not followed by LF");
	return IMAP_PARSE_NEED_MORE;
}

/* lex_skip - the rest of a bad line.  If it ends in "{n+}", the n octets
 * that follow belong to it too, and are skipped, so they are not read as
 * the next command. */
static enum imap_parse_status lex_skip(struct imap_parser *p, unsigned char c)
{
	if (c == '\n') {
		if (p->skip_lit != 2 || !p->skip_plus)
			return finish(p);
		if (p->skip_size > IMAP_COMMAND_MAX) {
			p->error = IMAP_PERR_FATAL;
			p->error_text = "non-synchronizing literal too large";
			return finish(p);
		}
		p->skip_lit = 0;
		p->lit_left = p->skip_size;
		if (p->lit_left > 0)
			p->lex = IMAP_LEX_SKIP_DATA;
		return IMAP_PARSE_NEED_MORE;
	}
	if (c == '{') {
		p->skip_lit = 1;
		p->skip_size = 0;
		p->skip_plus = false;
	} else if (p->skip_lit == 1 && c >= '0' && c <= '9' && !p->skip_plus) {
		if (p->skip_size <= (uint64_t)IMAP_COMMAND_MAX)
			p->skip_size = p->skip_size * 10 + (uint64_t)(c - '0');
	} else if (p->skip_lit == 1 && c == '+') {
		p->skip_plus = true;
	} else if (p->skip_lit == 1 && c == '}') {
		p->skip_lit = 2;
	} else if (!(p->skip_lit == 2 && c == '\r')) {
		p->skip_lit = 0;
	}
	return IMAP_PARSE_NEED_MORE;
}

/* step - one octet outside literal data. */
static enum imap_parse_status step(struct imap_parser *p, unsigned char c)
{
	if (p->lex != IMAP_LEX_SKIP && ++p->line_len > IMAP_LINE_MAX) {
		fail(p, IMAP_PERR_TOOBIG, "command line too long");
		return c == '\n' ? finish(p) : IMAP_PARSE_NEED_MORE;
	}
	switch (p->lex) {
	case IMAP_LEX_TAG:
		return lex_tag(p, c);
	case IMAP_LEX_BETWEEN:
		return lex_between(p, c);
	case IMAP_LEX_ATOM:
		return lex_atom(p, c);
	case IMAP_LEX_BRACKET:
		return lex_bracket(p, c);
	case IMAP_LEX_QUOTED:
	case IMAP_LEX_QUOTED_ESC:
		return lex_quoted(p, c);
	case IMAP_LEX_LIT_SIZE:
		return lex_lit_size(p, c);
	case IMAP_LEX_LIT_EOL:
		return lex_lit_eol(p, c);
	case IMAP_LEX_AFTER:
		return lex_after(p, c);
	case IMAP_LEX_CR:
		return lex_cr(p, c);
	case IMAP_LEX_SKIP:
		return lex_skip(p, c);
	case IMAP_LEX_LIT_DATA:
	case IMAP_LEX_SKIP_DATA:
		break; /* handled in bulk by take_literal() */
	}
	return IMAP_PARSE_NEED_MORE;
}

/* take_literal - as many octets of the literal as are here, in one copy.
 * RFC 9051 §4.3: CHAR8 excludes NUL (only BINARY's literal8 may carry
 * it), so a NUL fails the command, after its literal has been skipped. */
static size_t take_literal(struct imap_parser *p, const char *d, size_t len)
{
	size_t n = p->lit_left < len ? (size_t)p->lit_left : len;
	p->lit_left -= n;
	if (p->lex == IMAP_LEX_LIT_DATA) {
		if (memchr(d, '\0', n) != NULL) {
			fail(p, IMAP_PERR_SYNTAX, "NUL octet in a literal");
			p->lex = p->lit_left > 0 ? IMAP_LEX_SKIP_DATA
						 : IMAP_LEX_SKIP;
			return n;
		}
		if (buf_append(&p->text, d, n) < 0) {
			fail(p, IMAP_PERR_TOOBIG, "command too large");
			p->lex = p->lit_left > 0 ? IMAP_LEX_SKIP_DATA
						 : IMAP_LEX_SKIP;
			return n;
		}
		if (p->lit_left == 0)
			close_node(p);
	} else if (p->lit_left == 0) {
		p->lex = IMAP_LEX_SKIP;
	}
	return n;
}

size_t imap_parser_feed(struct imap_parser *p, const void *data, size_t len,
			enum imap_parse_status *status_r)
{
	const char *d = data;
	size_t i = 0;
	if (p->finished)
		imap_parser_reset(p);
	*status_r = IMAP_PARSE_NEED_MORE;
	while (i < len) {
		if ((p->lex == IMAP_LEX_LIT_DATA ||
		     p->lex == IMAP_LEX_SKIP_DATA) && p->lit_left > 0) {
			i += take_literal(p, d + i, len - i);
			continue;
		}
		enum imap_parse_status st = step(p, (unsigned char)d[i++]);
		if (st != IMAP_PARSE_NEED_MORE) {
			*status_r = st;
			break;
		}
	}
	return i;
}
