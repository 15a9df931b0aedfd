/*
 * eventbridge.c: PutEvents request bodies, answers and error classes.
 *
 * json-c builds and reads the JSON; everything here works on memory so the
 * unit tests and fuzzers drive it directly.  The batching rule is AWS's own
 * (see "Calculating PutEvents event entry size"): a Time counts 14 bytes,
 * Source, DetailType and Detail their UTF-8 bytes, and the sum over a
 * request's entries must stay below 256 KB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "eventbridge.h"
#include "jsonparse.h"
#include "limit.h"
#include "utf8.h"

/* Copy at most dstsz - 1 bytes and NUL-terminate, never splitting a UTF-8
 * sequence (so a cut message stays valid text). */
static void
eventbridge_copy(char *dst, size_t dstsz, const char *src)
{
	size_t n;

	if (dstsz == 0)
		return;
	if (src == NULL)
		src = "";
	n = utf8_cut(src, strlen(src), dstsz - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Serialise obj into a malloc'd string; obj is released either way. */
static enum err
eventbridge_finish(struct json_object *obj, char **out, size_t *len)
{
	const char *s;
	size_t n;
	enum err rc = ERR_NOMEM;

	*out = NULL;
	if (obj == NULL)
		goto out;
	s = json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL)
		goto out;
	n = strlen(s);
	if ((*out = malloc(n + 1)) == NULL)
		goto out;
	memcpy(*out, s, n + 1);
	if (len != NULL)
		*len = n;
	rc = ERR_OK;
out:
	json_object_put(obj);
	return rc;
}

/* Add a key; json_object_object_add() takes the value even on failure. */
static int
eventbridge_add(struct json_object *obj, const char *key,
    struct json_object *val)
{
	if (val == NULL)
		return -1;
	return json_object_object_add(obj, key, val) == 0 ? 0 : -1;
}

static const char *
eventbridge_source(const struct eventbridge_entry *e)
{
	return e->source != NULL ? e->source : EVENTBRIDGE_SOURCE_DEFAULT;
}

size_t
eventbridge_entry_size(const struct eventbridge_entry *e)
{
	size_t n = 0;

	if (e->time_s != 0)
		n += EVENTBRIDGE_TIME_SIZE;
	n += strlen(eventbridge_source(e));
	if (e->detail_type != NULL)
		n += strlen(e->detail_type);
	if (e->detail != NULL)
		n += strlen(e->detail);
	return n;
}

/*
 * 1 if s[0..len) is one JSON object by the project's strict parser.
 * json-c's own tokener accepts single quotes, NaN and raw control
 * characters even in strict mode, and EventBridge would refuse those as
 * MalformedDetail; better to find out before the event is queued.
 */
static int
eventbridge_is_object(const char *buf, size_t len)
{
	struct json_object *o = NULL;

	if (jsonparse_object(buf, len, EVENTBRIDGE_BATCH_BYTES, &o, NULL, 0)
	    != ERR_OK)
		return 0;
	json_object_put(o);
	return 1;
}

static int
eventbridge_bus_ok(const char *b)
{
	const char *p;

	for (p = b; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/._-:", *p) != NULL))
			return 0;
	return p - b <= EVENTBRIDGE_BUS_NAME_MAX;
}

enum err
eventbridge_entry_check(const struct eventbridge_entry *e, const char **why)
{
	const char *src, *msg = NULL;
	size_t n;
	enum err rc = ERR_FIELD;

	if (e == NULL) {
		msg = "no entry";
		goto out;
	}
	src = eventbridge_source(e);
	n = strlen(src);
	if (n == 0 || n > EVENTBRIDGE_SOURCE_MAX ||
	    !utf8_valid(src, n)) {
		msg = "Source must be 1..256 bytes of UTF-8";
		goto out;
	}
	if (strncmp(src, "aws.", 4) == 0) {
		msg = "Source prefix aws. is reserved";
		goto out;
	}
	if (e->detail_type == NULL || (n = strlen(e->detail_type)) == 0 ||
	    n > EVENTBRIDGE_DETAIL_TYPE_MAX ||
	    !utf8_valid(e->detail_type, n)) {
		msg = "DetailType must be 1..128 bytes of UTF-8";
		goto out;
	}
	if (e->bus_name != NULL && *e->bus_name != '\0' &&
	    !eventbridge_bus_ok(e->bus_name)) {
		msg = "EventBusName has bad characters or is too long";
		goto out;
	}
	if (e->time_s < 0) {
		msg = "Time is negative";
		goto out;
	}
	if (e->detail == NULL || (n = strlen(e->detail)) == 0) {
		msg = "Detail is missing";
		goto out;
	}
	if (eventbridge_entry_size(e) >= EVENTBRIDGE_BATCH_BYTES) {
		msg = "entry is 256 KB or more";
		rc = ERR_TOO_LARGE;
		goto out;
	}
	if (!utf8_valid(e->detail, n)) {
		msg = "Detail is not valid UTF-8";
		goto out;
	}
	if (!eventbridge_is_object(e->detail, n)) {
		msg = "Detail is not a JSON object";
		goto out;
	}
	rc = ERR_OK;
out:
	if (why != NULL)
		*why = msg;
	return rc;
}

static struct json_object *
eventbridge_entry_json(const struct eventbridge_entry *e)
{
	struct json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (eventbridge_add(o, "Source",
	    json_object_new_string(eventbridge_source(e))) != 0 ||
	    eventbridge_add(o, "DetailType",
	    json_object_new_string(e->detail_type)) != 0 ||
	    eventbridge_add(o, "Detail",
	    json_object_new_string(e->detail)) != 0 ||
	    (e->bus_name != NULL && *e->bus_name != '\0' &&
	    eventbridge_add(o, "EventBusName",
	    json_object_new_string(e->bus_name)) != 0) ||
	    (e->time_s != 0 && eventbridge_add(o, "Time",
	    json_object_new_int64(e->time_s)) != 0)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

enum err
eventbridge_encode(const struct eventbridge_entry *entries, size_t n,
    size_t *used, char **body, size_t *len)
{
	struct json_object *root = NULL, *arr = NULL, *eo;
	size_t i, total = 0, sz;
	enum err rc = ERR_INVAL;

	*used = 0;
	*body = NULL;
	if (entries == NULL || n == 0)
		goto out;
	rc = ERR_NOMEM;
	if ((root = json_object_new_object()) == NULL ||
	    (arr = json_object_new_array()) == NULL)
		goto out;
	for (i = 0; i < n && i < EVENTBRIDGE_BATCH_ENTRIES; i++) {
		if (eventbridge_entry_check(&entries[i], NULL) != ERR_OK) {
			if (i == 0) {
				rc = ERR_INVAL;
				goto out;
			}
			break;	/* the caller meets it first next time */
		}
		sz = eventbridge_entry_size(&entries[i]);
		if (total + sz >= EVENTBRIDGE_BATCH_BYTES)
			break;
		if ((eo = eventbridge_entry_json(&entries[i])) == NULL ||
		    json_object_array_add(arr, eo) != 0) {
			json_object_put(eo);
			goto out;
		}
		total += sz;
	}
	if (json_object_object_add(root, "Entries", arr) != 0)
		goto out;
	*used = i;
	arr = NULL;
	rc = eventbridge_finish(root, body, len);
	root = NULL;
	if (rc != ERR_OK)
		*used = 0;
out:
	json_object_put(arr);
	json_object_put(root);
	return rc;
}

/* Parse buf as one JSON object; NULL if it is anything else. */
static struct json_object *
eventbridge_parse_object(const char *buf, size_t len)
{
	struct json_object *o = NULL;

	if (buf == NULL || len == 0)
		return NULL;
	(void)jsonparse_object(buf, len, LIMIT_EVENTBRIDGE_ANSWER_BYTES, &o,
	    NULL, 0);
	return o;
}

static void
eventbridge_set(struct eventbridge_result *r, enum eventbridge_outcome oc,
    const char *code, const char *msg)
{
	r->outcome = oc;
	r->event_id[0] = '\0';
	eventbridge_copy(r->error_code, sizeof(r->error_code), code);
	eventbridge_copy(r->error_message, sizeof(r->error_message), msg);
}

enum err
eventbridge_parse_response(const char *buf, size_t len, size_t n,
    struct eventbridge_result *res, size_t *failed)
{
	struct json_object *root, *arr, *e;
	const char *id, *code, *msg;
	size_t i, bad = 0;
	enum err rc = ERR_UPSTREAM;

	for (i = 0; i < n; i++)
		eventbridge_set(&res[i], EVENTBRIDGE_RETRY, "BadResponse",
		    "EventBridge answer was not understood");
	if (failed != NULL)
		*failed = n;
	if ((root = eventbridge_parse_object(buf, len)) == NULL)
		return ERR_UPSTREAM;
	if (!json_object_object_get_ex(root, "Entries", &arr) ||
	    !json_object_is_type(arr, json_type_array) ||
	    json_object_array_length(arr) != n)
		goto out;
	/* Check every entry before trusting any of them. */
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(arr, i);
		if (e == NULL || !json_object_is_type(e, json_type_object))
			goto out;
		id = jsonparse_str(e, "EventId", NULL);
		code = jsonparse_str(e, "ErrorCode", NULL);
		if ((id == NULL || *id == '\0') &&
		    (code == NULL || *code == '\0'))
			goto out;
	}
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(arr, i);
		id = jsonparse_str(e, "EventId", NULL);
		code = jsonparse_str(e, "ErrorCode", NULL);
		msg = jsonparse_str(e, "ErrorMessage", NULL);
		if (code != NULL && *code != '\0') {
			eventbridge_set(&res[i],
			    eventbridge_classify_entry(code), code, msg);
			bad++;
		} else {
			eventbridge_set(&res[i], EVENTBRIDGE_SENT, NULL, NULL);
			eventbridge_copy(res[i].event_id,
			    sizeof(res[i].event_id), id);
		}
	}
	if (failed != NULL)
		*failed = bad;
	rc = ERR_OK;
out:
	json_object_put(root);
	return rc;
}

static const char *const eventbridge_entry_retry[] = {
	"InternalFailure", "ThrottlingException", NULL
};
static const char *const eventbridge_entry_dead[] = {
	"AccessDeniedException", "InvalidAccountIdException",
	"InvalidArgument", "MalformedDetail", "RedactionFailure",
	"NotAuthorizedForSourceException",
	"NotAuthorizedForDetailTypeException", NULL
};

static int
eventbridge_in(const char *code, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(code, *list) == 0)
			return 1;
	return 0;
}

enum eventbridge_outcome
eventbridge_classify_entry(const char *code)
{
	if (code == NULL || eventbridge_in(code, eventbridge_entry_retry))
		return EVENTBRIDGE_RETRY;
	if (eventbridge_in(code, eventbridge_entry_dead))
		return EVENTBRIDGE_DEAD;
	return EVENTBRIDGE_RETRY;
}

/* Whole-request error types that say nothing against the events
 * themselves: retry them (after fixing credentials, clock or quota). */
static const char *const eventbridge_request_retry[] = {
	"ThrottlingException", "Throttling", "TooManyRequestsException",
	"RequestLimitExceeded", "LimitExceededException",
	"InternalException", "InternalFailure", "InternalServerError",
	"ServiceUnavailable", "ServiceUnavailableException",
	"ConcurrentModificationException",
	"ExpiredTokenException", "ExpiredToken", "RequestExpired",
	"InvalidSignatureException", "SignatureDoesNotMatch",
	"IncompleteSignatureException", "UnrecognizedClientException",
	"InvalidClientTokenId", "MissingAuthenticationTokenException",
	"AccessDeniedException", "RequestTimeTooSkewed", NULL
};

void
eventbridge_parse_error(int status, const char *buf, size_t len,
    struct eventbridge_result *res)
{
	struct json_object *root = NULL;
	const char *type = NULL, *msg = NULL, *hash;
	char code[EVENTBRIDGE_CODE_MAX + 1], fallback[64];
	size_t n;
	enum eventbridge_outcome oc;

	if (buf != NULL && (root = eventbridge_parse_object(buf, len)) != NULL) {
		if ((type = jsonparse_str(root, "__type", NULL)) == NULL)
			type = jsonparse_str(root, "code", NULL);
		if ((msg = jsonparse_str(root, "message", NULL)) == NULL)
			msg = jsonparse_str(root, "Message", NULL);
	}
	/* "ns#Name:http://..." -> "Name" */
	code[0] = '\0';
	if (type != NULL) {
		if ((hash = strrchr(type, '#')) != NULL)
			type = hash + 1;
		n = strcspn(type, ":");
		if (n > EVENTBRIDGE_CODE_MAX)
			n = EVENTBRIDGE_CODE_MAX;
		memcpy(code, type, n);
		code[n] = '\0';
	}
	if (status == 0) {
		if (code[0] == '\0')
			eventbridge_copy(code, sizeof(code), "TransportError");
		oc = EVENTBRIDGE_RETRY;
	} else if (status >= 500 || status == 429 || status == 408)
		oc = EVENTBRIDGE_RETRY;
	else if (code[0] != '\0' &&
	    eventbridge_in(code, eventbridge_request_retry))
		oc = EVENTBRIDGE_RETRY;
	else if (status == 401 || status == 403)
		oc = EVENTBRIDGE_RETRY;		/* credentials, not the event */
	else if (status >= 400)
		oc = EVENTBRIDGE_DEAD;
	else
		oc = EVENTBRIDGE_RETRY;		/* 1xx/2xx/3xx: not an answer */
	if (code[0] == '\0') {
		snprintf(fallback, sizeof(fallback), "HTTP%d", status);
		eventbridge_copy(code, sizeof(code), fallback);
	}
	if (msg == NULL)
		msg = status == 0 ? "no answer from EventBridge" :
		    "EventBridge refused the request";
	eventbridge_set(res, oc, code, msg);
	json_object_put(root);
}

const char *
eventbridge_outcome_name(enum eventbridge_outcome oc)
{
	switch (oc) {
	case EVENTBRIDGE_SENT:
		return "sent";
	case EVENTBRIDGE_RETRY:
		return "retry";
	case EVENTBRIDGE_DEAD:
		return "dead";
	}
	return "unknown";
}
