/*
 * sasl_help.c - the arithmetic of logging in, done in the open.
 *
 * SASL answers are base64 (RFC 4648 §4), which anyone can decode: these
 * helpers build them so the learner can type them and see that nothing
 * was hidden.  They print; they never send.
 *
 *   :plain   RFC 4616 §2: [authzid] NUL authcid NUL password, base64
 *   :login   the LOGIN mechanism: the user name, then the password, each
 *            base64 (draft-murchison-sasl-login; not in an RFC)
 *   :cram    RFC 2195 §2: "user " + hex HMAC-MD5(secret, challenge),
 *            base64; the challenge is the server's, decoded
 *   :apop    RFC 1939 §7: hex MD5(greeting timestamp + secret)
 *   :b64 / :unb64   plain encoding and decoding
 */
#include "shell.h"

#include "../common/base64.h"
#include "../common/digest.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* encode - base64 of @p len bytes into @p out; -1 if it does not fit. */
static int encode(const void *data, size_t len, char *out, size_t size)
{
	if (base64_encoded_size(len) > size)
		return -1;
	base64_encode(data, len, out);
	return 0;
}

int sasl_plain_b64(const char *authzid, const char *user, const char *pass,
		   char *out, size_t size)
{
	char msg[3 * 256 + 2];
	size_t a = strlen(authzid), u = strlen(user), p = strlen(pass);
	if (a > 256 || u > 256 || p > 256)
		return -1;
	memcpy(msg, authzid, a);
	msg[a] = '\0';
	memcpy(msg + a + 1, user, u);
	msg[a + 1 + u] = '\0';
	memcpy(msg + a + u + 2, pass, p);
	return encode(msg, a + u + p + 2, out, size);
}

int sasl_cram_answer(const char *user, const char *secret,
		     const char *challenge, char *out, size_t size)
{
	char digest[DIGEST_MD5_HEX_SIZE];
	char answer[300];
	digest_hmac_md5_hex(secret, strlen(secret), challenge,
			    strlen(challenge), digest);
	int n = snprintf(answer, sizeof(answer), "%s %s", user, digest);
	if (n < 0 || (size_t)n >= sizeof(answer))
		return -1;
	return encode(answer, (size_t)n, out, size);
}

int sasl_apop_digest(const char *timestamp, const char *secret, char *out,
		     size_t size)
{
	char text[SHELL_CHALLENGE_LEN + 256];
	int n = snprintf(text, sizeof(text), "%s%s", timestamp, secret);
	if (n < 0 || (size_t)n >= sizeof(text) || size < DIGEST_MD5_HEX_SIZE)
		return -1;
	digest_md5_hex(text, (size_t)n, out);
	return 0;
}

/* usage - print the command's usage when the argument count is wrong. */
static bool usage(struct shell *sh, int argc, int min, int max,
		  const char *text)
{
	if (argc >= min && argc <= max)
		return false;
	out_error(sh, "usage: %s", text);
	shell_unexpected(sh, "bad arguments");
	return true;
}

void sasl_help_plain(struct shell *sh, int argc, char **argv)
{
	char b64[1100];
	if (usage(sh, argc, 3, 4, ":plain user password [authzid]") ||
	    sasl_plain_b64(argc == 4 ? argv[3] : "", argv[1], argv[2], b64,
			   sizeof(b64)) < 0)
		return;
	out_info(sh, "PLAIN (RFC 4616 §2): authzid NUL user NUL password, "
		 "in base64:");
	fprintf(sh->out, "%s\n", b64);
	out_info(sh, "type it after AUTH PLAIN (POP3, SMTP) or AUTHENTICATE "
		 "PLAIN (IMAP), or as the answer to an empty challenge");
	out_info(sh, "it is not encrypted: :unb64 %s gives the password back",
		 b64);
}

void sasl_help_login(struct shell *sh, int argc, char **argv)
{
	char user[400], pass[400];
	if (usage(sh, argc, 3, 3, ":login user password") ||
	    encode(argv[1], strlen(argv[1]), user, sizeof(user)) < 0 ||
	    encode(argv[2], strlen(argv[2]), pass, sizeof(pass)) < 0)
		return;
	out_info(sh, "LOGIN: the server asks \"Username:\" then \"Password:\" "
		 "(in base64); the answers:");
	fprintf(sh->out, "%s\n%s\n", user, pass);
}

void sasl_help_b64(struct shell *sh, int argc, char **argv)
{
	char text[SHELL_INPUT_MAX], b64[SHELL_INPUT_MAX * 2];
	size_t used = 0;
	if (usage(sh, argc, 2, 8, ":b64 text"))
		return;
	for (int i = 1; i < argc; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%s",
					 i > 1 ? " " : "", argv[i]);
	if (encode(text, strlen(text), b64, sizeof(b64)) == 0)
		fprintf(sh->out, "%s\n", b64);
}

void sasl_help_unb64(struct shell *sh, int argc, char **argv)
{
	if (usage(sh, argc, 2, 2, ":unb64 base64"))
		return;
	size_t len = strlen(argv[1]);
	unsigned char *text = malloc(len / 4 * 3 + 2);
	long n = text ? base64_decode(argv[1], len, text) : -1;
	if (n < 0) {
		out_error(sh, "not valid base64 (RFC 4648 §4)");
		shell_unexpected(sh, "bad base64");
		free(text);
		return;
	}
	/* NUL (the PLAIN separator) and other controls made visible */
	for (long i = 0; i < n; i++)
		if (text[i] == '\0')
			fputs("\\0", sh->out);
		else if (isprint(text[i]))
			fputc(text[i], sh->out);
		else
			fprintf(sh->out, "\\x%02x", text[i]);
	fputc('\n', sh->out);
	free(text);
}

void sasl_help_cram(struct shell *sh, int argc, char **argv)
{
	char challenge[SHELL_CHALLENGE_LEN], b64[600];
	if (usage(sh, argc, 3, 4, ":cram user secret [challenge]"))
		return;
	if (argc == 4) {
		unsigned char decoded[SHELL_CHALLENGE_LEN];
		size_t len = strlen(argv[3]);
		long n = len / 4 * 3 < sizeof(decoded) - 1
				 ? base64_decode(argv[3], len, decoded) : -1;
		snprintf(challenge, sizeof(challenge), "%s",
			 n >= 0 ? (char *)decoded : argv[3]);
	} else {
		snprintf(challenge, sizeof(challenge), "%s", sh->track.challenge);
	}
	if (challenge[0] == '\0') {
		out_error(sh, "no challenge yet: send AUTH CRAM-MD5 first, or "
			  "give the challenge");
		return;
	}
	if (sasl_cram_answer(argv[1], argv[2], challenge, b64, sizeof(b64)) < 0)
		return;
	out_info(sh, "CRAM-MD5 (RFC 2195 §2): challenge %s", challenge);
	out_info(sh, "answer = base64(\"%s \" + HMAC-MD5(secret, challenge)):",
		 argv[1]);
	fprintf(sh->out, "%s\n", b64);
}

void sasl_help_apop(struct shell *sh, int argc, char **argv)
{
	char digest[DIGEST_MD5_HEX_SIZE];
	if (usage(sh, argc, 3, 4, ":apop user secret [timestamp]"))
		return;
	const char *stamp = argc == 4 ? argv[3] : sh->track.apop_stamp;
	if (stamp[0] == '\0') {
		out_error(sh, "no timestamp: the greeting had no <...> (the "
			  "server does not offer APOP); give one");
		return;
	}
	if (sasl_apop_digest(stamp, argv[2], digest, sizeof(digest)) < 0)
		return;
	out_info(sh, "APOP (RFC 1939 §7): MD5(\"%s\" + secret) = %s", stamp,
		 digest);
	fprintf(sh->out, "APOP %s %s\n", argv[1], digest);
}
