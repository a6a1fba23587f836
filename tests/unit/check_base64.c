/*
 * check_base64.c - base64 against the RFC 4648 §10 test vectors, and the
 * strictness SASL relies on: every malformed input must be refused
 * (RFC 4648 §3.3: "=" only as final padding, nothing outside the alphabet).
 */
#include "../../common/base64.h"

#include <check.h>
#include <string.h>

/* RFC 4648 §10, "BASE64" column. */
static const struct {
	const char *plain;
	const char *encoded;
} vectors[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

START_TEST(test_encode_rfc4648_vectors)
{
	const char *plain = vectors[_i].plain;
	char out[16];
	ck_assert_uint_eq(base64_encoded_size(strlen(plain)),
			  strlen(vectors[_i].encoded) + 1);
	size_t n = base64_encode(plain, strlen(plain), out);
	ck_assert_uint_eq(n, strlen(vectors[_i].encoded));
	ck_assert_str_eq(out, vectors[_i].encoded);
}
END_TEST

START_TEST(test_decode_rfc4648_vectors)
{
	const char *enc = vectors[_i].encoded;
	unsigned char out[16];
	memset(out, 'X', sizeof(out));
	long n = base64_decode(enc, strlen(enc), out);
	ck_assert_int_eq(n, (long)strlen(vectors[_i].plain));
	ck_assert_mem_eq(out, vectors[_i].plain, (size_t)n);
	ck_assert_int_eq(out[n], '\0');
}
END_TEST

/* A SASL PLAIN message carries NULs: they must survive both ways. */
START_TEST(test_binary_roundtrip)
{
	static const unsigned char msg[] = "\0tim\0tanstaaf\xff\x80";
	size_t len = sizeof(msg) - 1;
	char enc[64];
	base64_encode(msg, len, enc);
	ck_assert_str_eq(enc, "AHRpbQB0YW5zdGFhZv+A");
	unsigned char dec[64];
	ck_assert_int_eq(base64_decode(enc, strlen(enc), dec), (long)len);
	ck_assert_mem_eq(dec, msg, len);
}
END_TEST

static const char *const invalid[] = {
	"Zm9",       /* length not a multiple of 4 */
	"Zm9vY",     /* length not a multiple of 4 */
	"Zg=",       /* padding cut short */
	"Zm9v!A==",  /* '!' is not in the alphabet */
	"Zm 9",      /* nor is a space */
	"Zm9v\r\n",  /* nor CR LF */
	"Zg==Zm9v",  /* '=' in the middle of the data */
	"Zm=v",      /* data after padding */
	"Z===",      /* too much padding */
	"====",      /* padding only */
	"=Zm9",      /* padding first */
	"Zm9vYmFy-_==", /* base64url characters are not base64 */
};

START_TEST(test_decode_rejects_invalid)
{
	unsigned char out[16];
	const char *in = invalid[_i];
	ck_assert_msg(base64_decode(in, strlen(in), out) == -1,
		      "accepted invalid base64 \"%s\"", in);
}
END_TEST

/* The length argument is honoured: bytes after it are not looked at. */
START_TEST(test_decode_uses_length)
{
	unsigned char out[16];
	ck_assert_int_eq(base64_decode("Zm9v!!!!", 4, out), 3);
	ck_assert_str_eq((char *)out, "foo");
}
END_TEST

Suite *base64_suite(void)
{
	Suite *s = suite_create("base64");
	TCase *tc = tcase_create("rfc4648");
	int nvec = (int)(sizeof(vectors) / sizeof(vectors[0]));
	int ninv = (int)(sizeof(invalid) / sizeof(invalid[0]));
	tcase_add_loop_test(tc, test_encode_rfc4648_vectors, 0, nvec);
	tcase_add_loop_test(tc, test_decode_rfc4648_vectors, 0, nvec);
	tcase_add_test(tc, test_binary_roundtrip);
	tcase_add_loop_test(tc, test_decode_rejects_invalid, 0, ninv);
	tcase_add_test(tc, test_decode_uses_length);
	suite_add_tcase(s, tc);
	return s;
}
