/*
 * kmskey.c: KMS key identifiers for SSE-KMS (see kmskey.h).
 */
#include <stdio.h>
#include <string.h>

#include "kmskey.h"

#define KMSKEY_ALIAS_NAME_MAX	250

static int
kmskey_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

/* A UUID 8-4-4-4-12, or mrk- and 32 hex digits. */
static int
kmskey_id_ok(const char *s, size_t n)
{
	if (n == 4 + 32 && memcmp(s, "mrk-", 4) == 0)
		return kmskey_hex(s + 4, 32);
	if (n == 36)
		return kmskey_hex(s, 8) && s[8] == '-' &&
		    kmskey_hex(s + 9, 4) && s[13] == '-' &&
		    kmskey_hex(s + 14, 4) && s[18] == '-' &&
		    kmskey_hex(s + 19, 4) && s[23] == '-' &&
		    kmskey_hex(s + 24, 12);
	return 0;
}

static int
kmskey_alias_ok(const char *s, size_t n)
{
	size_t i;

	if (n < 1 || n > KMSKEY_ALIAS_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '/' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* The next ':'-separated field of [*p, end): its start and length. */
static int
kmskey_field(const char **p, const char *end, const char **f, size_t *n)
{
	const char *c = memchr(*p, ':', (size_t)(end - *p));

	if (c == NULL)
		return 0;
	*f = *p;
	*n = (size_t)(c - *p);
	*p = c + 1;
	return 1;
}

static enum err
kmskey_bad(char *why, size_t whysz, const char *msg)
{
	if (whysz > 0)
		snprintf(why, whysz, "%s", msg);
	return ERR_INVAL;
}

/* resource: key/KEY-ID or alias/NAME, of an ARN or alone. */
static enum err
kmskey_resource(const char *s, size_t n, int arn, struct kmskey *k,
    char *why, size_t whysz)
{
	if (n > 4 && memcmp(s, "key/", 4) == 0 && arn) {
		if (!kmskey_id_ok(s + 4, n - 4))
			return kmskey_bad(why, whysz, "the key id after key/ "
			    "must be a UUID (8-4-4-4-12 hex digits) or mrk- "
			    "and 32 hex digits");
		k->kind = KMSKEY_KEY_ARN;
		k->key_id = s + 4;
		k->key_id_len = n - 4;
		return ERR_OK;
	}
	if (n > 6 && memcmp(s, "alias/", 6) == 0) {
		if (!kmskey_alias_ok(s + 6, n - 6))
			return kmskey_bad(why, whysz, "an alias name is 1-250 "
			    "characters of A-Z a-z 0-9 / _ -");
		k->kind = arn ? KMSKEY_ALIAS_ARN : KMSKEY_ALIAS;
		return ERR_OK;
	}
	return kmskey_bad(why, whysz, arn ? "a KMS ARN ends in key/KEY-ID or "
	    "alias/NAME" : "give a key ARN, an alias ARN, alias/NAME or a "
	    "key id");
}

enum err
kmskey_parse(const char *s, size_t len, struct kmskey *k, char *why,
    size_t whysz)
{
	const char *p, *end, *f;
	size_t n, i;

	memset(k, 0, sizeof(*k));
	if (whysz > 0)
		why[0] = '\0';
	if (s == NULL || len == 0)
		return kmskey_bad(why, whysz, "empty");
	if (len > KMSKEY_MAX_BYTES)
		return kmskey_bad(why, whysz, "longer than 256 characters");
	if (len < 4 || memcmp(s, "arn:", 4) != 0) {
		if (kmskey_id_ok(s, len)) {
			k->kind = KMSKEY_KEY_ID;
			k->key_id = s;
			k->key_id_len = len;
			return ERR_OK;
		}
		return kmskey_resource(s, len, 0, k, why, whysz);
	}
	p = s + 4;
	end = s + len;
	/* arn:PARTITION:kms:REGION:ACCOUNT:resource */
	if (!kmskey_field(&p, end, &f, &n) || n < 3 || memcmp(f, "aws", 3) != 0)
		return kmskey_bad(why, whysz, "the ARN's partition must be aws "
		    "(or aws-cn, aws-us-gov, ...)");
	if (!kmskey_field(&p, end, &f, &n) || n != 3 || memcmp(f, "kms", 3) != 0)
		return kmskey_bad(why, whysz, "the ARN's service must be kms");
	if (!kmskey_field(&p, end, &f, &n) || n == 0 || n > 32)
		return kmskey_bad(why, whysz, "the ARN must name a region "
		    "(arn:aws:kms:REGION:ACCOUNT:key/KEY-ID)");
	for (i = 0; i < n; i++)
		if (!((f[i] >= 'a' && f[i] <= 'z') || (f[i] >= '0' &&
		    f[i] <= '9') || f[i] == '-'))
			return kmskey_bad(why, whysz, "the ARN's region is not "
			    "a region name (e.g. eu-west-1)");
	k->region = f;
	k->region_len = n;
	if (!kmskey_field(&p, end, &f, &n) || n != 12)
		return kmskey_bad(why, whysz, "the ARN's account must be 12 "
		    "digits");
	for (i = 0; i < n; i++)
		if (f[i] < '0' || f[i] > '9')
			return kmskey_bad(why, whysz, "the ARN's account must "
			    "be 12 digits");
	return kmskey_resource(p, (size_t)(end - p), 1, k, why, whysz);
}

int
kmskey_match(const struct kmskey *conf, const char *conf_s,
    const char *reported, size_t reported_len)
{
	size_t n;

	switch (conf->kind) {
	case KMSKEY_KEY_ARN:
		n = strlen(conf_s);
		return n == reported_len && memcmp(conf_s, reported, n) == 0;
	case KMSKEY_KEY_ID:
		/* ...:key/KEY-ID */
		n = conf->key_id_len;
		return reported_len > n + 5 &&
		    memcmp(reported + reported_len - n - 5, ":key/", 5) == 0 &&
		    memcmp(reported + reported_len - n, conf->key_id, n) == 0;
	default:
		return -1;
	}
}
