/*
 * fuzz_sessfile.c - the session-file parser of mailsh
 * (docs/session-format.md).
 *
 * Session files come from labs, from a recording, or from a learner's
 * editor, so the parser must take any text.  The input is parsed as a
 * session file; when it is one, every client line is expanded both ways
 * (for sending and as a pattern), and every server line is used as a
 * pattern against itself and against a line the input names.  Checked
 * besides crashes: sessfile_escape() keeps its promise that the escaped
 * form of a text matches exactly that text, for every line of the input.
 */
#include "support.h"

#include "../shell/sessfile.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* every line of the input, escaped, must match itself */
static void check_escape(const uint8_t *data, size_t size)
{
	char *out = malloc(SESSFILE_TEXT_MAX + 1);
	size_t start = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		const char *line = (const char *)data + start;
		size_t len = i - start;
		start = i + 1;
		if (memchr(line, '\0', len) != NULL)
			continue; /* a server line never holds NUL by then */
		char *text = strndup(line, len);
		sessfile_escape(text, len, out, SESSFILE_TEXT_MAX + 1);
		if (!sessfile_match(out, text))
			fuzz_fail("escaped \"%s\" does not match its text", out);
		free(text);
	}
	free(out);
}

static void use_steps(const struct sessfile *sf)
{
	static char out[SESSFILE_LINE_MAX * 4];
	const char *error;
	struct sessfile_ctx ctx = { "<1.2@host>", "<3.4@host>" };
	for (size_t i = 0; i < sf->nsteps; i++) {
		const struct sessfile_step *st = &sf->steps[i];
		if (st->client != NULL) {
			sessfile_expand(sf, st->client, &ctx, SESSFILE_TO_SEND,
					out, sizeof(out), &error);
			if (sessfile_expand(sf, st->client, &ctx,
					    SESSFILE_TO_PATTERN, out,
					    sizeof(out), &error) == 0)
				sessfile_match(out, st->client);
		}
		for (size_t j = 0; j < st->nserver; j++) {
			sessfile_is_any_lines(st->server[j]);
			sessfile_match(st->server[j], st->server[j]);
			sessfile_match(st->server[j], "+OK 2 messages (320 octets)");
		}
	}
	char name[64];
	sessfile_missing_secret(sf, name, sizeof(name));
	sessfile_secret(sf, "password");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sessfile sf;
	char err[256];
	if (sessfile_parse((const char *)data, size, "fuzz", &sf, err,
			   sizeof(err)) == 0) {
		use_steps(&sf);
		sessfile_free(&sf);
	}
	check_escape(data, size);
	return 0;
}
