/*
 * digest.c - MD5 and HMAC-MD5 through OpenSSL's EVP interface (see digest.h).
 */
#include "digest.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

/* hex - write @n bytes as lower-case hex into @out (2n+1 bytes). */
static void hex(const unsigned char *in, unsigned n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void digest_md5_hex(const void *data, size_t len,
		    char out[DIGEST_MD5_HEX_SIZE])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	EVP_Digest(data, len, md, &n, EVP_md5(), NULL);
	hex(md, n, out);
}

void digest_hmac_md5_hex(const void *key, size_t key_len, const void *data,
			 size_t len, char out[DIGEST_MD5_HEX_SIZE])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	HMAC(EVP_md5(), key, (int)key_len, data, len, md, &n);
	hex(md, n, out);
}

int digest_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;
	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}
