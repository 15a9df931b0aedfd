/*
 * sse.c: server-side encryption of the chunks: what a presigned PUT signs,
 * what complete checks, and the config check of -n.
 *
 * sse = AES256 (what s3_sse = yes always meant) or aws:kms with
 * sse_kms_key_id, and optionally sse_bucket_key.  The presigned PUT signs
 * x-amz-server-side-encryption (and for KMS the key id header and the
 * bucket-key header when set): S3 encrypts the object so, and a PUT that
 * drops or changes one of them does not match the signature.  complete
 * HEADs the object and checks that S3 reports the encryption configured:
 * the algorithm, the key (S3 reports the key ARN: a configured key ARN or
 * key id is compared with it, an alias cannot be, as S3 reports the key
 * it resolved), and the bucket key when set.  A mismatch is 422 naming
 * sse.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "conf.h"
#include "kmskey.h"
#include "s3meta.h"
#include "sigv4.h"

const char *
sse_algorithm(const struct api_conf *c)
{
	if (c->sse != NULL && c->sse[0] != '\0')
		return strcmp(c->sse, "off") == 0 ? NULL : c->sse;
	return c->s3_sse ? "AES256" : NULL;
}

void
sse_sign(const struct api_conf *c, struct sigv4_header *h, size_t *nh)
{
	const char *alg = sse_algorithm(c);

	if (alg == NULL)
		return;
	h[*nh].name = "x-amz-server-side-encryption";
	h[(*nh)++].value = alg;
	if (strcmp(alg, "aws:kms") != 0)
		return;
	h[*nh].name = "x-amz-server-side-encryption-aws-kms-key-id";
	h[(*nh)++].value = c->sse_kms_key_id;
	if (c->sse_bucket_key != API_SSE_BUCKET_KEY_DEFAULT) {
		h[*nh].name = "x-amz-server-side-encryption-bucket-key-enabled";
		h[(*nh)++].value = c->sse_bucket_key == API_SSE_BUCKET_KEY_ON ?
		    "true" : "false";
	}
}

static enum err
sse_mismatch(struct req *r, const char *msg)
{
	req_error(r, ERR_MISMATCH, msg, "sse", NULL);
	return ERR_MISMATCH;
}

enum err
sse_verify(struct req *r, const char *key, const struct s3meta *m)
{
	const struct api_conf *c = r->app->conf;
	const char *alg = sse_algorithm(c);
	struct kmskey k;
	char msg[512];
	int on;

	if (alg == NULL)
		return ERR_OK;
	if (strcmp(m->sse, alg) != 0) {
		if (m->sse[0] == '\0')
			snprintf(msg, sizeof(msg), "S3 reports no "
			    "x-amz-server-side-encryption for %s; the "
			    "configuration wants %s (sse)", key, alg);
		else
			snprintf(msg, sizeof(msg), "S3 reports %s encrypted "
			    "with %s, not %s as configured (sse)", key, m->sse,
			    alg);
		return sse_mismatch(r, msg);
	}
	if (strcmp(alg, "aws:kms") != 0)
		return ERR_OK;
	if (kmskey_parse(c->sse_kms_key_id, strlen(c->sse_kms_key_id), &k,
	    NULL, 0) == ERR_OK && kmskey_match(&k, c->sse_kms_key_id,
	    m->sse_kms_key_id, strlen(m->sse_kms_key_id)) == 0) {
		snprintf(msg, sizeof(msg), "S3 reports %s encrypted with the "
		    "KMS key %s, not %s (sse_kms_key_id)", key,
		    m->sse_kms_key_id[0] != '\0' ? m->sse_kms_key_id : "(none)",
		    c->sse_kms_key_id);
		return sse_mismatch(r, msg);
	}
	on = strcmp(m->sse_bucket_key, "true") == 0;
	if (c->sse_bucket_key != API_SSE_BUCKET_KEY_DEFAULT &&
	    on != (c->sse_bucket_key == API_SSE_BUCKET_KEY_ON)) {
		snprintf(msg, sizeof(msg), "S3 reports %s with the S3 Bucket "
		    "Key %s, not %s as configured (sse_bucket_key)", key,
		    on ? "on" : "off", on ? "off" : "on");
		return sse_mismatch(r, msg);
	}
	return ERR_OK;
}

enum err
sse_check_conf(const struct api_conf *c, const char *path, char *errbuf,
    size_t errlen)
{
	const char *alg;
	struct kmskey k;
	char why[160];

	if (c->sse != NULL && c->sse[0] != '\0' &&
	    strcmp(c->sse, "AES256") != 0 && strcmp(c->sse, "aws:kms") != 0 &&
	    strcmp(c->sse, "off") != 0)
		return conf_refuse(errbuf, errlen, path, "sse", "\"%s\" is not "
		    "AES256, aws:kms or off", c->sse);
	alg = sse_algorithm(c);
	if (alg != NULL && strcmp(alg, "aws:kms") == 0) {
		if (c->sse_kms_key_id == NULL || c->sse_kms_key_id[0] == '\0')
			return conf_refuse(errbuf, errlen, path,
			    "sse_kms_key_id", "sse = aws:kms needs the KMS "
			    "key: its ARN, alias/NAME, an alias ARN or a key "
			    "id (else S3 would use the account's default "
			    "aws/s3 key, which other accounts cannot be "
			    "granted)");
		if (kmskey_parse(c->sse_kms_key_id, strlen(c->sse_kms_key_id),
		    &k, why, sizeof(why)) != ERR_OK)
			return conf_refuse(errbuf, errlen, path,
			    "sse_kms_key_id", "\"%s\" is not a KMS key: %s",
			    c->sse_kms_key_id, why);
		if (k.region != NULL && (strlen(c->s3_region) !=
		    k.region_len || memcmp(c->s3_region, k.region,
		    k.region_len) != 0))
			return conf_refuse(errbuf, errlen, path,
			    "sse_kms_key_id", "the key is in %.*s, the bucket "
			    "in %s (s3_region): S3 takes only a key of the "
			    "bucket's region", (int)k.region_len, k.region,
			    c->s3_region);
		return ERR_OK;
	}
	if (c->sse_kms_key_id != NULL && c->sse_kms_key_id[0] != '\0')
		return conf_refuse(errbuf, errlen, path, "sse_kms_key_id",
		    "is set but sse is %s: set sse = aws:kms, or remove the key",
		    alg != NULL ? alg : "off");
	if (c->sse_bucket_key != API_SSE_BUCKET_KEY_DEFAULT)
		return conf_refuse(errbuf, errlen, path, "sse_bucket_key",
		    "applies to sse = aws:kms only (sse is %s)",
		    alg != NULL ? alg : "off");
	return ERR_OK;
}
