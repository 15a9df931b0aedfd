/*
 * eventbridge.h: Amazon EventBridge PutEvents, as bytes in and bytes out.
 *
 * The API records two kinds of event in the journal's outbox:
 * AudioChunkUploaded and RecordingFinalized, whose Detail JSON (the old
 * system's fields plus a stable eventId that consumers use to drop
 * duplicates) lib/storage/manifest.c renders at commit time.  This module packs
 * outbox entries into PutEvents request bodies
 * (application/x-amz-json-1.1, X-Amz-Target AWSEvents.PutEvents) of at most
 * 10 entries and less than 256 KB as EventBridge computes entry sizes, and
 * reads the answers: a 200 may still carry FailedEntryCount > 0, so each
 * entry gets its own outcome (sent, retry, or dead with a reason).
 *
 * It does no I/O: the HTTP adapter (lib/storage/eventbridge_send.c) signs and sends
 * what eventbridge_encode() returns and hands the answer back to
 * eventbridge_parse_response() or eventbridge_parse_error().
 */
#ifndef EVENTBRIDGE_H
#define EVENTBRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define EVENTBRIDGE_CONTENT_TYPE	"application/x-amz-json-1.1"
#define EVENTBRIDGE_TARGET		"AWSEvents.PutEvents"
#define EVENTBRIDGE_SERVICE		"events"	/* SigV4 service name */
#define EVENTBRIDGE_SOURCE_DEFAULT	"audio.api"
#define EVENTBRIDGE_TYPE_CHUNK		"AudioChunkUploaded"
#define EVENTBRIDGE_TYPE_FINAL		"RecordingFinalized"

/* AWS's own bounds (not configurable). */
#define EVENTBRIDGE_BATCH_ENTRIES	10
#define EVENTBRIDGE_BATCH_BYTES		(256 * 1024)	/* sum must be below */
#define EVENTBRIDGE_SOURCE_MAX		256
#define EVENTBRIDGE_DETAIL_TYPE_MAX	128
#define EVENTBRIDGE_BUS_NAME_MAX	1600
#define EVENTBRIDGE_TIME_SIZE		14	/* what a Time counts for */

/* What fits in a result: AWS event ids are UUIDs; codes and messages are
 * cut to these lengths. */
#define EVENTBRIDGE_EVENT_ID_MAX	64
#define EVENTBRIDGE_CODE_MAX		64
#define EVENTBRIDGE_MESSAGE_MAX		256

/*
 * One PutEvents entry.  Strings are borrowed; the caller keeps them alive
 * while it uses the entry.  source NULL means EVENTBRIDGE_SOURCE_DEFAULT;
 * bus_name NULL or "" leaves EventBusName out (the account's default bus);
 * time_s 0 leaves Time out (EventBridge then uses its receipt time).
 */
struct eventbridge_entry {
	const char	*source;
	const char	*detail_type;	/* EVENTBRIDGE_TYPE_* */
	const char	*bus_name;
	const char	*detail;	/* JSON object text, NUL-terminated */
	int64_t		 time_s;	/* seconds since the epoch */
};

enum eventbridge_outcome {
	EVENTBRIDGE_SENT = 0,	/* accepted; event_id holds AWS's id */
	EVENTBRIDGE_RETRY,	/* throttled, 5xx, network: try again later */
	EVENTBRIDGE_DEAD,	/* refused for good: park it with the reason */
};

/* The outcome of one entry of one request. */
struct eventbridge_result {
	enum eventbridge_outcome outcome;
	char	event_id[EVENTBRIDGE_EVENT_ID_MAX + 1];
	char	error_code[EVENTBRIDGE_CODE_MAX + 1];
	char	error_message[EVENTBRIDGE_MESSAGE_MAX + 1];
};

/*
 * The size EventBridge counts for an entry: 14 for a Time, plus the UTF-8
 * bytes of Source, DetailType and Detail.  EventBusName does not count.
 */
size_t		eventbridge_entry_size(const struct eventbridge_entry *);

/*
 * Check that an entry can ever be accepted: Source 1..256 bytes, DetailType
 * 1..128, bus name within bounds, Detail a JSON object, all valid UTF-8,
 * size below EVENTBRIDGE_BATCH_BYTES on its own.  On failure returns
 * ERR_FIELD or ERR_TOO_LARGE and, if why is not NULL, points *why at a
 * static sentence naming the problem (for the dead item's reason).
 */
enum err	eventbridge_entry_check(const struct eventbridge_entry *,
		    const char **why);

/*
 * Encode the longest prefix of entries[0..n) that fits one request (at most
 * EVENTBRIDGE_BATCH_ENTRIES entries, sizes summing below
 * EVENTBRIDGE_BATCH_BYTES) as a PutEvents JSON body.  *used receives how
 * many entries went in (>= 1 on success); *body is malloc'd and
 * NUL-terminated, caller frees; *len its length.  ERR_INVAL if n is 0 or an
 * entry fails eventbridge_entry_check() (check them first and park those),
 * ERR_NOMEM.
 */
enum err	eventbridge_encode(const struct eventbridge_entry *entries,
		    size_t n, size_t *used, char **body, size_t *len);

/*
 * Read the body of a 200 answer to a request of n entries into res[0..n):
 * each entry with an EventId is SENT; each with an ErrorCode is classified
 * by eventbridge_classify_entry().  *failed (may be NULL) receives the
 * number of entries not SENT.  ERR_UPSTREAM if the body is not a PutEvents
 * answer or its Entries do not number n; res is then left all RETRY.
 */
enum err	eventbridge_parse_response(const char *buf, size_t len, size_t n,
		    struct eventbridge_result *res, size_t *failed);

/*
 * Classify a whole request that did not get a 200, from its HTTP status and
 * its JSON error body ({"__type": "...#ThrottlingException", "message":
 * ...}; buf may be NULL for a transport failure, with status 0).  Fills
 * *res (code, message, outcome) which the caller copies to every entry of
 * the request.  Throttling, 5xx, 429, transport failures and credential
 * problems (expired token, bad signature: fixable without touching the
 * event) are RETRY; other 4xx (ValidationException, ...) are DEAD.
 */
void		eventbridge_parse_error(int status, const char *buf, size_t len,
		    struct eventbridge_result *res);

/*
 * Classify a per-entry ErrorCode of a 200 answer: InternalFailure and
 * ThrottlingException are RETRY; AccessDeniedException, InvalidArgument,
 * MalformedDetail, InvalidAccountIdException, RedactionFailure,
 * NotAuthorizedForSourceException, NotAuthorizedForDetailTypeException are
 * DEAD; any code not known here is RETRY (bounded by the delivery loop's
 * attempt limit) so a new transient code never loses an event.
 */
enum eventbridge_outcome eventbridge_classify_entry(const char *code);

/* "sent", "retry" or "dead". */
const char	*eventbridge_outcome_name(enum eventbridge_outcome);

#endif /* EVENTBRIDGE_H */
