/*
 * fuzz_imap_mutf7.c - modified UTF-7, both ways (RFC 3501 §5.1.3).
 *
 * The codec promises a round trip in each direction, and this target
 * holds it to both:
 *
 *   - any UTF-8 name the encoder accepts decodes back to the same bytes:
 *     decode(encode(x)) == x;
 *   - any wire name the decoder accepts is the one spelling of its name,
 *     so encoding what came out gives back the input: encode(decode(y))
 *     == y.  A decoder that accepted a second spelling ("&AGE-" for "a")
 *     would let two different wire names open one mailbox.
 *
 * The input is cut at its first NUL, as names are C strings by then.
 */
#include "support.h"

#include "../servers/imap/imap_mutf7.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1);
	memcpy(in, data, size);
	in[size] = '\0';
	/* every UTF-8 octet may become up to 8/3 characters of base64, and
	 * a UTF-16 unit of a 4-octet character is never more than that */
	size_t cap = 4 * size + 16;
	char *wire = malloc(cap), *back = malloc(cap);
	if (imap_mutf7_encode(in, wire, cap) == 0) {
		if (imap_mutf7_decode(wire, back, cap) != 0)
			fuzz_fail("encoder output \"%s\" does not decode", wire);
		if (strcmp(back, in) != 0)
			fuzz_fail("decode(encode(x)) != x for \"%s\"", wire);
	}
	if (imap_mutf7_decode(in, wire, cap) == 0) {
		if (imap_mutf7_encode(wire, back, cap) != 0)
			fuzz_fail("decoded \"%s\" does not encode", in);
		if (strcmp(back, in) != 0)
			fuzz_fail("\"%s\" decodes but is not canonical (\"%s\")",
				  in, back);
	}
	free(in);
	free(wire);
	free(back);
	return 0;
}
