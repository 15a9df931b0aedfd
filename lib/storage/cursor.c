/*
 * cursor.c: opaque, authenticated list cursors (see cursor.h).
 *
 * Layout before base64url: 0x01 | created_ms (8 bytes, big-endian) |
 * id length (1 byte) | id | first 16 bytes of
 * HMAC-SHA256(key, owner || 0x00 || everything before the MAC).
 * The owner is inside the MAC, not the cursor, so one user's cursor is
 * worthless to another and the text says nothing about whose it is.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "b64url.h"
#include "cursor.h"
#include "log.h"
#include "s3key.h"

#define CURSOR_VERSION	1
#define CURSOR_MAC_LEN	16
#define CURSOR_RAW_MAX	(1 + 8 + 1 + LIMIT_SESSION_ID_BYTES + CURSOR_MAC_LEN)

static enum err
cursor_mac(const unsigned char *key, size_t keylen, const char *owner,
    const unsigned char *msg, size_t msglen, unsigned char *mac)
{
	unsigned char buf[LIMIT_SUB_BYTES + 1 + CURSOR_RAW_MAX];
	unsigned char full[32];
	size_t olen = strlen(owner), outlen = 0;

	if (olen > LIMIT_SUB_BYTES || msglen > CURSOR_RAW_MAX)
		return ERR_INVAL;
	memcpy(buf, owner, olen);
	buf[olen] = 0;
	memcpy(buf + olen + 1, msg, msglen);
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen, buf,
	    olen + 1 + msglen, full, sizeof(full), &outlen) == NULL ||
	    outlen != sizeof(full)) {
		log_error("HMAC-SHA256 failed");
		return ERR_CRYPTO;
	}
	memcpy(mac, full, CURSOR_MAC_LEN);
	return ERR_OK;
}

enum err
cursor_encode(const unsigned char *key, size_t keylen, const char *owner,
    const struct journal_list_pos *pos, char *out, size_t outsz)
{
	unsigned char raw[CURSOR_RAW_MAX];
	size_t idlen, n = 0;
	uint64_t t;
	enum err e;
	int i;

	if (out != NULL && outsz > 0)
		out[0] = '\0';
	if (key == NULL || owner == NULL || pos == NULL || out == NULL ||
	    pos->created_ms < 0)
		return ERR_INVAL;
	idlen = strnlen(pos->id, sizeof(pos->id));
	if (idlen == 0 || idlen > LIMIT_SESSION_ID_BYTES ||
	    !s3key_valid_session(pos->id, idlen))
		return ERR_INVAL;
	raw[n++] = CURSOR_VERSION;
	t = (uint64_t)pos->created_ms;
	for (i = 7; i >= 0; i--)
		raw[n++] = (unsigned char)(t >> (8 * i));
	raw[n++] = (unsigned char)idlen;
	memcpy(raw + n, pos->id, idlen);
	n += idlen;
	if ((e = cursor_mac(key, keylen, owner, raw, n, raw + n)) != ERR_OK)
		return e;
	n += CURSOR_MAC_LEN;
	if (B64URL_ENCODED_LEN(n) > CURSOR_MAX_LEN ||
	    b64url_encode(raw, n, out, outsz) == 0)
		return ERR_INVAL;
	return ERR_OK;
}

enum err
cursor_decode(const unsigned char *key, size_t keylen, const char *owner,
    const char *s, size_t len, struct journal_list_pos *pos)
{
	unsigned char raw[CURSOR_RAW_MAX + 2], mac[CURSOR_MAC_LEN];
	size_t n = 0, idlen, i;
	uint64_t t = 0;
	enum err e;

	if (key == NULL || owner == NULL || s == NULL || pos == NULL)
		return ERR_INVAL;
	memset(pos, 0, sizeof(*pos));
	if (len == 0 || len > CURSOR_MAX_LEN ||
	    b64url_decode(s, len, raw, sizeof(raw), &n) != ERR_OK)
		return ERR_INVAL;
	if (n < 1 + 8 + 1 + 1 + CURSOR_MAC_LEN || raw[0] != CURSOR_VERSION)
		return ERR_INVAL;
	idlen = raw[9];
	if (idlen == 0 || idlen > LIMIT_SESSION_ID_BYTES ||
	    n != 1 + 8 + 1 + idlen + CURSOR_MAC_LEN)
		return ERR_INVAL;
	if ((e = cursor_mac(key, keylen, owner, raw, n - CURSOR_MAC_LEN,
	    mac)) != ERR_OK)
		return e;
	if (CRYPTO_memcmp(mac, raw + n - CURSOR_MAC_LEN, CURSOR_MAC_LEN) != 0)
		return ERR_INVAL;
	for (i = 1; i <= 8; i++)
		t = (t << 8) | raw[i];
	if (t > INT64_MAX || !s3key_valid_session((const char *)raw + 10,
	    idlen))
		return ERR_INVAL;
	pos->created_ms = (int64_t)t;
	memcpy(pos->id, raw + 10, idlen);
	pos->id[idlen] = '\0';
	return ERR_OK;
}
