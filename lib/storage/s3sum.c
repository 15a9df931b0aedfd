/*
 * s3sum.c: base64 checksums and single-part ETags (see s3sum.h).  The
 * base64 is decoded by lib/b64url.c's strict decoder once the standard
 * alphabet's two letters are mapped and the padding checked.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "b64url.h"
#include "hex.h"
#include "s3sum.h"

enum err
s3sum_b64(const char *s, size_t len, unsigned char *out, size_t n)
{
	char url[S3SUM_SHA256_B64_LEN];
	size_t want = (n + 2) / 3 * 4, pad = (3 - n % 3) % 3, i, got;

	if (s == NULL || n == 0 || n > S3SUM_SHA256_BYTES || len != want)
		return ERR_INVAL;
	for (i = 0; i < len; i++) {
		if (i >= len - pad) {
			if (s[i] != '=')
				return ERR_INVAL;
			continue;
		}
		if (s[i] == '-' || s[i] == '_' || s[i] == '=')
			return ERR_INVAL;
		url[i] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
	}
	if (b64url_decode(url, len - pad, out, n, &got) != ERR_OK || got != n)
		return ERR_INVAL;
	return ERR_OK;
}

int
s3sum_etag_is_md5(const char *etag, size_t len,
    const unsigned char md5[S3SUM_MD5_BYTES])
{
	size_t i;
	int hi, lo;

	if (etag == NULL)
		return 0;
	if (len >= 2 && etag[0] == '"' && etag[len - 1] == '"') {
		etag++;
		len -= 2;
	}
	if (len != 2 * S3SUM_MD5_BYTES)
		return 0;
	for (i = 0; i < S3SUM_MD5_BYTES; i++) {
		if ((hi = hex_digit(etag[2 * i])) < 0 ||
		    (lo = hex_digit(etag[2 * i + 1])) < 0 ||
		    (unsigned char)(hi << 4 | lo) != md5[i])
			return 0;
	}
	return 1;
}

enum err
s3sum_composite(const char *parts, size_t len, char *out, size_t cap)
{
	unsigned char raw[S3SUM_SHA256_BYTES], md[EVP_MAX_MD_SIZE];
	unsigned char enc[S3SUM_SHA256_B64_LEN + 1];
	EVP_MD_CTX *ctx = NULL;
	unsigned int mdlen = 0;
	size_t n, i;
	enum err rc = ERR_INVAL;

	if (out != NULL && cap > 0)
		out[0] = '\0';
	if (parts == NULL || out == NULL || len == 0 ||
	    len % S3SUM_SHA256_B64_LEN != 0)
		return ERR_INVAL;
	n = len / S3SUM_SHA256_B64_LEN;
	if (n > S3SUM_PARTS_MAX)
		return ERR_INVAL;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		rc = ERR_CRYPTO;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (s3sum_b64(parts + i * S3SUM_SHA256_B64_LEN,
		    S3SUM_SHA256_B64_LEN, raw, sizeof(raw)) != ERR_OK)
			goto out;
		if (!EVP_DigestUpdate(ctx, raw, sizeof(raw))) {
			rc = ERR_CRYPTO;
			goto out;
		}
	}
	if (!EVP_DigestFinal_ex(ctx, md, &mdlen) ||
	    mdlen != S3SUM_SHA256_BYTES) {
		rc = ERR_CRYPTO;
		goto out;
	}
	if (EVP_EncodeBlock(enc, md, S3SUM_SHA256_BYTES) !=
	    S3SUM_SHA256_B64_LEN) {
		rc = ERR_CRYPTO;
		goto out;
	}
	if ((size_t)snprintf(out, cap, "%s-%zu", (const char *)enc, n) >= cap) {
		out[0] = '\0';
		goto out;
	}
	rc = ERR_OK;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}
