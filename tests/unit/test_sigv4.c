/*
 * test_sigv4.c: lib/storage/sigv4.c against the public AWS SigV4 test suite
 * (tests/data/sigv4/index.json, see SOURCE.md there), the worked S3 examples
 * of the AWS S3 API reference, and the rules our S3 and EventBridge callers
 * depend on: expiry bounds, the signing-key cache, signed headers that
 * cannot be changed, key encoding and bad input.  Endpoint, bucket and key
 * parsing is s3loc's (test_s3loc.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "limit.h"
#include "sigv4.h"
#include "unit.h"

/* The S3 documentation's example credentials and time (2013-05-24). */
#define DOC_KEY_ID	"AKIAIOSFODNN7EXAMPLE"
#define DOC_SECRET	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define DOC_HOST	"examplebucket.s3.amazonaws.com"
#define DOC_TIME	((time_t)1369353600)
#define EMPTY_SHA256	\
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static int
starts_with(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

static time_t
parse_amz_date(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || strlen(s) != 16 ||
	    sscanf(s, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return (time_t)-1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *
load_suite(void)
{
	char path[4096];
	struct json_object *root;

	snprintf(path, sizeof(path), "%s/tests/data/sigv4/index.json",
	    unit_srcdir());
	root = json_object_from_file(path);
	if (root == NULL)
		fprintf(stderr, "test_sigv4: cannot load %s\n", path);
	return root;
}

/* How to run one suite case. */
struct suite_run {
	const char	*sts_token;	/* signer's session token, or NULL */
	int		 drop_token;	/* leave X-Amz-Security-Token out */
	int		 token_unsigned;
	const char	*drop_header;	/* leave this header out */
	const char	*content_type;	/* use this Content-Type instead */
	unsigned int	 checks;
	const char	*authz;		/* expected authz; NULL: the case's */
};
#define CHECK_CREQ	0x1
#define CHECK_STS	0x2
#define CHECK_AUTHZ	0x4
#define CHECK_ALL	(CHECK_CREQ | CHECK_STS | CHECK_AUTHZ)

/*
 * Sign one suite case and compare creq, sts and authz exactly (those named
 * in run->checks).  Returns the number of mismatches.
 */
static int
run_suite_case(struct json_object *tc, struct json_object *config,
    const struct suite_run *run)
{
	struct sigv4_signer *sg = NULL;
	struct sigv4_request r;
	struct sigv4_signed out;
	struct sigv4_header hdr[64];
	struct json_object *req, *hs, *pair;
	const char *name, *creq, *sts, *authz, *date = NULL, *body;
	size_t i, n = 0;
	int bad = 0, e;

	memset(&out, 0, sizeof(out));
	name = jstr(tc, "name");
	creq = jstr(tc, "creq");
	sts = jstr(tc, "sts");
	authz = run->authz != NULL ? run->authz : jstr(tc, "authz");
	CU_ASSERT_FATAL(name != NULL && creq != NULL && sts != NULL &&
	    authz != NULL);
	CU_ASSERT_FATAL(json_object_object_get_ex(tc, "request", &req));
	CU_ASSERT_FATAL(json_object_object_get_ex(req, "headers", &hs));
	for (i = 0; i < json_object_array_length(hs); i++) {
		pair = json_object_array_get_idx(hs, i);
		CU_ASSERT_FATAL(n < sizeof(hdr) / sizeof(hdr[0]));
		hdr[n].name = json_object_get_string(
		    json_object_array_get_idx(pair, 0));
		hdr[n].value = json_object_get_string(
		    json_object_array_get_idx(pair, 1));
		if (strcasecmp(hdr[n].name, "X-Amz-Date") == 0)
			date = hdr[n].value;
		if (run->drop_token &&
		    strcasecmp(hdr[n].name, "X-Amz-Security-Token") == 0)
			continue;
		if (run->drop_header != NULL &&
		    strcasecmp(hdr[n].name, run->drop_header) == 0)
			continue;
		if (run->content_type != NULL &&
		    strcasecmp(hdr[n].name, "Content-Type") == 0)
			hdr[n].value = run->content_type;
		n++;
	}
	body = jstr(req, "body");

	CU_ASSERT_EQUAL_FATAL(sigv4_signer_new(&sg,
	    jstr(config, "accessKeyId"), jstr(config, "secretAccessKey"),
	    run->sts_token), ERR_OK);
	memset(&r, 0, sizeof(r));
	r.method = jstr(req, "method");
	r.path = jstr(req, "path");
	r.query = jstr(req, "query");
	r.headers = hdr;
	r.nheaders = n;
	r.body = body;
	r.body_len = body != NULL ? strlen(body) : 0;
	r.region = jstr(config, "region");
	r.service = jstr(config, "service");
	r.now = parse_amz_date(date);
	r.token_unsigned = run->token_unsigned;
	e = sigv4_sign(sg, &r, &out);
	CU_ASSERT_EQUAL(e, ERR_OK);
	if (e != ERR_OK) {
		fprintf(stderr, "sigv4 suite %s: sign failed: %d\n", name, e);
		bad++;
		goto out;
	}
	if ((run->checks & CHECK_CREQ) &&
	    strcmp(out.canonical_request, creq) != 0) {
		fprintf(stderr, "sigv4 suite %s: creq\n got:\n%s\nwant:\n%s\n",
		    name, out.canonical_request, creq);
		bad++;
	}
	if ((run->checks & CHECK_STS) && strcmp(out.string_to_sign, sts) != 0) {
		fprintf(stderr, "sigv4 suite %s: sts\n got:\n%s\nwant:\n%s\n",
		    name, out.string_to_sign, sts);
		bad++;
	}
	if ((run->checks & CHECK_AUTHZ) &&
	    strcmp(out.authorization, authz) != 0) {
		fprintf(stderr, "sigv4 suite %s: authz\n got: %s\nwant: %s\n",
		    name, out.authorization, authz);
		bad++;
	}
	/* A session token must reach the wire, signed or not. */
	if (run->sts_token != NULL) {
		int found = 0;

		for (i = 0; i < out.nadd; i++)
			if (strcmp(out.add[i].name,
			    "X-Amz-Security-Token") == 0 &&
			    strcmp(out.add[i].value, run->sts_token) == 0)
				found = 1;
		if (!found) {
			fprintf(stderr, "sigv4 suite %s: token not among the "
			    "headers to add\n", name);
			bad++;
		}
	}
out:
	sigv4_signed_free(&out);
	sigv4_signer_free(sg);
	return bad;
}

/* Does sha256(creq) equal the hash on the last line of sts? */
static int
suite_case_consistent(struct json_object *tc)
{
	char hash[SIGV4_HEX_LEN + 1];
	const char *creq = jstr(tc, "creq"), *sts = jstr(tc, "sts"), *last;

	CU_ASSERT_FATAL(creq != NULL && sts != NULL);
	CU_ASSERT_FATAL(sigv4_sha256_hex(creq, strlen(creq), hash) == ERR_OK);
	last = strrchr(sts, '\n');
	return last != NULL && strcmp(last + 1, hash) == 0;
}

/* The Authorization value on the sreq's "Authorization: " line. */
static const char *
sreq_authz(struct json_object *tc, char *buf, size_t len)
{
	const char *sreq = jstr(tc, "sreq"), *a, *e;

	CU_ASSERT_FATAL(sreq != NULL);
	a = strstr(sreq, "\nAuthorization: ");
	CU_ASSERT_FATAL(a != NULL);
	a += strlen("\nAuthorization: ");
	e = strchr(a, '\n');
	if (e == NULL)
		e = a + strlen(a);
	CU_ASSERT_FATAL((size_t)(e - a) < len);
	memcpy(buf, a, (size_t)(e - a));
	buf[e - a] = '\0';
	return buf;
}

/*
 * Every case of tests.all (the package's full list: basic, normalize-path
 * and the two STS cases).  The service is "service", so the non-S3 rules
 * apply (normalised path, encoded twice).
 *
 * Two cases of the suite contradict themselves: their .sts/.authz were made
 * from a different request than their .req/.creq (sha256 of the .creq is
 * not the hash in the .sts; checked below, so a fixed data set fails this
 * test and the special case can go):
 *   post-x-www-form-urlencoded: sts/authz sign without Content-Length.
 *   post-x-www-form-urlencoded-parameters: sts/signature sign without
 *     Content-Length and with "charset=utf8"; its .authz even lists
 *     content-length in SignedHeaders while the signature is over
 *     content-type;host;x-amz-date (the .sreq's Authorization agrees).
 * For both, creq is checked exactly from the request as given, and sts and
 * the Authorization value exactly from the request the sts was made from.
 */
static void
aws_suite_vectors_match_creq_sts_and_authz(void)
{
	struct json_object *root, *config, *tests, *all, *tc;
	const char *token, *name;
	struct suite_run run;
	char authz[512];
	size_t i;
	int bad = 0, ran = 0, quirks = 0;

	root = load_suite();
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_FATAL(json_object_object_get_ex(root, "config", &config));
	CU_ASSERT_FATAL(json_object_object_get_ex(root, "tests", &tests));
	CU_ASSERT_FATAL(json_object_object_get_ex(tests, "all", &all));
	token = jstr(root, "stsToken");
	CU_ASSERT_FATAL(token != NULL);

	for (i = 0; i < json_object_array_length(all); i++) {
		tc = json_object_array_get_idx(all, i);
		name = jstr(tc, "name");
		CU_ASSERT_FATAL(name != NULL);
		memset(&run, 0, sizeof(run));
		run.checks = CHECK_ALL;
		if (strcmp(name, "post-sts-header-after") == 0) {
			/* Token added after signing: sent, not signed. */
			run.sts_token = token;
			run.token_unsigned = 1;
			bad += run_suite_case(tc, config, &run);
		} else if (strcmp(name, "post-sts-header-before") == 0) {
			/* The request carries the token as a plain header,
			 * and a signer holding the token adds and signs it:
			 * both must give the suite's result. */
			bad += run_suite_case(tc, config, &run);
			run.sts_token = token;
			run.drop_token = 1;
			bad += run_suite_case(tc, config, &run);
		} else if (strcmp(name, "post-x-www-form-urlencoded") == 0 ||
		    strcmp(name,
		    "post-x-www-form-urlencoded-parameters") == 0) {
			CU_ASSERT(!suite_case_consistent(tc));
			run.checks = CHECK_CREQ;
			bad += run_suite_case(tc, config, &run);
			run.checks = CHECK_STS | CHECK_AUTHZ;
			run.drop_header = "Content-Length";
			if (strstr(name, "parameters") != NULL) {
				run.content_type = "application/"
				    "x-www-form-urlencoded; charset=utf8";
				run.authz = sreq_authz(tc, authz,
				    sizeof(authz));
			}
			bad += run_suite_case(tc, config, &run);
			quirks++;
		} else {
			CU_ASSERT(suite_case_consistent(tc));
			bad += run_suite_case(tc, config, &run);
		}
		ran++;
	}
	printf("\n    sigv4: %d AWS test-suite cases checked (creq, sts, "
	    "authz; %d of them with the suite's own inconsistency worked "
	    "around), %d mismatches\n", ran, quirks, bad);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(quirks, 2);
	/* The package ships 28 cases; fewer means the data was cut. */
	CU_ASSERT_EQUAL(ran, 28);
	json_object_put(root);
}

/* ---------------------------------------------- S3 documentation examples */

static struct sigv4_signer *
doc_signer(void)
{
	struct sigv4_signer *sg = NULL;

	CU_ASSERT_EQUAL(sigv4_signer_new(&sg, DOC_KEY_ID, DOC_SECRET, NULL),
	    ERR_OK);
	return sg;
}

static const char *
doc_sign(struct sigv4_signer *sg, struct sigv4_request *r,
    struct sigv4_signed *out)
{
	r->host = DOC_HOST;
	r->region = "us-east-1";
	r->service = "s3";
	r->now = DOC_TIME;
	CU_ASSERT_EQUAL_FATAL(sigv4_sign(sg, r, out), ERR_OK);
	return out->signature;
}

static void
s3_doc_get_object_with_range(void)
{
	struct sigv4_signer *sg = doc_signer();
	struct sigv4_header h[] = { { "Range", "bytes=0-9" } };
	struct sigv4_request r = { .method = "GET", .path = "/test.txt",
	    .headers = h, .nheaders = 1 };
	struct sigv4_signed out;
	char hash[SIGV4_HEX_LEN + 1];

	CU_ASSERT_STRING_EQUAL(doc_sign(sg, &r, &out),
	    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	CU_ASSERT_STRING_EQUAL(out.canonical_request,
	    "GET\n/test.txt\n\n"
	    "host:examplebucket.s3.amazonaws.com\n"
	    "range:bytes=0-9\n"
	    "x-amz-content-sha256:" EMPTY_SHA256 "\n"
	    "x-amz-date:20130524T000000Z\n\n"
	    "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA256);
	CU_ASSERT_STRING_EQUAL(out.string_to_sign,
	    "AWS4-HMAC-SHA256\n20130524T000000Z\n"
	    "20130524/us-east-1/s3/aws4_request\n"
	    "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
	CU_ASSERT_STRING_EQUAL(out.authorization,
	    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/"
	    "us-east-1/s3/aws4_request, SignedHeaders=host;range;"
	    "x-amz-content-sha256;x-amz-date, Signature="
	    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	/* The caller is told to send date and payload hash. */
	CU_ASSERT_EQUAL(out.nadd, 3);
	CU_ASSERT_STRING_EQUAL(out.add[0].name, "Authorization");
	CU_ASSERT_STRING_EQUAL(out.add[1].name, "X-Amz-Date");
	CU_ASSERT_STRING_EQUAL(out.add[1].value, "20130524T000000Z");
	CU_ASSERT_STRING_EQUAL(out.add[2].name, "X-Amz-Content-Sha256");
	CU_ASSERT_STRING_EQUAL(out.add[2].value, EMPTY_SHA256);
	sigv4_signed_free(&out);
	CU_ASSERT_EQUAL(sigv4_sha256_hex("", 0, hash), ERR_OK);
	CU_ASSERT_STRING_EQUAL(hash, EMPTY_SHA256);
	sigv4_signer_free(sg);
}

static void
s3_doc_put_object_encodes_dollar(void)
{
	struct sigv4_signer *sg = doc_signer();
	struct sigv4_header h[] = {
		{ "Date", "Fri, 24 May 2013 00:00:00 GMT" },
		{ "x-amz-storage-class", "REDUCED_REDUNDANCY" },
	};
	static const char body[] = "Welcome to Amazon S3.";
	struct sigv4_request r = { .method = "PUT", .path = "/test$file.text",
	    .headers = h, .nheaders = 2, .body = body,
	    .body_len = sizeof(body) - 1 };
	struct sigv4_signed out;
	char hash[SIGV4_HEX_LEN + 1];

	CU_ASSERT_STRING_EQUAL(doc_sign(sg, &r, &out),
	    "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
	CU_ASSERT_STRING_EQUAL(out.canonical_request,
	    "PUT\n/test%24file.text\n\n"
	    "date:Fri, 24 May 2013 00:00:00 GMT\n"
	    "host:examplebucket.s3.amazonaws.com\n"
	    "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b"
	    "4b4e99e42034a8b803f8b072\n"
	    "x-amz-date:20130524T000000Z\n"
	    "x-amz-storage-class:REDUCED_REDUNDANCY\n\n"
	    "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
	    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
	CU_ASSERT_STRING_EQUAL(out.string_to_sign,
	    "AWS4-HMAC-SHA256\n20130524T000000Z\n"
	    "20130524/us-east-1/s3/aws4_request\n"
	    "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
	sigv4_signed_free(&out);

	/* Same with the payload hash given instead of the body. */
	CU_ASSERT_EQUAL(sigv4_sha256_hex(body, sizeof(body) - 1, hash),
	    ERR_OK);
	r.body = NULL;
	r.body_len = 0;
	r.payload_hash = hash;
	CU_ASSERT_STRING_EQUAL(doc_sign(sg, &r, &out),
	    "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
	sigv4_signed_free(&out);
	sigv4_signer_free(sg);
}

static void
s3_doc_get_bucket_lifecycle(void)
{
	struct sigv4_signer *sg = doc_signer();
	struct sigv4_request r = { .method = "GET", .path = "/",
	    .query = "lifecycle" };
	struct sigv4_signed out;
	char hash[SIGV4_HEX_LEN + 1];

	CU_ASSERT_STRING_EQUAL(doc_sign(sg, &r, &out),
	    "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
	CU_ASSERT_EQUAL(sigv4_sha256_hex(out.canonical_request,
	    strlen(out.canonical_request), hash), ERR_OK);
	CU_ASSERT_STRING_EQUAL(hash,
	    "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
	CU_ASSERT_PTR_NOT_NULL(strstr(out.canonical_request,
	    "\n/\nlifecycle=\n"));
	sigv4_signed_free(&out);
	sigv4_signer_free(sg);
}

static void
s3_doc_list_objects_sorts_query(void)
{
	struct sigv4_signer *sg = doc_signer();
	struct sigv4_request r = { .method = "GET", .path = "/",
	    .query = "prefix=J&max-keys=2" };
	struct sigv4_signed out;

	CU_ASSERT_STRING_EQUAL(doc_sign(sg, &r, &out),
	    "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
	CU_ASSERT_PTR_NOT_NULL(strstr(out.canonical_request,
	    "\n/\nmax-keys=2&prefix=J\n"));
	sigv4_signed_free(&out);
	sigv4_signer_free(sg);
}

static void
s3_doc_presigned_get_test_txt(void)
{
	struct sigv4_signer *sg = doc_signer();
	struct sigv4_presign p = { .method = "GET", .host = DOC_HOST,
	    .path = "/test.txt", .region = "us-east-1", .service = "s3",
	    .now = DOC_TIME, .expires = 86400 };
	struct sigv4_url_req u = { .endpoint = "https://s3.amazonaws.com",
	    .bucket = "examplebucket", .key = "test.txt",
	    .addressing = S3LOC_VIRTUAL_HOSTED, .method = "GET",
	    .region = "us-east-1", .now = DOC_TIME, .expires = 86400 };
	struct sigv4_presigned out;
	char hash[SIGV4_HEX_LEN + 1], *url = NULL;

	CU_ASSERT_EQUAL_FATAL(sigv4_presign(sg, &p, &out), ERR_OK);
	CU_ASSERT_STRING_EQUAL(out.signature,
	    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
	CU_ASSERT_STRING_EQUAL(out.canonical_request,
	    "GET\n/test.txt\n"
	    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
	    "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
	    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
	    "&X-Amz-SignedHeaders=host\n"
	    "host:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD");
	CU_ASSERT_EQUAL(sigv4_sha256_hex(out.canonical_request,
	    strlen(out.canonical_request), hash), ERR_OK);
	CU_ASSERT_STRING_EQUAL(hash,
	    "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
	sigv4_presigned_free(&out);

	CU_ASSERT_EQUAL_FATAL(sigv4_presign_url(sg, &u, &url), ERR_OK);
	CU_ASSERT_STRING_EQUAL(url,
	    "https://examplebucket.s3.amazonaws.com/test.txt"
	    "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
	    "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
	    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
	    "&X-Amz-SignedHeaders=host&X-Amz-Signature="
	    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
	free(url);
	sigv4_signer_free(sg);
}

/* ------------------------------------------------------------ our rules */

static void
presign_expires_outside_1_to_604800_is_refused(void)
{
	struct sigv4_signer *sg = doc_signer();
	struct sigv4_presign p = { .method = "PUT", .host = DOC_HOST,
	    .path = "/k", .region = "us-east-1", .service = "s3",
	    .now = DOC_TIME };
	struct sigv4_url_req u = { .endpoint = "http://127.0.0.1:4568",
	    .bucket = "b", .key = "k", .method = "PUT",
	    .region = "us-east-1", .now = DOC_TIME };
	struct sigv4_presigned out;
	char *url = (char *)"x";
	long bad[] = { 0, -1, 604801, 100000000L };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p.expires = bad[i];
		CU_ASSERT_EQUAL(sigv4_presign(sg, &p, &out), ERR_INVAL);
		CU_ASSERT_PTR_NULL(out.query);
		u.expires = bad[i];
		CU_ASSERT_EQUAL(sigv4_presign_url(sg, &u, &url), ERR_INVAL);
		CU_ASSERT_PTR_NULL(url);
	}
	p.expires = LIMIT_PRESIGN_EXPIRES_MIN;
	CU_ASSERT_EQUAL(sigv4_presign(sg, &p, &out), ERR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.query, "&X-Amz-Expires=1&"));
	sigv4_presigned_free(&out);
	p.expires = LIMIT_PRESIGN_EXPIRES_MAX;
	CU_ASSERT_EQUAL(sigv4_presign(sg, &p, &out), ERR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.query, "&X-Amz-Expires=604800&"));
	sigv4_presigned_free(&out);
	sigv4_signer_free(sg);
}

static void
signing_key_cache_is_used_and_gives_identical_results(void)
{
	struct sigv4_signer *sg = doc_signer(), *fresh = doc_signer();
	struct sigv4_presign p = { .method = "PUT", .host = DOC_HOST,
	    .path = "/a/b.webm", .region = "eu-west-1", .service = "s3",
	    .now = DOC_TIME, .expires = 300 };
	struct sigv4_presigned a, b, c;
	unsigned long derived, hits;
	char first[SIGV4_HEX_LEN + 1];

	CU_ASSERT_EQUAL_FATAL(sigv4_presign(sg, &p, &a), ERR_OK);
	sigv4_signer_stats(sg, &derived, &hits);
	CU_ASSERT_EQUAL(derived, 1);
	CU_ASSERT_EQUAL(hits, 0);
	/* Same day, later second: cached key, same scope. */
	p.now = DOC_TIME + 3600;
	CU_ASSERT_EQUAL_FATAL(sigv4_presign(sg, &p, &b), ERR_OK);
	sigv4_signer_stats(sg, &derived, &hits);
	CU_ASSERT_EQUAL(derived, 1);
	CU_ASSERT_EQUAL(hits, 1);
	/* A fresh signer (no cache) agrees with the cached result. */
	CU_ASSERT_EQUAL_FATAL(sigv4_presign(fresh, &p, &c), ERR_OK);
	CU_ASSERT_STRING_EQUAL(b.query, c.query);
	CU_ASSERT_STRING_EQUAL(b.signature, c.signature);
	snprintf(first, sizeof(first), "%s", a.signature);
	sigv4_presigned_free(&a);
	sigv4_presigned_free(&b);
	sigv4_presigned_free(&c);

	/* Next day and another region each derive a new key. */
	p.now = DOC_TIME + 86400;
	CU_ASSERT_EQUAL_FATAL(sigv4_presign(sg, &p, &a), ERR_OK);
	p.region = "us-east-1";
	CU_ASSERT_EQUAL_FATAL(sigv4_presign(sg, &p, &b), ERR_OK);
	sigv4_signer_stats(sg, &derived, &hits);
	CU_ASSERT_EQUAL(derived, 3);
	CU_ASSERT_EQUAL(hits, 1);
	CU_ASSERT_STRING_NOT_EQUAL(a.signature, b.signature);
	sigv4_presigned_free(&a);
	sigv4_presigned_free(&b);

	/* The first scope is still cached, and still right. */
	p.region = "eu-west-1";
	p.now = DOC_TIME;
	CU_ASSERT_EQUAL_FATAL(sigv4_presign(sg, &p, &a), ERR_OK);
	CU_ASSERT_STRING_EQUAL(a.signature, first);
	sigv4_signer_stats(sg, &derived, &hits);
	CU_ASSERT_EQUAL(derived, 3);
	CU_ASSERT_EQUAL(hits, 2);
	sigv4_presigned_free(&a);

	/* New credentials drop the cache: a stale key would sign wrong. */
	CU_ASSERT_EQUAL(sigv4_signer_set_credentials(sg, DOC_KEY_ID,
	    "another-secret", NULL), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(sigv4_presign(sg, &p, &a), ERR_OK);
	CU_ASSERT_STRING_NOT_EQUAL(a.signature, first);
	sigv4_signer_stats(sg, &derived, &hits);
	CU_ASSERT_EQUAL(derived, 4);
	sigv4_presigned_free(&a);
	/* Bad new credentials leave the old ones in place. */
	CU_ASSERT_EQUAL(sigv4_signer_set_credentials(sg, "", "x", NULL),
	    ERR_INVAL);
	CU_ASSERT_EQUAL(sigv4_signer_set_credentials(sg, DOC_KEY_ID,
	    DOC_SECRET, NULL), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(sigv4_presign(sg, &p, &a), ERR_OK);
	CU_ASSERT_STRING_EQUAL(a.signature, first);
	sigv4_presigned_free(&a);
	sigv4_signer_free(sg);
	sigv4_signer_free(fresh);
}

/*
 * A browser PUT with a presigned URL must send the signed headers with
 * exactly these values; changing any of them (or the method, key, expiry
 * or time) gives another signature, so S3 refuses the request.
 */
static void
changing_any_signed_header_changes_the_signature(void)
{
	struct sigv4_signer *sg = doc_signer();
	struct sigv4_header h[] = {
		{ "Content-Type", "audio/webm" },
		{ "x-amz-meta-session", "s-1" },
		{ "x-amz-server-side-encryption", "AES256" },
	};
	static const char *other[] = { "audio/ogg", "s-2", "aws:kms" };
	struct sigv4_url_req u = { .endpoint = "http://127.0.0.1:4568",
	    .bucket = "audio", .key = "users/u1/chunk.webm", .method = "PUT",
	    .region = "us-east-1", .headers = h, .nheaders = 3,
	    .now = DOC_TIME, .expires = 300 };
	struct sigv4_request r = { .method = "PUT", .host = DOC_HOST,
	    .path = "/k", .headers = h, .nheaders = 3, .region = "us-east-1",
	    .service = "s3", .now = DOC_TIME, .payload_hash = EMPTY_SHA256 };
	struct sigv4_signed so;
	char *base = NULL, *url = NULL, sig[SIGV4_HEX_LEN + 1];
	const char *keep;
	size_t i;

	CU_ASSERT_EQUAL_FATAL(sigv4_presign_url(sg, &u, &base), ERR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(base, "&X-Amz-SignedHeaders=content-type"
	    "%3Bhost%3Bx-amz-meta-session%3Bx-amz-server-side-encryption&"));
	CU_ASSERT_EQUAL_FATAL(sigv4_sign(sg, &r, &so), ERR_OK);
	snprintf(sig, sizeof(sig), "%s", so.signature);
	CU_ASSERT_STRING_EQUAL(so.signed_headers, "content-type;host;"
	    "x-amz-content-sha256;x-amz-date;x-amz-meta-session;"
	    "x-amz-server-side-encryption");
	sigv4_signed_free(&so);

	for (i = 0; i < 3; i++) {
		keep = h[i].value;
		h[i].value = other[i];
		CU_ASSERT_EQUAL_FATAL(sigv4_presign_url(sg, &u, &url), ERR_OK);
		CU_ASSERT_STRING_NOT_EQUAL(url, base);
		free(url);
		CU_ASSERT_EQUAL_FATAL(sigv4_sign(sg, &r, &so), ERR_OK);
		CU_ASSERT_STRING_NOT_EQUAL(so.signature, sig);
		sigv4_signed_free(&so);
		h[i].value = keep;
	}
	/* Case of a header name does not matter; its value's inner
	 * whitespace runs do not either (both are canonicalised). */
	h[0].name = "CONTENT-TYPE";
	h[1].value = "  s-1 ";
	CU_ASSERT_EQUAL_FATAL(sigv4_presign_url(sg, &u, &url), ERR_OK);
	CU_ASSERT_STRING_EQUAL(url, base);
	free(url);
	h[0].name = "Content-Type";
	h[1].value = "s-1";
	/* Dropping a header from the signed set changes it too. */
	u.nheaders = 2;
	CU_ASSERT_EQUAL_FATAL(sigv4_presign_url(sg, &u, &url), ERR_OK);
	CU_ASSERT_STRING_NOT_EQUAL(url, base);
	free(url);
	u.nheaders = 3;
	u.method = "GET";
	CU_ASSERT_EQUAL_FATAL(sigv4_presign_url(sg, &u, &url), ERR_OK);
	CU_ASSERT_STRING_NOT_EQUAL(url, base);
	free(url);
	free(base);
	sigv4_signer_free(sg);
}

/*
 * As the AWS SDK's S3 presigner does: x-amz-meta-* hoisted into the query
 * are signed as query parameters (not in X-Amz-SignedHeaders), so the
 * client sends only the signed headers; changing a hoisted value in the
 * URL gives another signature, so S3 refuses it.
 */
static void
hoisted_headers_travel_in_the_signed_query(void)
{
	struct sigv4_signer *sg = doc_signer();
	struct sigv4_header h[] = {
		{ "Content-Type", "audio/webm" },
		{ "x-amz-server-side-encryption", "AES256" },
	};
	struct sigv4_header meta[] = {
		{ "x-amz-meta-user-id", "alice b/1" },
		{ "x-amz-meta-session-id", "s-1" },
		{ "x-amz-meta-seq", "1" },
	};
	static const char *other[] = { "mallory", "s-2", "2" };
	struct sigv4_header bad[1];
	struct sigv4_url_req u = { .endpoint = "http://127.0.0.1:4568",
	    .bucket = "audio", .key = "users/u1/chunk.webm", .method = "PUT",
	    .region = "us-east-1", .headers = h, .nheaders = 2, .hoist = meta,
	    .nhoist = 3, .now = DOC_TIME, .expires = 300 };
	struct sigv4_presign p = { .method = "PUT", .host = DOC_HOST,
	    .path = "/k", .headers = h, .nheaders = 2, .hoist = meta,
	    .nhoist = 3, .region = "us-east-1", .service = "s3",
	    .now = DOC_TIME, .expires = 300 };
	struct sigv4_presigned ps;
	char *base = NULL, *url = NULL;
	const char *keep;
	size_t i;

	CU_ASSERT_EQUAL_FATAL(sigv4_presign_url(sg, &u, &base), ERR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(base, "&X-Amz-SignedHeaders=content-type"
	    "%3Bhost%3Bx-amz-server-side-encryption&x-amz-meta-seq=1"
	    "&x-amz-meta-session-id=s-1&x-amz-meta-user-id=alice%20b%2F1"
	    "&X-Amz-Signature="));
	CU_ASSERT_EQUAL_FATAL(sigv4_presign(sg, &p, &ps), ERR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(ps.canonical_request,
	    "&x-amz-meta-user-id=alice%20b%2F1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(ps.canonical_request,
	    "\ncontent-type;host;x-amz-server-side-encryption\n"));
	CU_ASSERT_PTR_NULL(strstr(ps.canonical_request, "x-amz-meta-seq:"));
	sigv4_presigned_free(&ps);

	/* Hoisting is the same as passing the parameters in the query. */
	u.nhoist = 0;
	u.query = "x-amz-meta-user-id=alice%20b%2F1&x-amz-meta-session-id=s-1"
	    "&x-amz-meta-seq=1";
	CU_ASSERT_EQUAL_FATAL(sigv4_presign_url(sg, &u, &url), ERR_OK);
	CU_ASSERT_STRING_EQUAL(url, base);
	free(url);
	u.query = NULL;
	u.nhoist = 3;

	for (i = 0; i < 3; i++) {
		keep = meta[i].value;
		meta[i].value = other[i];
		CU_ASSERT_EQUAL_FATAL(sigv4_presign_url(sg, &u, &url), ERR_OK);
		CU_ASSERT_STRING_NOT_EQUAL(strstr(url, "X-Amz-Signature="),
		    strstr(base, "X-Amz-Signature="));
		free(url);
		meta[i].value = keep;
	}

	/* Only x-amz-* other than the presign's own, never also signed. */
	u.hoist = bad;
	u.nhoist = 1;
	bad[0].value = "v";
	bad[0].name = "Content-Type";
	CU_ASSERT_EQUAL(sigv4_presign_url(sg, &u, &url), ERR_INVAL);
	bad[0].name = "X-Amz-Date";
	CU_ASSERT_EQUAL(sigv4_presign_url(sg, &u, &url), ERR_INVAL);
	bad[0].name = "x-amz-content-sha256";
	CU_ASSERT_EQUAL(sigv4_presign_url(sg, &u, &url), ERR_INVAL);
	bad[0].name = "x-amz-";
	CU_ASSERT_EQUAL(sigv4_presign_url(sg, &u, &url), ERR_INVAL);
	bad[0].name = "x-amz-meta-a=b";
	CU_ASSERT_EQUAL(sigv4_presign_url(sg, &u, &url), ERR_INVAL);
	bad[0].name = "X-AMZ-SERVER-SIDE-ENCRYPTION";
	CU_ASSERT_EQUAL(sigv4_presign_url(sg, &u, &url), ERR_INVAL);
	bad[0].name = "x-amz-meta-a";
	bad[0].value = "v\r\nX-Evil: 1";
	CU_ASSERT_EQUAL(sigv4_presign_url(sg, &u, &url), ERR_INVAL);
	bad[0].value = NULL;
	CU_ASSERT_EQUAL(sigv4_presign_url(sg, &u, &url), ERR_INVAL);
	u.query = "X-Amz-Content-Sha256=UNSIGNED-PAYLOAD";
	u.nhoist = 0;
	CU_ASSERT_EQUAL(sigv4_presign_url(sg, &u, &url), ERR_INVAL);
	CU_ASSERT_PTR_NULL(url);
	free(base);
	sigv4_signer_free(sg);
}

static void
keys_with_space_unicode_plus_equals_tilde_encode_right(void)
{
	struct sigv4_signer *sg = doc_signer();
	struct sigv4_url_req u = { .endpoint = "http://127.0.0.1:4568",
	    .bucket = "audio", .method = "GET", .region = "us-east-1",
	    .now = DOC_TIME, .expires = 60 };
	struct s3loc loc;
	char *enc = NULL, *url = NULL;

	CU_ASSERT_EQUAL(sigv4_uri_encode("a b+c=d~e/\xc3\xbc\xe2\x82\xac", 15,
	    1, &enc), ERR_OK);
	CU_ASSERT_STRING_EQUAL(enc, "a%20b%2Bc%3Dd~e/%C3%BC%E2%82%AC");
	free(enc);
	CU_ASSERT_EQUAL(sigv4_uri_encode("a/b%&?#*!'()", 12, 0, &enc), ERR_OK);
	CU_ASSERT_STRING_EQUAL(enc,
	    "a%2Fb%25%26%3F%23%2A%21%27%28%29");
	free(enc);
	CU_ASSERT_EQUAL(sigv4_uri_encode("-._~AZaz09", 10, 0, &enc), ERR_OK);
	CU_ASSERT_STRING_EQUAL(enc, "-._~AZaz09");
	free(enc);

	/* The URL's path is the canonical path: what S3 recomputes. */
	u.key = "dir/my file+1=2~x \xe1\x88\xb4.webm";
	CU_ASSERT_EQUAL_FATAL(sigv4_presign_url(sg, &u, &url), ERR_OK);
	CU_ASSERT(starts_with(url, "http://127.0.0.1:4568/audio/dir/"
	    "my%20file%2B1%3D2~x%20%E1%88%B4.webm?X-Amz-Algorithm="));
	free(url);
	CU_ASSERT_EQUAL(s3loc_locate("http://127.0.0.1:4568", "audio",
	    u.key, S3LOC_PATH_STYLE, &loc), ERR_OK);
	CU_ASSERT_STRING_EQUAL(loc.path,
	    "/audio/dir/my file+1=2~x \xe1\x88\xb4.webm");
	s3loc_free(&loc);

	/* Not UTF-8, control characters, empty or over-long: refused. */
	u.key = "bad\xc3(utf8";
	CU_ASSERT_EQUAL(sigv4_presign_url(sg, &u, &url), ERR_INVAL);
	u.key = "overlong\xc0\xaf";
	CU_ASSERT_EQUAL(sigv4_presign_url(sg, &u, &url), ERR_INVAL);
	u.key = "surrogate\xed\xa0\x80";
	CU_ASSERT_EQUAL(sigv4_presign_url(sg, &u, &url), ERR_INVAL);
	u.key = "new\nline";
	CU_ASSERT_EQUAL(sigv4_presign_url(sg, &u, &url), ERR_INVAL);
	u.key = "";
	CU_ASSERT_EQUAL(sigv4_presign_url(sg, &u, &url), ERR_INVAL);
	{
		char big[LIMIT_S3_KEY_BYTES + 2];

		memset(big, 'k', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		u.key = big;
		CU_ASSERT_EQUAL(sigv4_presign_url(sg, &u, &url), ERR_INVAL);
		big[LIMIT_S3_KEY_BYTES] = '\0';
		CU_ASSERT_EQUAL(sigv4_presign_url(sg, &u, &url), ERR_OK);
		free(url);
	}
	sigv4_signer_free(sg);
}

static void
query_is_decoded_then_encoded_and_sorted(void)
{
	struct sigv4_signer *sg = doc_signer();
	struct sigv4_request r = { .method = "GET", .host = DOC_HOST,
	    .path = "/", .region = "us-east-1", .service = "s3",
	    .now = DOC_TIME, .payload_hash = EMPTY_SHA256 };
	struct sigv4_signed a, b;

	r.query = "b=2&a=x y&a=+&c&%7E=%7e&\xe1\x88\xb4=1";
	CU_ASSERT_EQUAL_FATAL(sigv4_sign(sg, &r, &a), ERR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(a.canonical_request,
	    "\n%E1%88%B4=1&a=%2B&a=x%20y&b=2&c=&~=~\n"));
	/* The same parameters written encoded sign the same. */
	r.query = "%E1%88%B4=1&c=&~=~&b=2&a=%2B&a=x%20y";
	CU_ASSERT_EQUAL_FATAL(sigv4_sign(sg, &r, &b), ERR_OK);
	CU_ASSERT_STRING_EQUAL(a.signature, b.signature);
	sigv4_signed_free(&a);
	sigv4_signed_free(&b);

	r.query = "a=%zz";
	CU_ASSERT_EQUAL(sigv4_sign(sg, &r, &a), ERR_INVAL);
	r.query = "a=%4";
	CU_ASSERT_EQUAL(sigv4_sign(sg, &r, &a), ERR_INVAL);
	r.query = "a=%00";
	CU_ASSERT_EQUAL(sigv4_sign(sg, &r, &a), ERR_INVAL);
	sigv4_signer_free(sg);
}

static void
s3_path_is_encoded_once_others_normalised_and_twice(void)
{
	struct sigv4_signer *sg = doc_signer();
	struct sigv4_request r = { .method = "GET", .host = "h.example",
	    .path = "/a//b/../c d/./e%", .region = "us-east-1",
	    .now = DOC_TIME, .payload_hash = EMPTY_SHA256 };
	struct sigv4_signed out;

	r.service = "s3";
	CU_ASSERT_EQUAL_FATAL(sigv4_sign(sg, &r, &out), ERR_OK);
	CU_ASSERT(starts_with(out.canonical_request,
	    "GET\n/a//b/../c%20d/./e%25\n"));
	sigv4_signed_free(&out);

	r.service = "events";
	CU_ASSERT_EQUAL_FATAL(sigv4_sign(sg, &r, &out), ERR_OK);
	CU_ASSERT(starts_with(out.canonical_request,
	    "GET\n/a/c%2520d/e%2525\n"));
	/* Only S3 gets x-amz-content-sha256 added. */
	CU_ASSERT_STRING_EQUAL(out.signed_headers, "host;x-amz-date");
	sigv4_signed_free(&out);

	r.path = "/../..";
	CU_ASSERT_EQUAL_FATAL(sigv4_sign(sg, &r, &out), ERR_OK);
	CU_ASSERT(starts_with(out.canonical_request, "GET\n/\n"));
	sigv4_signed_free(&out);
	r.path = NULL;
	r.service = "s3";
	CU_ASSERT_EQUAL_FATAL(sigv4_sign(sg, &r, &out), ERR_OK);
	CU_ASSERT(starts_with(out.canonical_request, "GET\n/\n"));
	sigv4_signed_free(&out);
	sigv4_signer_free(sg);
}

static void
session_token_is_sent_and_signed(void)
{
	struct sigv4_signer *sg = NULL;
	struct sigv4_request r = { .method = "POST",
	    .host = "events.eu-west-1.amazonaws.com", .path = "/",
	    .region = "eu-west-1", .service = "events", .now = DOC_TIME,
	    .body = "{}", .body_len = 2 };
	struct sigv4_presign p = { .method = "PUT", .host = DOC_HOST,
	    .path = "/k", .region = "us-east-1", .service = "s3",
	    .now = DOC_TIME, .expires = 60 };
	struct sigv4_header h[] = { { "X-Amz-Security-Token", "other" } };
	struct sigv4_signed out;
	struct sigv4_presigned ps;

	CU_ASSERT_EQUAL_FATAL(sigv4_signer_new(&sg, DOC_KEY_ID, DOC_SECRET,
	    "tok/en+=="), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(sigv4_sign(sg, &r, &out), ERR_OK);
	CU_ASSERT_STRING_EQUAL(out.signed_headers,
	    "host;x-amz-date;x-amz-security-token");
	CU_ASSERT_PTR_NOT_NULL(strstr(out.canonical_request,
	    "\nx-amz-security-token:tok/en+==\n"));
	CU_ASSERT_EQUAL(out.nadd, 3);
	CU_ASSERT_STRING_EQUAL(out.add[2].name, "X-Amz-Security-Token");
	CU_ASSERT_STRING_EQUAL(out.add[2].value, "tok/en+==");
	sigv4_signed_free(&out);

	CU_ASSERT_EQUAL_FATAL(sigv4_presign(sg, &p, &ps), ERR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(ps.query,
	    "&X-Amz-Security-Token=tok%2Fen%2B%3D%3D&X-Amz-SignedHeaders="));
	CU_ASSERT_PTR_NOT_NULL(strstr(ps.canonical_request,
	    "X-Amz-Security-Token=tok%2Fen%2B%3D%3D"));
	sigv4_presigned_free(&ps);

	/* A different token in the caller's headers is a conflict. */
	r.headers = h;
	r.nheaders = 1;
	CU_ASSERT_EQUAL(sigv4_sign(sg, &r, &out), ERR_INVAL);
	sigv4_signer_free(sg);
}

static void
bad_input_is_refused_not_signed(void)
{
	struct sigv4_signer *sg = doc_signer(), *none = NULL;
	struct sigv4_header crlf[] = { { "x-amz-meta-a", "v\r\nX-Evil: 1" } };
	struct sigv4_header badname[] = { { "bad name", "v" } };
	struct sigv4_header date[] = { { "X-Amz-Date", "20130524T000001Z" } };
	struct sigv4_header host[] = { { "Host", "h.example" } };
	struct sigv4_header authz[] = { { "Authorization", "x" } };
	struct sigv4_header nullval[] = { { "X-Amz-Date", NULL } };
	struct sigv4_header many[LIMIT_SIGV4_HEADERS + 1];
	struct sigv4_request r = { .method = "GET", .host = DOC_HOST,
	    .path = "/k", .region = "us-east-1", .service = "s3",
	    .now = DOC_TIME, .payload_hash = EMPTY_SHA256 };
	struct sigv4_presign p = { .method = "GET", .host = DOC_HOST,
	    .path = "/k", .region = "us-east-1", .service = "s3",
	    .now = DOC_TIME, .expires = 60 };
	struct sigv4_signed out;
	struct sigv4_presigned ps;
	size_t i;

#define REFUSED(field, val) do {					\
	struct sigv4_request t = r;					\
	t.field = val;							\
	CU_ASSERT_EQUAL(sigv4_sign(sg, &t, &out), ERR_INVAL);		\
	CU_ASSERT_PTR_NULL(out.authorization);				\
} while (0)
	REFUSED(method, "get");
	REFUSED(method, NULL);
	REFUSED(host, "h h");
	REFUSED(host, NULL);		/* no host at all */
	REFUSED(path, "no-slash");
	REFUSED(path, "/a\nb");
	REFUSED(region, "US-EAST-1");
	REFUSED(region, "");
	REFUSED(service, NULL);
	REFUSED(now, (time_t)-1);
	REFUSED(payload_hash, "abc");
	REFUSED(payload_hash, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B"
	    "934CA495991B7852B855");
#undef REFUSED
	r.nheaders = 1;
	r.headers = crlf;
	CU_ASSERT_EQUAL(sigv4_sign(sg, &r, &out), ERR_INVAL);
	r.headers = badname;
	CU_ASSERT_EQUAL(sigv4_sign(sg, &r, &out), ERR_INVAL);
	r.headers = date;		/* disagrees with now */
	CU_ASSERT_EQUAL(sigv4_sign(sg, &r, &out), ERR_INVAL);
	r.headers = host;		/* host twice */
	CU_ASSERT_EQUAL(sigv4_sign(sg, &r, &out), ERR_INVAL);
	r.headers = authz;
	CU_ASSERT_EQUAL(sigv4_sign(sg, &r, &out), ERR_INVAL);
	r.headers = nullval;
	CU_ASSERT_EQUAL(sigv4_sign(sg, &r, &out), ERR_INVAL);
	p.headers = nullval;
	p.nheaders = 1;
	CU_ASSERT_EQUAL(sigv4_presign(sg, &p, &ps), ERR_INVAL);
	p.nheaders = 0;
	for (i = 0; i < LIMIT_SIGV4_HEADERS + 1; i++) {
		many[i].name = "x-amz-meta-n";
		many[i].value = "v";
	}
	r.headers = many;
	r.nheaders = LIMIT_SIGV4_HEADERS + 1;
	CU_ASSERT_EQUAL(sigv4_sign(sg, &r, &out), ERR_INVAL);
	r.nheaders = LIMIT_SIGV4_HEADERS - 3;
	CU_ASSERT_EQUAL(sigv4_sign(sg, &r, &out), ERR_OK);
	sigv4_signed_free(&out);

	/* Presign: X-Amz-* belongs to the signer, not the caller. */
	p.query = "x-amz-signature=forged";
	CU_ASSERT_EQUAL(sigv4_presign(sg, &p, &ps), ERR_INVAL);
	p.query = NULL;
	p.headers = date;
	p.nheaders = 1;
	CU_ASSERT_EQUAL(sigv4_presign(sg, &p, &ps), ERR_INVAL);
	p.nheaders = 0;
	p.query = "partNumber=1&uploadId=a%2Fb";
	CU_ASSERT_EQUAL(sigv4_presign(sg, &p, &ps), ERR_OK);
	CU_ASSERT(starts_with(ps.query, "X-Amz-Algorithm="));
	CU_ASSERT_PTR_NOT_NULL(strstr(ps.query,
	    "&partNumber=1&uploadId=a%2Fb&X-Amz-Signature="));
	sigv4_presigned_free(&ps);

	/* Credentials of a bad shape never make a signer. */
	CU_ASSERT_EQUAL(sigv4_signer_new(&none, "", DOC_SECRET, NULL),
	    ERR_INVAL);
	CU_ASSERT_PTR_NULL(none);
	CU_ASSERT_EQUAL(sigv4_signer_new(&none, "AKID/x", DOC_SECRET, NULL),
	    ERR_INVAL);
	CU_ASSERT_EQUAL(sigv4_signer_new(&none, DOC_KEY_ID, "", NULL),
	    ERR_INVAL);
	CU_ASSERT_EQUAL(sigv4_signer_new(&none, DOC_KEY_ID, DOC_SECRET,
	    "tok\r\nen"), ERR_INVAL);
	CU_ASSERT_PTR_NULL(none);
	sigv4_signer_free(NULL);
	sigv4_signer_free(sg);
}

int
test_sigv4_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("sigv4", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "aws_suite_vectors_match_creq_sts_and_authz",
	    aws_suite_vectors_match_creq_sts_and_authz) == NULL ||
	    CU_add_test(s, "s3_doc_get_object_with_range",
	    s3_doc_get_object_with_range) == NULL ||
	    CU_add_test(s, "s3_doc_put_object_encodes_dollar",
	    s3_doc_put_object_encodes_dollar) == NULL ||
	    CU_add_test(s, "s3_doc_get_bucket_lifecycle",
	    s3_doc_get_bucket_lifecycle) == NULL ||
	    CU_add_test(s, "s3_doc_list_objects_sorts_query",
	    s3_doc_list_objects_sorts_query) == NULL ||
	    CU_add_test(s, "s3_doc_presigned_get_test_txt",
	    s3_doc_presigned_get_test_txt) == NULL ||
	    CU_add_test(s, "presign_expires_outside_1_to_604800_is_refused",
	    presign_expires_outside_1_to_604800_is_refused) == NULL ||
	    CU_add_test(s, "signing_key_cache_is_used_and_gives_identical_"
	    "results", signing_key_cache_is_used_and_gives_identical_results)
	    == NULL ||
	    CU_add_test(s, "changing_any_signed_header_changes_the_signature",
	    changing_any_signed_header_changes_the_signature) == NULL ||
	    CU_add_test(s, "hoisted_headers_travel_in_the_signed_query",
	    hoisted_headers_travel_in_the_signed_query) == NULL ||
	    CU_add_test(s, "keys_with_space_unicode_plus_equals_tilde_encode_"
	    "right", keys_with_space_unicode_plus_equals_tilde_encode_right)
	    == NULL ||
	    CU_add_test(s, "query_is_decoded_then_encoded_and_sorted",
	    query_is_decoded_then_encoded_and_sorted) == NULL ||
	    CU_add_test(s, "s3_path_is_encoded_once_others_normalised_and_"
	    "twice", s3_path_is_encoded_once_others_normalised_and_twice)
	    == NULL ||
	    CU_add_test(s, "session_token_is_sent_and_signed",
	    session_token_is_sent_and_signed) == NULL ||
	    CU_add_test(s, "bad_input_is_refused_not_signed",
	    bad_input_is_refused_not_signed) == NULL)
		return -1;
	return 0;
}
