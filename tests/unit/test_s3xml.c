/* test_s3xml.c: the ListObjectsV2 / DeleteObjects XML (lib/storage/s3xml.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3xml.h"
#include "unit.h"

static void
test_s3xml_reads_a_list_page(void)
{
	static const char xml[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	    "<Name>b</Name><Prefix>users/a/</Prefix><KeyCount>2</KeyCount>"
	    "<MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>"
	    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
	    "<Contents><Key>users/a/x&amp;y.webm</Key><Size>3</Size></Contents>"
	    "<Contents><Key>users/a/&#233;&#x41;</Key><Size>4</Size></Contents>"
	    "</ListBucketResult>";
	struct s3xml_list l;

	CU_ASSERT_EQUAL_FATAL(s3xml_list_parse(xml, strlen(xml), &l), ERR_OK);
	CU_ASSERT_EQUAL(l.nkeys, 2);
	CU_ASSERT_STRING_EQUAL(l.keys[0], "users/a/x&y.webm");
	CU_ASSERT_STRING_EQUAL(l.keys[1], "users/a/\xc3\xa9" "A");
	CU_ASSERT_EQUAL(l.truncated, 1);
	CU_ASSERT_STRING_EQUAL(l.next_token,
	    "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
	s3xml_list_free(&l);
}

/* What the sweep reads: each key's size, LastModified and ETag. */
static void
test_s3xml_reads_size_time_and_etag(void)
{
	static const char xml[] =
	    "<ListBucketResult><IsTruncated>false</IsTruncated>"
	    "<Contents><Key>users/a/1</Key>"
	    "<LastModified>2026-12-04T11:33:18.250Z</LastModified>"
	    "<ETag>&quot;9a0364b9e99bb480dd25e1f0284c8555&quot;</ETag>"
	    "<Size>10</Size><StorageClass>STANDARD</StorageClass></Contents>"
	    "<Contents><Key>users/a/2</Key>"
	    "<LastModified>1970-01-01T00:00:01Z</LastModified></Contents>"
	    "<Contents><Key>users/a/3</Key>"
	    "<LastModified>2000-02-29T23:59:59.9Z</LastModified>"
	    "<Size>0</Size></Contents>"
	    "</ListBucketResult>";
	struct s3xml_list l;

	CU_ASSERT_EQUAL_FATAL(s3xml_list_parse(xml, strlen(xml), &l), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(l.nkeys, 3);
	CU_ASSERT_EQUAL(l.sizes[0], 10);
	/* date -u -d 2026-12-04T11:33:18Z +%s */
	CU_ASSERT_EQUAL(l.modified_ms[0], 1796383998250LL);
	CU_ASSERT_STRING_EQUAL(l.etags[0],
	    "\"9a0364b9e99bb480dd25e1f0284c8555\"");
	CU_ASSERT_EQUAL(l.sizes[1], -1);
	CU_ASSERT_EQUAL(l.modified_ms[1], 1000);
	CU_ASSERT_STRING_EQUAL(l.etags[1], "");
	CU_ASSERT_EQUAL(l.sizes[2], 0);
	CU_ASSERT_EQUAL(l.modified_ms[2], 951868799900LL);
	s3xml_list_free(&l);
}

static void
test_s3xml_reads_an_empty_page(void)
{
	static const char xml[] = "<ListBucketResult><Name>b</Name>"
	    "<KeyCount>0</KeyCount><IsTruncated>false</IsTruncated>"
	    "</ListBucketResult>";
	struct s3xml_list l;

	CU_ASSERT_EQUAL(s3xml_list_parse(xml, strlen(xml), &l), ERR_OK);
	CU_ASSERT_EQUAL(l.nkeys, 0);
	CU_ASSERT_EQUAL(l.truncated, 0);
	s3xml_list_free(&l);
}

static void
test_s3xml_refuses_broken_lists(void)
{
	static const char *const bad[] = {
		"",
		"<Error><Code>AccessDenied</Code></Error>",
		"<ListBucketResult><Contents><Key>a</Key>",
		"<ListBucketResult><Contents><Key>a</Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key></Key></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a&bogus;</Key></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a&#0;</Key></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a&#xD800;</Key></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a\x01</Key></Contents></ListBucketResult>",
		"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><Size>-1</Size></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><Size>1x</Size></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><Size>1234567890123456789</Size></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><LastModified>yesterday</LastModified></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><LastModified>2026-13-01T00:00:00Z</LastModified></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><LastModified>2026-12-01T00:00:00+01:00</LastModified></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><LastModified>2026-12-01T00:00:00</LastModified></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><ETag>&quot;x",
		"<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
	};
	struct s3xml_list l;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(s3xml_list_parse(bad[i], strlen(bad[i]), &l),
		    ERR_INVAL);
		CU_ASSERT_EQUAL(l.nkeys, 0);
	}
}

static void
test_s3xml_refuses_over_1000_keys(void)
{
	size_t cap = 1100 * 40 + 64, len = 0, i;
	char *xml = malloc(cap);
	struct s3xml_list l;

	CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
	len += (size_t)snprintf(xml + len, cap - len, "<ListBucketResult>");
	for (i = 0; i < LIMIT_S3_DELETE_BATCH + 1; i++)
		len += (size_t)snprintf(xml + len, cap - len,
		    "<Contents><Key>k%zu</Key></Contents>", i);
	len += (size_t)snprintf(xml + len, cap - len, "</ListBucketResult>");
	CU_ASSERT_EQUAL(s3xml_list_parse(xml, len, &l), ERR_INVAL);
	free(xml);
}

static void
test_s3xml_writes_delete_body(void)
{
	char *keys[] = { "users/a/1.webm", "users/a/x&<y>" };
	char *body = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL_FATAL(s3xml_delete_body(keys, 2, &body, &len), ERR_OK);
	CU_ASSERT_EQUAL(strlen(body), len);
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "<Quiet>true</Quiet>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(body,
	    "<Object><Key>users/a/1.webm</Key></Object>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(body,
	    "<Object><Key>users/a/x&amp;&lt;y&gt;</Key></Object>"));
	CU_ASSERT(strncmp(body + len - 9, "</Delete>", 9) == 0);
	free(body);
	CU_ASSERT_EQUAL(s3xml_delete_body(keys, 0, &body, &len), ERR_INVAL);
	CU_ASSERT_EQUAL(s3xml_delete_body(keys, LIMIT_S3_DELETE_BATCH + 1,
	    &body, &len), ERR_INVAL);
}

static void
test_s3xml_reads_delete_results(void)
{
	static const char ok[] = "<DeleteResult xmlns=\"x\">"
	    "<Deleted><Key>a</Key></Deleted></DeleteResult>";
	static const char quiet[] = "<DeleteResult xmlns=\"x\"/>";
	static const char errs[] = "<DeleteResult><Error><Key>a</Key>"
	    "<Code>AccessDenied</Code><Message>no</Message></Error>"
	    "<Error><Key>b</Key><Code>InternalError</Code></Error>"
	    "</DeleteResult>";
	char code[64];
	size_t n;

	CU_ASSERT_EQUAL(s3xml_delete_result(ok, strlen(ok), &n, code,
	    sizeof(code)), ERR_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(s3xml_delete_result(quiet, strlen(quiet), &n, code,
	    sizeof(code)), ERR_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(s3xml_delete_result(errs, strlen(errs), &n, code,
	    sizeof(code)), ERR_OK);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_STRING_EQUAL(code, "AccessDenied");
	CU_ASSERT_EQUAL(s3xml_delete_result("<Error/>", 8, &n, code,
	    sizeof(code)), ERR_INVAL);
}

static void
test_s3xml_reads_the_upload_id(void)
{
	static const char ok[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/"
	    "doc/2006-03-01/\"><Bucket>b</Bucket><Key>users/a/x.webm</Key>"
	    "<UploadId>VXBsb2FkIElE.ZWxp-bmdfbW_F&amp;x</UploadId>"
	    "</InitiateMultipartUploadResult>";
	static const char *const bad[] = {
		"",
		"<Error><Code>AccessDenied</Code></Error>",
		"<InitiateMultipartUploadResult><Key>k</Key>"
		    "</InitiateMultipartUploadResult>",
		"<InitiateMultipartUploadResult><UploadId></UploadId>"
		    "</InitiateMultipartUploadResult>",
		"<InitiateMultipartUploadResult><UploadId>a b</UploadId>"
		    "</InitiateMultipartUploadResult>",
		"<InitiateMultipartUploadResult><UploadId>a&#233;</UploadId>"
		    "</InitiateMultipartUploadResult>",
		"<InitiateMultipartUploadResult><UploadId>abc"
		    "</InitiateMultipartUploadResult>",
		"<InitiateMultipartUploadResultX><UploadId>abc</UploadId>"
		    "</InitiateMultipartUploadResultX>",
	};
	char id[64];
	size_t i;

	CU_ASSERT_EQUAL(s3xml_upload_id(ok, strlen(ok), id, sizeof(id)),
	    ERR_OK);
	CU_ASSERT_STRING_EQUAL(id, "VXBsb2FkIElE.ZWxp-bmdfbW_F&x");
	/* An id that does not fit is refused, never cut. */
	CU_ASSERT_EQUAL(s3xml_upload_id(ok, strlen(ok), id, 8), ERR_INVAL);
	CU_ASSERT_STRING_EQUAL(id, "");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(s3xml_upload_id(bad[i], strlen(bad[i]), id,
		    sizeof(id)), ERR_INVAL);
}

static void
test_s3xml_reads_multipart_uploads(void)
{
	static const char ok[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/"
	    "2006-03-01/\"><Bucket>b</Bucket><KeyMarker></KeyMarker>"
	    "<UploadIdMarker></UploadIdMarker><NextKeyMarker>users/u/k2"
	    "</NextKeyMarker><NextUploadIdMarker>id-2</NextUploadIdMarker>"
	    "<Prefix>users/u/</Prefix><MaxUploads>1000</MaxUploads>"
	    "<IsTruncated>true</IsTruncated>"
	    "<Upload><Key>users/u/a&amp;b</Key><UploadId>id-1</UploadId>"
	    "<Initiator><ID>x</ID></Initiator><StorageClass>STANDARD"
	    "</StorageClass><Initiated>2026-12-05T00:00:00.000Z</Initiated>"
	    "</Upload><Upload><Key>users/u/k2</Key><UploadId>id-2</UploadId>"
	    "</Upload></ListMultipartUploadsResult>";
	static const char none[] = "<ListMultipartUploadsResult><Bucket>b"
	    "</Bucket><IsTruncated>false</IsTruncated>"
	    "</ListMultipartUploadsResult>";
	static const char *const bad[] = {
		"",
		"<Error><Code>NotImplemented</Code></Error>",
		"<ListBucketResult><Upload><Key>k</Key><UploadId>i</UploadId>"
		    "</Upload></ListBucketResult>",
		"<ListMultipartUploadsResult><Upload><Key>k</Key></Upload>"
		    "</ListMultipartUploadsResult>",
		"<ListMultipartUploadsResult><Upload><UploadId>i</UploadId>"
		    "</Upload></ListMultipartUploadsResult>",
		"<ListMultipartUploadsResult><Upload><Key>k</Key><UploadId>a b"
		    "</UploadId></Upload></ListMultipartUploadsResult>",
		"<ListMultipartUploadsResult><Upload><Key>k</Key><UploadId>i"
		    "</UploadId></ListMultipartUploadsResult>",
	};
	struct s3xml_uploads u;
	size_t i;

	CU_ASSERT_EQUAL_FATAL(s3xml_uploads_parse(ok, strlen(ok), &u), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(u.n, 2);
	CU_ASSERT_STRING_EQUAL(u.u[0].key, "users/u/a&b");
	CU_ASSERT_STRING_EQUAL(u.u[0].upload_id, "id-1");
	CU_ASSERT_STRING_EQUAL(u.u[1].key, "users/u/k2");
	CU_ASSERT_STRING_EQUAL(u.u[1].upload_id, "id-2");
	CU_ASSERT(u.truncated);
	s3xml_uploads_free(&u);
	CU_ASSERT_EQUAL(s3xml_uploads_parse(none, strlen(none), &u), ERR_OK);
	CU_ASSERT_EQUAL(u.n, 0);
	CU_ASSERT(!u.truncated);
	s3xml_uploads_free(&u);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(s3xml_uploads_parse(bad[i], strlen(bad[i]),
		    &u), ERR_INVAL);
		CU_ASSERT_EQUAL(u.n, 0);
	}
}

static void
test_s3xml_writes_the_complete_body(void)
{
	static const char want[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/"
	    "2006-03-01/\"><Part><PartNumber>1</PartNumber><ETag>&quot;"
	    "0123456789abcdef0123456789abcdef&quot;</ETag></Part><Part>"
	    "<PartNumber>2</PartNumber><ETag>a&lt;b</ETag></Part>"
	    "</CompleteMultipartUpload>";
	struct s3xml_part parts[2] = {
		{ 1, "\"0123456789abcdef0123456789abcdef\"", NULL },
		{ 2, "a<b", NULL },
	};
	struct s3xml_part empty = { 1, "", NULL }, zero = { 0, "x", NULL };
	char *body = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL_FATAL(s3xml_complete_body(parts, 2, &body, &len),
	    ERR_OK);
	CU_ASSERT_STRING_EQUAL(body, want);
	CU_ASSERT_EQUAL(len, strlen(want));
	free(body);
	CU_ASSERT_EQUAL(s3xml_complete_body(parts, 0, &body, &len), ERR_INVAL);
	CU_ASSERT_PTR_NULL(body);
	CU_ASSERT_EQUAL(s3xml_complete_body(parts, S3XML_PARTS_MAX + 1, &body,
	    &len), ERR_INVAL);
	CU_ASSERT_EQUAL(s3xml_complete_body(&empty, 1, &body, &len),
	    ERR_INVAL);
	CU_ASSERT_EQUAL(s3xml_complete_body(&zero, 1, &body, &len), ERR_INVAL);
}

static void
test_s3xml_lists_each_parts_sha256(void)
{
	static const char want[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/"
	    "2006-03-01/\"><Part><PartNumber>1</PartNumber><ETag>e1</ETag>"
	    "<ChecksumSHA256>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	    "</ChecksumSHA256></Part><Part><PartNumber>2</PartNumber>"
	    "<ETag>e2</ETag><ChecksumSHA256>a&amp;b</ChecksumSHA256></Part>"
	    "</CompleteMultipartUpload>";
	struct s3xml_part parts[2] = {
		{ 1, "e1", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
		{ 2, "e2", "a&b" },
	};
	char *body = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL_FATAL(s3xml_complete_body(parts, 2, &body, &len),
	    ERR_OK);
	CU_ASSERT_STRING_EQUAL(body, want);
	free(body);
}

static void
test_s3xml_reads_complete_results(void)
{
	static const char ok[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/"
	    "doc/2006-03-01/\"><Location>http://b/k</Location><Bucket>b"
	    "</Bucket><Key>k</Key><ETag>&quot;3858f62230ac3c915f300c664312c11f"
	    "-3&quot;</ETag></CompleteMultipartUploadResult>";
	/* 200 with an error body: S3 failed after sending the headers. */
	static const char late[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "\n<Error><Code>InternalError</Code><Message>We encountered an "
	    "internal error. Please try again.</Message></Error>";
	static const char *const bad[] = {
		"",
		"<html>502</html>",
		"<CompleteMultipartUploadResult><ETag>x",
		"<CompleteMultipartUploadResult><ETag>x</ETag>",
		"<ErrorDocument><Code>x</Code></ErrorDocument>",
	};
	char etag[80], code[64];
	size_t i;

	CU_ASSERT_EQUAL(s3xml_complete_result(ok, strlen(ok), etag,
	    sizeof(etag), code, sizeof(code)), ERR_OK);
	CU_ASSERT_STRING_EQUAL(etag, "\"3858f62230ac3c915f300c664312c11f-3\"");
	CU_ASSERT_STRING_EQUAL(code, "");
	CU_ASSERT_EQUAL(s3xml_complete_result(late, strlen(late), etag,
	    sizeof(etag), code, sizeof(code)), ERR_OK);
	CU_ASSERT_STRING_EQUAL(code, "InternalError");
	CU_ASSERT_STRING_EQUAL(etag, "");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(s3xml_complete_result(bad[i], strlen(bad[i]),
		    etag, sizeof(etag), code, sizeof(code)), ERR_INVAL);
}

int
test_s3xml_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("s3xml", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "reads a list page",
	    test_s3xml_reads_a_list_page) == NULL ||
	    CU_add_test(s, "reads size, time and ETag",
	    test_s3xml_reads_size_time_and_etag) == NULL ||
	    CU_add_test(s, "reads an empty page",
	    test_s3xml_reads_an_empty_page) == NULL ||
	    CU_add_test(s, "refuses broken lists",
	    test_s3xml_refuses_broken_lists) == NULL ||
	    CU_add_test(s, "refuses over 1000 keys",
	    test_s3xml_refuses_over_1000_keys) == NULL ||
	    CU_add_test(s, "writes the delete body",
	    test_s3xml_writes_delete_body) == NULL ||
	    CU_add_test(s, "reads delete results",
	    test_s3xml_reads_delete_results) == NULL ||
	    CU_add_test(s, "reads the upload id",
	    test_s3xml_reads_the_upload_id) == NULL ||
	    CU_add_test(s, "reads multipart uploads",
	    test_s3xml_reads_multipart_uploads) == NULL ||
	    CU_add_test(s, "writes the complete body",
	    test_s3xml_writes_the_complete_body) == NULL ||
	    CU_add_test(s, "lists each part's SHA-256",
	    test_s3xml_lists_each_parts_sha256) == NULL ||
	    CU_add_test(s, "reads complete results",
	    test_s3xml_reads_complete_results) == NULL)
		return -1;
	return 0;
}
