/*
 * kmskey.h: the KMS key a config names for SSE-KMS, checked without the
 * network: one of the four forms S3 takes in
 * x-amz-server-side-encryption-aws-kms-key-id.
 *
 *   arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID    a key ARN
 *   arn:PARTITION:kms:REGION:ACCOUNT:alias/NAME    an alias ARN
 *   alias/NAME                                     an alias
 *   KEY-ID                                         a key id
 *
 * KEY-ID is a UUID (8-4-4-4-12 hex) or a multi-Region key id (mrk- and 32
 * hex); ACCOUNT is 12 digits; NAME is 1-250 of [A-Za-z0-9/_-].  What S3
 * answers on HEAD is always the key ARN, so complete can compare a key ARN
 * or a key id with it, but not an alias (kmskey_match()).
 */
#ifndef KMSKEY_H
#define KMSKEY_H

#include <stddef.h>

#include "err.h"

#define KMSKEY_MAX_BYTES	256

enum kmskey_kind {
	KMSKEY_KEY_ARN,
	KMSKEY_ALIAS_ARN,
	KMSKEY_ALIAS,
	KMSKEY_KEY_ID,
};

struct kmskey {
	enum kmskey_kind	 kind;
	const char		*region;	/* into the input; ARNs only */
	size_t			 region_len;
	const char		*key_id;	/* KEY-ID part; key forms only */
	size_t			 key_id_len;
};

/*
 * Parse s[0..len) into *k.  ERR_OK, or ERR_INVAL with why[0..whysz) saying
 * what is wrong in words ("the account must be 12 digits").
 */
enum err	kmskey_parse(const char *s, size_t len, struct kmskey *k,
		    char *why, size_t whysz);

/*
 * Does reported (what S3 answered, the key ARN) name the key that conf
 * (kmskey_parse()d from conf_s) names?  1 yes, 0 no, -1 cannot tell (conf
 * is an alias: S3 reports the key it resolves to).
 */
int		kmskey_match(const struct kmskey *conf, const char *conf_s,
		    const char *reported, size_t reported_len);

#endif /* KMSKEY_H */
