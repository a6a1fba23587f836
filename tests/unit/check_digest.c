/*
 * check_digest.c - MD5 and HMAC-MD5 against the published vectors:
 * RFC 1321 appendix A.5 (MD5), RFC 2104 §2 / RFC 2202 §2 (HMAC-MD5), the
 * APOP example of RFC 1939 §7 and the CRAM-MD5 example of RFC 2195 §2.
 */
#include "../../common/digest.h"

#include <check.h>
#include <string.h>

/* RFC 1321 A.5 "test suite". */
static const struct {
	const char *in;
	const char *md5;
} md5_vectors[] = {
	{ "", "d41d8cd98f00b204e9800998ecf8427e" },
	{ "a", "0cc175b9c0f1b6a831c399e269772661" },
	{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
	{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
	{ "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
	{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
	  "d174ab98d277d9f5a5611c2c9f419d9f" },
	{ "1234567890123456789012345678901234567890"
	  "1234567890123456789012345678901234567890",
	  "57edf4a22be3c955ac49da2e2107b67a" },
};

START_TEST(test_md5_rfc1321)
{
	char out[DIGEST_MD5_HEX_SIZE];
	const char *in = md5_vectors[_i].in;
	digest_md5_hex(in, strlen(in), out);
	ck_assert_str_eq(out, md5_vectors[_i].md5);
}
END_TEST

/* RFC 2104 §2 / RFC 2202 §2 test cases 1, 2, 3 and 6 (a key longer than
 * the 64-byte block is hashed first). */
START_TEST(test_hmac_md5_rfc2202)
{
	char out[DIGEST_MD5_HEX_SIZE];
	unsigned char key[80], data[50];

	memset(key, 0x0b, 16);
	digest_hmac_md5_hex(key, 16, "Hi There", 8, out);
	ck_assert_str_eq(out, "9294727a3638bb1c13f48ef8158bfc9d");

	digest_hmac_md5_hex("Jefe", 4, "what do ya want for nothing?", 28, out);
	ck_assert_str_eq(out, "750c783e6ab0b503eaa86e310a5db738");

	memset(key, 0xaa, 16);
	memset(data, 0xdd, 50);
	digest_hmac_md5_hex(key, 16, data, 50, out);
	ck_assert_str_eq(out, "56be34521d144c88dbb8c733f0e8b3f6");

	const char *big =
		"Test Using Larger Than Block-Size Key - Hash Key First";
	memset(key, 0xaa, 80);
	digest_hmac_md5_hex(key, 80, big, strlen(big), out);
	ck_assert_str_eq(out, "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd");
}
END_TEST

/* RFC 1939 §7: APOP is MD5(timestamp || secret). */
START_TEST(test_apop_rfc1939)
{
	const char *input = "<1896.697170952@dbc.mtview.ca.us>tanstaaf";
	char out[DIGEST_MD5_HEX_SIZE];
	digest_md5_hex(input, strlen(input), out);
	ck_assert_str_eq(out, "c4c9334bac560ecc979e58001b3e22fb");
}
END_TEST

/* RFC 2195 §2: CRAM-MD5 is HMAC-MD5 keyed with the secret. */
START_TEST(test_cram_md5_rfc2195)
{
	const char *secret = "tanstaaftanstaaf";
	const char *ch = "<1896.697170952@postoffice.reston.mci.net>";
	char out[DIGEST_MD5_HEX_SIZE];
	digest_hmac_md5_hex(secret, strlen(secret), ch, strlen(ch), out);
	ck_assert_str_eq(out, "b913a602c7eda7a495b4e6e7334d3890");
}
END_TEST

START_TEST(test_equal)
{
	ck_assert_int_eq(digest_equal("abc", "abc"), 1);
	ck_assert_int_eq(digest_equal("", ""), 1);
	ck_assert_int_eq(digest_equal("abc", "abd"), 0);
	ck_assert_int_eq(digest_equal("abc", "xbc"), 0);
	ck_assert_int_eq(digest_equal("abc", "ab"), 0);
	ck_assert_int_eq(digest_equal("ab", "abc"), 0);
	ck_assert_int_eq(digest_equal("", "a"), 0);
}
END_TEST

Suite *digest_suite(void)
{
	Suite *s = suite_create("digest");
	TCase *tc = tcase_create("vectors");
	int nvec = (int)(sizeof(md5_vectors) / sizeof(md5_vectors[0]));
	tcase_add_loop_test(tc, test_md5_rfc1321, 0, nvec);
	tcase_add_test(tc, test_hmac_md5_rfc2202);
	tcase_add_test(tc, test_apop_rfc1939);
	tcase_add_test(tc, test_cram_md5_rfc2195);
	tcase_add_test(tc, test_equal);
	suite_add_tcase(s, tc);
	return s;
}
