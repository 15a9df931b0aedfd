/*
 * test_eventbridge.c: PutEvents bodies, batching by AWS's size rule,
 * answers with partial failures, and error classes (lib/storage/eventbridge.c).
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "eventbridge.h"
#include "unit.h"

static struct json_object *
parse(const char *s)
{
	struct json_object *o = json_tokener_parse(s);

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	return o;
}

static const char *
str_at(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static int64_t
int_at(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return -12345;
	return json_object_get_int64(v);
}

static void
test_entry_size_follows_aws_rule(void)
{
	struct eventbridge_entry e = {
		.source = NULL, .detail_type = "AudioChunkUploaded",
		.bus_name = "a-very-long-bus-name-that-does-not-count",
		.detail = "{\"a\":\"\xc3\xa9\"}", .time_s = 0,
	};

	/* "audio.api" 9 + 18 + detail 10 bytes (é is two) */
	CU_ASSERT_EQUAL(eventbridge_entry_size(&e), 9 + 18 + 10);
	e.time_s = 1700000000;
	CU_ASSERT_EQUAL(eventbridge_entry_size(&e), 14 + 9 + 18 + 10);
	e.source = "x";
	CU_ASSERT_EQUAL(eventbridge_entry_size(&e), 14 + 1 + 18 + 10);
}

static void
test_entry_check_names_the_problem(void)
{
	struct eventbridge_entry e = {
		.detail_type = "AudioChunkUploaded", .detail = "{}",
	};
	const char *why = NULL;
	char *big;

	CU_ASSERT_EQUAL(eventbridge_entry_check(&e, &why), ERR_OK);
	CU_ASSERT_PTR_NULL(why);
	e.detail = "[1]";
	CU_ASSERT_EQUAL(eventbridge_entry_check(&e, &why), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(why, "Detail is not a JSON object");
	e.detail = "{} {}";
	CU_ASSERT_EQUAL(eventbridge_entry_check(&e, &why), ERR_FIELD);
	e.detail = "{'a':1}";
	CU_ASSERT_EQUAL(eventbridge_entry_check(&e, &why), ERR_FIELD);
	e.detail = "{\"a\":\"\xed\xa0\x80\"}";	/* a surrogate */
	CU_ASSERT_EQUAL(eventbridge_entry_check(&e, &why), ERR_FIELD);
	CU_ASSERT_STRING_EQUAL(why, "Detail is not valid UTF-8");
	e.detail = "{} \n";
	CU_ASSERT_EQUAL(eventbridge_entry_check(&e, NULL), ERR_OK);
	e.detail = "{\"a\":NaN}";
	CU_ASSERT_EQUAL(eventbridge_entry_check(&e, NULL), ERR_FIELD);
	e.detail = "{\"a\":\"x\ty\"}";		/* raw tab */
	CU_ASSERT_EQUAL(eventbridge_entry_check(&e, NULL), ERR_FIELD);
	e.detail = "{\"a\":1,}";
	CU_ASSERT_EQUAL(eventbridge_entry_check(&e, NULL), ERR_FIELD);
	e.detail = "{\"a\":01}";
	CU_ASSERT_EQUAL(eventbridge_entry_check(&e, NULL), ERR_FIELD);
	e.detail = "{\"a\":\"\\q\"}";
	CU_ASSERT_EQUAL(eventbridge_entry_check(&e, NULL), ERR_FIELD);
	e.detail = "{\"a\":[1,-2.5e+3,true,false,null,{\"b\":\"\\u00e9\\n\"}],"
	    "\"c\" : {} }";
	CU_ASSERT_EQUAL(eventbridge_entry_check(&e, NULL), ERR_OK);
	{
		char deep[300];
		size_t i;

		for (i = 0; i < 100; i++)
			deep[i + 1] = '[';
		deep[0] = '{';
		memcpy(deep + 101, "\"k\"", 3);	/* never reached */
		deep[104] = '\0';
		e.detail = deep;
		CU_ASSERT_EQUAL(eventbridge_entry_check(&e, NULL), ERR_FIELD);
		/* the strict entry point refuses duplicate names too */
		e.detail = "{\"a\":1,\"a\":2}";
		CU_ASSERT_EQUAL(eventbridge_entry_check(&e, NULL), ERR_FIELD);
		e.detail = "{}";
	}
	e.source = "aws.events";
	CU_ASSERT_EQUAL(eventbridge_entry_check(&e, &why), ERR_FIELD);
	e.source = "";
	CU_ASSERT_EQUAL(eventbridge_entry_check(&e, &why), ERR_FIELD);
	e.source = NULL;
	e.bus_name = "bus name";
	CU_ASSERT_EQUAL(eventbridge_entry_check(&e, &why), ERR_FIELD);
	e.bus_name = "arn:aws:events:eu-west-1:123456789012:event-bus/audio";
	CU_ASSERT_EQUAL(eventbridge_entry_check(&e, NULL), ERR_OK);
	e.detail_type = "";
	CU_ASSERT_EQUAL(eventbridge_entry_check(&e, &why), ERR_FIELD);
	e.detail_type = "T";

	/* 256 KB exactly counts as too large: the sum must be below.
	 * Size = 9 ("audio.api") + 1 ("T") + strlen(detail). */
	big = malloc(EVENTBRIDGE_BATCH_BYTES + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, ' ', EVENTBRIDGE_BATCH_BYTES);
	big[0] = '{';
	big[EVENTBRIDGE_BATCH_BYTES - 12] = '}';
	big[EVENTBRIDGE_BATCH_BYTES - 11] = '\0';
	e.detail = big;
	CU_ASSERT_EQUAL(eventbridge_entry_size(&e),
	    EVENTBRIDGE_BATCH_BYTES - 1);
	CU_ASSERT_EQUAL(eventbridge_entry_check(&e, &why), ERR_OK);
	big[EVENTBRIDGE_BATCH_BYTES - 11] = ' ';
	big[EVENTBRIDGE_BATCH_BYTES - 10] = '\0';
	CU_ASSERT_EQUAL(eventbridge_entry_size(&e), EVENTBRIDGE_BATCH_BYTES);
	CU_ASSERT_EQUAL(eventbridge_entry_check(&e, &why), ERR_TOO_LARGE);
	CU_ASSERT_STRING_EQUAL(why, "entry is 256 KB or more");
	free(big);
}

static void
test_encode_writes_putevents_body(void)
{
	struct eventbridge_entry e[2] = {
		{ .source = "audio.test", .detail_type = EVENTBRIDGE_TYPE_CHUNK,
		  .bus_name = "audio-bus", .detail = "{\"eventId\":\"a/1\"}",
		  .time_s = 1764092400 },
		{ .detail_type = EVENTBRIDGE_TYPE_FINAL,
		  .detail = "{\"eventId\":\"b\"}" },
	};
	struct json_object *o, *arr, *x;
	char *body = NULL;
	size_t used = 0, len = 0;

	CU_ASSERT_EQUAL_FATAL(eventbridge_encode(e, 2, &used, &body, &len),
	    ERR_OK);
	CU_ASSERT_EQUAL(used, 2);
	CU_ASSERT_EQUAL(len, strlen(body));
	CU_ASSERT_PTR_NULL(strstr(body, "\\/"));	/* no slash escapes */
	o = parse(body);
	CU_ASSERT_FATAL(json_object_object_get_ex(o, "Entries", &arr));
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(arr), 2);
	x = json_object_array_get_idx(arr, 0);
	CU_ASSERT_STRING_EQUAL(str_at(x, "Source"), "audio.test");
	CU_ASSERT_STRING_EQUAL(str_at(x, "DetailType"), "AudioChunkUploaded");
	CU_ASSERT_STRING_EQUAL(str_at(x, "EventBusName"), "audio-bus");
	CU_ASSERT_STRING_EQUAL(str_at(x, "Detail"), "{\"eventId\":\"a/1\"}");
	CU_ASSERT_EQUAL(int_at(x, "Time"), 1764092400);
	x = json_object_array_get_idx(arr, 1);
	CU_ASSERT_STRING_EQUAL(str_at(x, "Source"), "audio.api");
	CU_ASSERT_PTR_NULL(str_at(x, "EventBusName"));
	CU_ASSERT_EQUAL(int_at(x, "Time"), -12345);
	json_object_put(o);
	free(body);
}

static void
test_encode_stops_at_ten_entries(void)
{
	struct eventbridge_entry e[25];
	char *body = NULL;
	size_t used, len, i;

	for (i = 0; i < 25; i++)
		e[i] = (struct eventbridge_entry){ .detail_type = "T",
		    .detail = "{}" };
	CU_ASSERT_EQUAL(eventbridge_encode(e, 25, &used, &body, &len), ERR_OK);
	CU_ASSERT_EQUAL(used, 10);
	free(body);
	CU_ASSERT_EQUAL(eventbridge_encode(e + 20, 5, &used, &body, &len),
	    ERR_OK);
	CU_ASSERT_EQUAL(used, 5);
	free(body);
}

static void
test_encode_stops_below_256kb(void)
{
	struct eventbridge_entry e[4];
	char *d, *body = NULL;
	size_t used = 0, len, dlen = 100 * 1024, i;

	d = malloc(dlen + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	memset(d, ' ', dlen);
	d[0] = '{';
	d[dlen - 1] = '}';
	d[dlen] = '\0';
	for (i = 0; i < 4; i++)
		e[i] = (struct eventbridge_entry){ .detail_type = "T",
		    .detail = d };
	/* two of 100 KB fit, a third would reach 300 KB */
	CU_ASSERT_EQUAL(eventbridge_encode(e, 4, &used, &body, &len), ERR_OK);
	CU_ASSERT_EQUAL(used, 2);
	free(body);
	free(d);
}

static void
test_encode_refuses_bad_first_entry_and_stops_before_later_one(void)
{
	struct eventbridge_entry e[3] = {
		{ .detail_type = "T", .detail = "{}" },
		{ .detail_type = "T", .detail = "not json" },
		{ .detail_type = "T", .detail = "{}" },
	};
	char *body = NULL;
	size_t used = 9, len;

	CU_ASSERT_EQUAL(eventbridge_encode(e, 3, &used, &body, &len), ERR_OK);
	CU_ASSERT_EQUAL(used, 1);
	free(body);
	body = NULL;
	CU_ASSERT_EQUAL(eventbridge_encode(e + 1, 2, &used, &body, &len),
	    ERR_INVAL);
	CU_ASSERT_EQUAL(used, 0);
	CU_ASSERT_PTR_NULL(body);
	CU_ASSERT_EQUAL(eventbridge_encode(e, 0, &used, &body, &len),
	    ERR_INVAL);
}

static void
test_response_partial_failure_marks_each_entry(void)
{
	const char *ans = "{\"FailedEntryCount\":3,\"Entries\":["
	    "{\"EventId\":\"11111111-2222-3333-4444-555555555555\"},"
	    "{\"ErrorCode\":\"ThrottlingException\",\"ErrorMessage\":\"slow\"},"
	    "{\"ErrorCode\":\"MalformedDetail\",\"ErrorMessage\":\"bad\"},"
	    "{\"ErrorCode\":\"InternalFailure\"}]}";
	struct eventbridge_result r[4];
	size_t failed = 0;

	CU_ASSERT_EQUAL_FATAL(eventbridge_parse_response(ans, strlen(ans), 4,
	    r, &failed), ERR_OK);
	CU_ASSERT_EQUAL(failed, 3);
	CU_ASSERT_EQUAL(r[0].outcome, EVENTBRIDGE_SENT);
	CU_ASSERT_STRING_EQUAL(r[0].event_id,
	    "11111111-2222-3333-4444-555555555555");
	CU_ASSERT_EQUAL(r[1].outcome, EVENTBRIDGE_RETRY);
	CU_ASSERT_STRING_EQUAL(r[1].error_code, "ThrottlingException");
	CU_ASSERT_STRING_EQUAL(r[1].error_message, "slow");
	CU_ASSERT_EQUAL(r[2].outcome, EVENTBRIDGE_DEAD);
	CU_ASSERT_STRING_EQUAL(r[2].error_message, "bad");
	CU_ASSERT_EQUAL(r[3].outcome, EVENTBRIDGE_RETRY);
	CU_ASSERT_STRING_EQUAL(r[3].error_message, "");
}

static void
test_response_refuses_wrong_shape(void)
{
	const char *bad[] = {
		"", "{", "[]", "{\"Entries\":{}}",
		"{\"Entries\":[{\"EventId\":\"a\"}]}",		/* 1, not 2 */
		"{\"Entries\":[{\"EventId\":\"a\"},{}]}",	/* empty entry */
		"{\"Entries\":[{\"EventId\":\"a\"},7]}",
		"{\"Entries\":[{\"EventId\":\"a\"},{\"EventId\":5}]}",
	};
	struct eventbridge_result r[2];
	size_t i, failed;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		failed = 0;
		CU_ASSERT_EQUAL(eventbridge_parse_response(bad[i],
		    strlen(bad[i]), 2, r, &failed), ERR_UPSTREAM);
		CU_ASSERT_EQUAL(failed, 2);
		CU_ASSERT_EQUAL(r[0].outcome, EVENTBRIDGE_RETRY);
		CU_ASSERT_EQUAL(r[1].outcome, EVENTBRIDGE_RETRY);
	}
}

static void
test_response_cuts_long_messages_on_utf8_boundary(void)
{
	char ans[2048], msg[600];
	struct eventbridge_result r[1];
	size_t i;

	for (i = 0; i + 2 < sizeof(msg); i += 2) {
		msg[i] = '\xc3';
		msg[i + 1] = '\xa9';
	}
	msg[i] = '\0';
	snprintf(ans, sizeof(ans), "{\"Entries\":[{\"ErrorCode\":"
	    "\"InvalidArgument\",\"ErrorMessage\":\"%s\"}]}", msg);
	CU_ASSERT_EQUAL_FATAL(eventbridge_parse_response(ans, strlen(ans), 1,
	    r, NULL), ERR_OK);
	CU_ASSERT_EQUAL(r[0].outcome, EVENTBRIDGE_DEAD);
	CU_ASSERT(strlen(r[0].error_message) <= EVENTBRIDGE_MESSAGE_MAX);
	CU_ASSERT(strlen(r[0].error_message) % 2 == 0);
}

static void
test_classify_entry_codes(void)
{
	CU_ASSERT_EQUAL(eventbridge_classify_entry("InternalFailure"),
	    EVENTBRIDGE_RETRY);
	CU_ASSERT_EQUAL(eventbridge_classify_entry("ThrottlingException"),
	    EVENTBRIDGE_RETRY);
	CU_ASSERT_EQUAL(eventbridge_classify_entry("InvalidArgument"),
	    EVENTBRIDGE_DEAD);
	CU_ASSERT_EQUAL(eventbridge_classify_entry(
	    "NotAuthorizedForSourceException"), EVENTBRIDGE_DEAD);
	CU_ASSERT_EQUAL(eventbridge_classify_entry("SomethingNew"),
	    EVENTBRIDGE_RETRY);
}

static void
test_request_errors_throttling_and_5xx_retry_validation_dead(void)
{
	struct eventbridge_result r;
	const char *thr = "{\"__type\":\"com.amazonaws.events#"
	    "ThrottlingException\",\"message\":\"Rate exceeded\"}";
	const char *val = "{\"__type\":\"ValidationException\","
	    "\"Message\":\"1 validation error\"}";
	const char *sig = "{\"__type\":\"InvalidSignatureException\","
	    "\"message\":\"The request signature we calculated does not "
	    "match\"}";
	const char *typed = "{\"__type\":\"aws.api#ResourceNotFoundException:"
	    "http://internal.amazon.com/\",\"message\":\"no bus\"}";

	eventbridge_parse_error(400, thr, strlen(thr), &r);
	CU_ASSERT_EQUAL(r.outcome, EVENTBRIDGE_RETRY);
	CU_ASSERT_STRING_EQUAL(r.error_code, "ThrottlingException");
	CU_ASSERT_STRING_EQUAL(r.error_message, "Rate exceeded");

	eventbridge_parse_error(400, val, strlen(val), &r);
	CU_ASSERT_EQUAL(r.outcome, EVENTBRIDGE_DEAD);
	CU_ASSERT_STRING_EQUAL(r.error_code, "ValidationException");
	CU_ASSERT_STRING_EQUAL(r.error_message, "1 validation error");

	eventbridge_parse_error(400, sig, strlen(sig), &r);
	CU_ASSERT_EQUAL(r.outcome, EVENTBRIDGE_RETRY);
	eventbridge_parse_error(403, "{}", 2, &r);
	CU_ASSERT_EQUAL(r.outcome, EVENTBRIDGE_RETRY);
	CU_ASSERT_STRING_EQUAL(r.error_code, "HTTP403");

	eventbridge_parse_error(400, typed, strlen(typed), &r);
	CU_ASSERT_EQUAL(r.outcome, EVENTBRIDGE_DEAD);
	CU_ASSERT_STRING_EQUAL(r.error_code, "ResourceNotFoundException");

	eventbridge_parse_error(500, "{\"__type\":\"InternalException\"}",
	    30, &r);
	CU_ASSERT_EQUAL(r.outcome, EVENTBRIDGE_RETRY);
	eventbridge_parse_error(503, "<html>", 6, &r);
	CU_ASSERT_EQUAL(r.outcome, EVENTBRIDGE_RETRY);
	CU_ASSERT_STRING_EQUAL(r.error_code, "HTTP503");
	eventbridge_parse_error(429, NULL, 0, &r);
	CU_ASSERT_EQUAL(r.outcome, EVENTBRIDGE_RETRY);
	eventbridge_parse_error(0, NULL, 0, &r);
	CU_ASSERT_EQUAL(r.outcome, EVENTBRIDGE_RETRY);
	CU_ASSERT_STRING_EQUAL(r.error_code, "TransportError");
	eventbridge_parse_error(413, "not json", 8, &r);
	CU_ASSERT_EQUAL(r.outcome, EVENTBRIDGE_DEAD);
	CU_ASSERT_STRING_EQUAL(r.error_code, "HTTP413");
	CU_ASSERT_STRING_EQUAL(eventbridge_outcome_name(r.outcome), "dead");
}

int
test_eventbridge_suite(void)
{
	CU_pSuite s = CU_add_suite("eventbridge", NULL, NULL);

	if (s == NULL ||
	    CU_add_test(s, "entry size follows AWS rule",
	    test_entry_size_follows_aws_rule) == NULL ||
	    CU_add_test(s, "entry check names the problem",
	    test_entry_check_names_the_problem) == NULL ||
	    CU_add_test(s, "encode writes PutEvents body",
	    test_encode_writes_putevents_body) == NULL ||
	    CU_add_test(s, "encode stops at ten entries",
	    test_encode_stops_at_ten_entries) == NULL ||
	    CU_add_test(s, "encode stops below 256 KB",
	    test_encode_stops_below_256kb) == NULL ||
	    CU_add_test(s, "encode refuses bad first entry, stops before later",
	    test_encode_refuses_bad_first_entry_and_stops_before_later_one)
	    == NULL ||
	    CU_add_test(s, "response partial failure marks each entry",
	    test_response_partial_failure_marks_each_entry) == NULL ||
	    CU_add_test(s, "response refuses wrong shape",
	    test_response_refuses_wrong_shape) == NULL ||
	    CU_add_test(s, "response cuts long messages on UTF-8 boundary",
	    test_response_cuts_long_messages_on_utf8_boundary) == NULL ||
	    CU_add_test(s, "classify entry codes",
	    test_classify_entry_codes) == NULL ||
	    CU_add_test(s, "request errors: throttling/5xx retry, 4xx dead",
	    test_request_errors_throttling_and_5xx_retry_validation_dead)
	    == NULL)
		return -1;
	return 0;
}
