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

int
test_s3xml_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("s3xml", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "reads a list page",
	    test_s3xml_reads_a_list_page) == NULL ||
	    CU_add_test(s, "reads an empty page",
	    test_s3xml_reads_an_empty_page) == NULL ||
	    CU_add_test(s, "refuses broken lists",
	    test_s3xml_refuses_broken_lists) == NULL ||
	    CU_add_test(s, "refuses over 1000 keys",
	    test_s3xml_refuses_over_1000_keys) == NULL ||
	    CU_add_test(s, "writes the delete body",
	    test_s3xml_writes_delete_body) == NULL ||
	    CU_add_test(s, "reads delete results",
	    test_s3xml_reads_delete_results) == NULL)
		return -1;
	return 0;
}
