/*
 * wsproto.c: parse client text frames of both WebSocket dialects and render
 * the server's messages (see wsproto.h).
 *
 * Parsing goes through the project's strict JSON entry point (jsonv_parse()
 * over lib/jsonparse.c: no duplicate names, depth and size bounded) and
 * then walks the object key by key, so that every known key is checked and
 * the others are refused by name or, where the dialect allows them,
 * ignored and reported back.  Rendering appends to a fixed struct buf in
 * the caller's memory and escapes strings with buf_add_json() (json-c's
 * serializer would allocate per message, and the bridge renders on every
 * partial).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "clock.h"
#include "jsonparse.h"
#include "jsonv.h"
#include "wsproto.h"

/* ------------------------------------------------------------- parsing */

static void
wsproto_reason(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
wsproto_reason(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errbuf == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

void
wsproto_start_defaults(struct wsproto_start *s, const char *language,
    int sample_rate)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->language, sizeof(s->language), "%s",
	    language != NULL ? language : "en-US");
	s->sample_rate = sample_rate > 0 ? sample_rate : LIMIT_WS_RATE_DEFAULT;
	s->enable_partials = 1;
	s->punctuation = 1;
	s->word_time_offsets = 1;
}

/* Characters allowed in a language code or model name. */
static int
wsproto_ident_ok(const char *s, size_t len, int model)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_')
			continue;
		if (model && (c == '.' || c == ':'))
			continue;
		return 0;
	}
	return 1;
}

/* Copy a JSON string field into dst (cap bytes incl. NUL), refusing embedded
 * NULs, control characters and over-long values. */
static enum err
wsproto_get_string(json_object *v, const char *key, char *dst, size_t cap,
    char *errbuf, size_t errlen)
{
	const char *s;
	size_t len, i;

	if (!json_object_is_type(v, json_type_string)) {
		wsproto_reason(errbuf, errlen, "field '%s' must be a string",
		    key);
		return ERR_FIELD;
	}
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len >= cap) {
		wsproto_reason(errbuf, errlen,
		    "field '%s' is longer than %zu bytes", key, cap - 1);
		return ERR_TOO_LARGE;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			wsproto_reason(errbuf, errlen,
			    "field '%s' contains a control character", key);
			return ERR_FIELD;
		}
	memcpy(dst, s, len);
	dst[len] = '\0';
	return ERR_OK;
}

static enum err
wsproto_get_bool(json_object *v, const char *key, int *dst, char *errbuf,
    size_t errlen)
{
	if (!json_object_is_type(v, json_type_boolean)) {
		wsproto_reason(errbuf, errlen, "field '%s' must be true or false",
		    key);
		return ERR_FIELD;
	}
	*dst = json_object_get_boolean(v) ? 1 : 0;
	return ERR_OK;
}

static enum err
wsproto_get_rate(json_object *v, const char *key, int *dst, char *errbuf,
    size_t errlen)
{
	int64_t n;

	if (!json_object_is_type(v, json_type_int)) {
		wsproto_reason(errbuf, errlen, "field '%s' must be an integer",
		    key);
		return ERR_FIELD;
	}
	n = json_object_get_int64(v);
	if (n < LIMIT_WS_RATE_MIN || n > LIMIT_WS_RATE_MAX) {
		wsproto_reason(errbuf, errlen,
		    "field '%s' must be between %d and %d Hz", key,
		    LIMIT_WS_RATE_MIN, LIMIT_WS_RATE_MAX);
		return ERR_FIELD;
	}
	*dst = (int)n;
	return ERR_OK;
}

/* Append one boosted word (a non-empty string); the caller checks the
 * count. */
static enum err
wsproto_add_hotword(json_object *v, const char *key, struct wsproto_start *s,
    char *errbuf, size_t errlen)
{
	char *w = s->hotwords[s->nhotwords];
	enum err e;

	e = wsproto_get_string(v, key, w, sizeof(s->hotwords[0]), errbuf,
	    errlen);
	if (e != ERR_OK)
		return e;
	if (w[0] == '\0') {
		wsproto_reason(errbuf, errlen, "field '%s' is empty", key);
		return ERR_FIELD;
	}
	s->nhotwords++;
	return ERR_OK;
}

static enum err
wsproto_get_hotwords(json_object *v, struct wsproto_start *s, char *errbuf,
    size_t errlen)
{
	size_t i, n;
	enum err e;
	char key[32];

	if (!json_object_is_type(v, json_type_array)) {
		wsproto_reason(errbuf, errlen,
		    "field 'hotwords' must be an array of strings");
		return ERR_FIELD;
	}
	n = json_object_array_length(v);
	if (n > LIMIT_WS_HOTWORDS) {
		wsproto_reason(errbuf, errlen,
		    "field 'hotwords' has more than %d entries",
		    LIMIT_WS_HOTWORDS);
		return ERR_TOO_LARGE;
	}
	s->nhotwords = 0;
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "hotwords[%zu]", i);
		e = wsproto_add_hotword(json_object_array_get_idx(v, i), key, s,
		    errbuf, errlen);
		if (e != ERR_OK)
			return e;
	}
	return ERR_OK;
}

static enum err
wsproto_get_ident(json_object *v, const char *key, char *dst, size_t cap,
    int model, char *errbuf, size_t errlen)
{
	enum err e;

	if ((e = wsproto_get_string(v, key, dst, cap, errbuf, errlen)) != ERR_OK)
		return e;
	if (!wsproto_ident_ok(dst, strlen(dst), model)) {
		wsproto_reason(errbuf, errlen, "field '%s' is not a valid %s",
		    key, model ? "name (letters, digits, - _ . :)" :
		    "language code");
		return ERR_FIELD;
	}
	return ERR_OK;
}

/* Remember an ignored field's name for the caller's debug log. */
static void
wsproto_ignore(struct wsproto_msg *m, const char *key)
{
	size_t n = strlen(m->ignored);

	if (m->nignored++ > 0 && n + 2 < sizeof(m->ignored)) {
		memcpy(m->ignored + n, ", ", 3);
		n += 2;
	}
	if (n + 1 < sizeof(m->ignored))
		snprintf(m->ignored + n, sizeof(m->ignored) - n, "%.64s", key);
}

static const struct {
	const char	*name;
	unsigned	 bit;
} wsproto_msg_names[] = {
	{ "partial", WSPROTO_MSG_PARTIAL },
	{ "transcription", WSPROTO_MSG_TRANSCRIPTION },
	{ "display", WSPROTO_MSG_DISPLAY },
};

/* The bit of one "messages" member (n bytes), 0 if unknown. */
static unsigned
wsproto_msg_bit(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(wsproto_msg_names) /
	    sizeof(wsproto_msg_names[0]); i++)
		if (strlen(wsproto_msg_names[i].name) == n &&
		    memcmp(wsproto_msg_names[i].name, s, n) == 0)
			return wsproto_msg_names[i].bit;
	return 0;
}

enum err
wsproto_parse_messages(const char *text, const char *field, unsigned *out,
    char *errbuf, size_t errlen)
{
	const char *p = text, *q;
	unsigned bits = 0, b;
	size_t n;

	*out = 0;
	for (;;) {
		while (*p == ' ')
			p++;
		for (q = p; *q != '\0' && *q != ','; q++)
			;
		n = (size_t)(q - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if ((b = wsproto_msg_bit(p, n)) == 0) {
			wsproto_reason(errbuf, errlen, "field '%s' must list "
			    "partial, transcription and/or display, "
			    "comma-separated (got \"%.*s\")", field,
			    (int)(n > 32 ? 32 : n), p);
			return ERR_FIELD;
		}
		bits |= b;
		if (*q == '\0')
			break;
		p = q + 1;
	}
	*out = bits;
	return ERR_OK;
}

/* start_transcription "messages": ["display"], ["partial","transcription"]. */
static enum err
wsproto_get_messages(json_object *v, unsigned *out, char *errbuf,
    size_t errlen)
{
	json_object *m;
	size_t i, n;
	unsigned bits = 0, b;

	if (!json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) == 0) {
		wsproto_reason(errbuf, errlen, "field 'messages' must be a "
		    "non-empty array of \"partial\", \"transcription\", "
		    "\"display\"");
		return ERR_FIELD;
	}
	if (n > 8) {
		wsproto_reason(errbuf, errlen,
		    "field 'messages' has more than 8 entries");
		return ERR_TOO_LARGE;
	}
	for (i = 0; i < n; i++) {
		m = json_object_array_get_idx(v, i);
		if (!json_object_is_type(m, json_type_string) ||
		    (b = wsproto_msg_bit(json_object_get_string(m),
		    (size_t)json_object_get_string_len(m))) == 0) {
			wsproto_reason(errbuf, errlen, "field 'messages[%zu]' "
			    "must be \"partial\", \"transcription\" or "
			    "\"display\"", i);
			return ERR_FIELD;
		}
		bits |= b;
	}
	*out = bits;
	return ERR_OK;
}

/* Dialect 1 start_transcription.  Unknown fields are ignored (the Python
 * bridge read the ones it knew with .get() and its page sends others). */
static enum err
wsproto_parse_start1(json_object *o, struct wsproto_msg *m, char *errbuf,
    size_t errlen)
{
	struct wsproto_start *s = &m->start;
	enum err e = ERR_OK;

	json_object_object_foreach(o, key, v) {
		if (strcmp(key, "type") == 0)
			continue;
		else if (strcmp(key, "enable_partials") == 0)
			e = wsproto_get_bool(v, key, &s->enable_partials, errbuf,
			    errlen);
		else if (strcmp(key, "punctuation") == 0)
			e = wsproto_get_bool(v, key, &s->punctuation, errbuf,
			    errlen);
		else if (strcmp(key, "word_time_offsets") == 0)
			e = wsproto_get_bool(v, key, &s->word_time_offsets,
			    errbuf, errlen);
		else if (strcmp(key, "sample_rate") == 0)
			e = wsproto_get_rate(v, key, &s->sample_rate, errbuf,
			    errlen);
		else if (strcmp(key, "language") == 0)
			e = wsproto_get_ident(v, key, s->language,
			    sizeof(s->language), 0, errbuf, errlen);
		else if (strcmp(key, "model") == 0)
			e = wsproto_get_ident(v, key, s->model,
			    sizeof(s->model), 1, errbuf, errlen);
		else if (strcmp(key, "hotwords") == 0)
			e = wsproto_get_hotwords(v, s, errbuf, errlen);
		else if (strcmp(key, "messages") == 0)
			e = wsproto_get_messages(v, &s->messages, errbuf,
			    errlen);
		else
			wsproto_ignore(m, key);
		if (e != ERR_OK)
			return e;
	}
	return ERR_OK;
}

/* AudioCodes sttSpeechContexts ([{"phrases":[...],"boost":N},...], as
 * Google's SpeechContext): every phrase becomes a boosted word. */
static enum err
wsproto_get_contexts(json_object *v, struct wsproto_start *s, char *errbuf,
    size_t errlen)
{
	json_object *ctx, *phrases;
	size_t i, j, n, np;
	enum err e;
	char key[96];

	if (!json_object_is_type(v, json_type_array)) {
		wsproto_reason(errbuf, errlen,
		    "field 'sttSpeechContexts' must be an array of objects");
		return ERR_FIELD;
	}
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		ctx = json_object_array_get_idx(v, i);
		if (!json_object_is_type(ctx, json_type_object)) {
			wsproto_reason(errbuf, errlen, "field "
			    "'sttSpeechContexts[%zu]' must be an object", i);
			return ERR_FIELD;
		}
		if (!json_object_object_get_ex(ctx, "phrases", &phrases))
			continue;
		if (!json_object_is_type(phrases, json_type_array)) {
			wsproto_reason(errbuf, errlen, "field 'sttSpeech"
			    "Contexts[%zu].phrases' must be an array of "
			    "strings", i);
			return ERR_FIELD;
		}
		np = json_object_array_length(phrases);
		for (j = 0; j < np; j++) {
			snprintf(key, sizeof(key),
			    "sttSpeechContexts[%zu].phrases[%zu]", i, j);
			if (s->nhotwords == LIMIT_WS_HOTWORDS) {
				wsproto_reason(errbuf, errlen, "field "
				    "'sttSpeechContexts' has more than %d "
				    "phrases", LIMIT_WS_HOTWORDS);
				return ERR_TOO_LARGE;
			}
			e = wsproto_add_hotword(json_object_array_get_idx(
			    phrases, j), key, s, errbuf, errlen);
			if (e != ERR_OK)
				return e;
		}
	}
	return ERR_OK;
}

/*
 * Dialect 2 start (VoiceAI Connect): LINEAR16 audio, raw or behind a WAV
 * header.  Unlike dialect 1, fields we do not know are ignored: VoiceAI
 * Connect adds start fields from version to version (conversationId came
 * in 3.20) and ends the call on any error, so refusing them would break
 * calls on its next upgrade.  The fields we know are checked as strictly.
 */
static enum err
wsproto_parse_start2(json_object *o, struct wsproto_msg *m, char *errbuf,
    size_t errlen)
{
	char word[32], scratch[LIMIT_WS_CONVERSATION_BYTES + 1];
	struct wsproto_start *s = &m->start;
	enum err e = ERR_OK;

	json_object_object_foreach(o, key, v) {
		if (strcmp(key, "type") == 0)
			continue;
		else if (strcmp(key, "language") == 0)
			e = wsproto_get_ident(v, key, s->language,
			    sizeof(s->language), 0, errbuf, errlen);
		else if (strcmp(key, "sampleRateHz") == 0)
			e = wsproto_get_rate(v, key, &s->sample_rate, errbuf,
			    errlen);
		else if (strcmp(key, "format") == 0) {
			e = wsproto_get_string(v, key, word, sizeof(word),
			    errbuf, errlen);
			if (e == ERR_OK && strcmp(word, "raw") != 0 &&
			    strcmp(word, "wav") != 0) {
				wsproto_reason(errbuf, errlen,
				    "field 'format' must be \"raw\" or "
				    "\"wav\"");
				e = ERR_FIELD;
			}
			s->wav = e == ERR_OK && strcmp(word, "wav") == 0;
		} else if (strcmp(key, "encoding") == 0) {
			e = wsproto_get_string(v, key, word, sizeof(word),
			    errbuf, errlen);
			if (e == ERR_OK && strcmp(word, "LINEAR16") != 0) {
				wsproto_reason(errbuf, errlen,
				    "field 'encoding' must be \"LINEAR16\"");
				e = ERR_FIELD;
			}
		} else if (strcmp(key, "conversationId") == 0)
			e = wsproto_get_ident(v, key, s->conversation_id,
			    sizeof(s->conversation_id), 1, errbuf, errlen);
		else if (strcmp(key, "sttContextId") == 0)
			e = wsproto_get_string(v, key, scratch,
			    sizeof(scratch), errbuf, errlen);
		else if (strcmp(key, "sttSpeechContexts") == 0)
			e = wsproto_get_contexts(v, s, errbuf, errlen);
		else if (strcmp(key, "sttGenericData") != 0)
			wsproto_ignore(m, key);
		if (e != ERR_OK)
			return e;
	}
	return ERR_OK;
}

/* A dialect 2 message that carries nothing but its type. */
static enum err
wsproto_only_type(json_object *o, const char *type, char *errbuf,
    size_t errlen)
{
	json_object_object_foreach(o, key, v) {
		(void)v;
		if (strcmp(key, "type") != 0) {
			wsproto_reason(errbuf, errlen,
			    "unknown field '%.64s' in %s", key, type);
			return ERR_FIELD;
		}
	}
	return ERR_OK;
}

/* A ping's "timestamp": the original page sends an ISO string, other
 * clients Date.now(); either comes back in the pong. */
static enum err
wsproto_get_stamp(json_object *v, struct wsproto_stamp *st, char *errbuf,
    size_t errlen)
{
	double d;

	if (json_object_is_type(v, json_type_string)) {
		st->kind = WSPROTO_STAMP_STRING;
		return wsproto_get_string(v, "timestamp", st->s, sizeof(st->s),
		    errbuf, errlen);
	}
	if (json_object_is_type(v, json_type_int)) {
		st->kind = WSPROTO_STAMP_INT;
		st->i = json_object_get_int64(v);
		return ERR_OK;
	}
	if (json_object_is_type(v, json_type_double) &&
	    isfinite(d = json_object_get_double(v))) {
		st->kind = WSPROTO_STAMP_REAL;
		st->d = d;
		return ERR_OK;
	}
	wsproto_reason(errbuf, errlen,
	    "field 'timestamp' must be a string or a number");
	return ERR_FIELD;
}

/* Dialect 1 stop_transcription, ping, get_metrics: the fields we know are
 * checked, the rest ignored. */
static enum err
wsproto_parse_other1(json_object *o, struct wsproto_msg *m, char *errbuf,
    size_t errlen)
{
	enum err e;

	json_object_object_foreach(o, key, v) {
		if (strcmp(key, "type") == 0)
			continue;
		if (m->kind == WSPROTO_PING && strcmp(key, "timestamp") == 0) {
			e = wsproto_get_stamp(v, &m->stamp, errbuf, errlen);
			if (e != ERR_OK) {
				m->stamp.kind = WSPROTO_STAMP_NONE;
				return e;
			}
		} else
			wsproto_ignore(m, key);
	}
	return ERR_OK;
}

static const struct {
	const char		*type;
	enum wsproto_dialect	 dialect;
	enum wsproto_kind	 kind;
} wsproto_types[] = {
	{ "start_transcription", WSPROTO_BRIDGE, WSPROTO_START },
	{ "stop_transcription", WSPROTO_BRIDGE, WSPROTO_STOP },
	{ "ping", WSPROTO_BRIDGE, WSPROTO_PING },
	{ "get_metrics", WSPROTO_BRIDGE, WSPROTO_GET_METRICS },
	{ "start", WSPROTO_AUDIOCODES, WSPROTO_START },
	{ "stop", WSPROTO_AUDIOCODES, WSPROTO_STOP },
};

/* Valid JSON, but not an object ([1], "x", 3): a clearer message than
 * the parser's.  Only on the error path. */
static int
wsproto_not_object(const char *buf, size_t len)
{
	json_object *o = NULL;
	int r;

	if (jsonparse_value(buf, len, LIMIT_WS_TEXT_BYTES, &o, NULL, 0) !=
	    ERR_OK)
		return 0;
	r = !json_object_is_type(o, json_type_object);
	json_object_put(o);
	return r;
}

enum err
wsproto_parse(enum wsproto_dialect current, const char *buf, size_t len,
    struct wsproto_msg *out, char *errbuf, size_t errlen)
{
	struct jsonv_doc *doc = NULL;
	struct jsonv_error jerr;
	json_object *o = NULL, *t;
	const char *type;
	size_t i;
	enum err e = ERR_OK;

	memset(out, 0, sizeof(*out));
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (len > LIMIT_WS_TEXT_BYTES) {
		wsproto_reason(errbuf, errlen,
		    "text frame is larger than %d bytes", LIMIT_WS_TEXT_BYTES);
		e = ERR_TOO_LARGE;
		goto out;
	}
	/* The API's strict parser: RFC 8259 only, no duplicate member
	 * names, no NUL in names, depth and size bounded. */
	if ((e = jsonv_parse(buf, len, LIMIT_WS_TEXT_BYTES, &doc, &jerr)) !=
	    ERR_OK) {
		if (e == ERR_JSON && wsproto_not_object(buf, len))
			wsproto_reason(errbuf, errlen,
			    "message must be a JSON object");
		else
			wsproto_reason(errbuf, errlen, "malformed JSON: %s",
			    jerr.message);
		e = e == ERR_NOMEM ? ERR_NOMEM : ERR_JSON;
		goto out;
	}
	o = jsonv_root(doc);
	if (!json_object_is_type(o, json_type_object)) {
		wsproto_reason(errbuf, errlen,
		    "message must be a JSON object");
		e = ERR_JSON;
		goto out;
	}
	if (!json_object_object_get_ex(o, "type", &t) ||
	    !json_object_is_type(t, json_type_string)) {
		wsproto_reason(errbuf, errlen,
		    "field 'type' is missing or not a string");
		e = ERR_FIELD;
		goto out;
	}
	type = json_object_get_string(t);
	for (i = 0; i < sizeof(wsproto_types) / sizeof(wsproto_types[0]); i++)
		if (strcmp(type, wsproto_types[i].type) == 0)
			break;
	if (i == sizeof(wsproto_types) / sizeof(wsproto_types[0])) {
		wsproto_reason(errbuf, errlen, "unknown message type '%.64s'",
		    type);
		e = ERR_FIELD;
		goto out;
	}
	if (current != WSPROTO_NONE && current != wsproto_types[i].dialect) {
		wsproto_reason(errbuf, errlen,
		    "message type '%s' belongs to the other protocol dialect",
		    type);
		e = ERR_CONFLICT;
		goto out;
	}
	out->dialect = wsproto_types[i].dialect;
	out->kind = wsproto_types[i].kind;
	if (out->kind != WSPROTO_START) {
		if (out->dialect == WSPROTO_BRIDGE)
			e = wsproto_parse_other1(o, out, errbuf, errlen);
		else
			e = wsproto_only_type(o, type, errbuf, errlen);
		goto out;
	}
	wsproto_start_defaults(&out->start, NULL, 0);
	if (out->dialect == WSPROTO_BRIDGE)
		e = wsproto_parse_start1(o, out, errbuf, errlen);
	else
		e = wsproto_parse_start2(o, out, errbuf, errlen);
out:
	jsonv_free(doc);
	return e;
}

/* ----------------------------------------------------------- rendering */

static double
wsproto_finite(double d)
{
	return isfinite(d) ? d : 0.0;
}

static void
wsproto_begin(struct buf *o, char *mem, size_t cap, const char *type)
{
	buf_init_fixed(o, mem, cap);
	buf_adds(o, "{\"type\":");
	buf_add_jsons(o, type);
}

/* Dialect 1 messages end with the timestamp. */
static enum err
wsproto_end(struct buf *o, int stamp, int64_t now_ms, size_t *lenp)
{
	char ts[CLOCK_ISO8601_BYTES];

	if (stamp) {
		clock_iso8601(now_ms, ts, sizeof(ts));
		buf_adds(o, ",\"timestamp\":\"");
		buf_adds(o, ts);
		buf_adds(o, "\"");
	}
	buf_adds(o, "}");
	if (buf_err(o) != ERR_OK)
		return ERR_TOO_LARGE;
	*lenp = o->len;
	return ERR_OK;
}

enum err
wsproto_render_connection(char *buf, size_t cap, size_t *lenp, int64_t now_ms,
    const char *connection_id, const struct wsproto_server_info *si)
{
	struct buf o;

	wsproto_begin(&o, buf, cap, "connection");
	buf_adds(&o, ",\"connection_id\":");
	buf_add_jsons(&o, connection_id);
	buf_addf(&o, ",\"server_config\":{\"sample_rate\":%d,"
	    "\"channels\":%d,\"frame_ms\":%d,\"riva_target\":", si->sample_rate,
	    si->channels, si->frame_ms);
	buf_add_jsons(&o, si->riva_target);
	buf_adds(&o, "}");
	return wsproto_end(&o, 1, now_ms, lenp);
}

enum err
wsproto_render_started(char *buf, size_t cap, size_t *lenp,
    enum wsproto_dialect d, int64_t now_ms, const char *connection_id,
    int enable_partials)
{
	struct buf o;

	if (d == WSPROTO_AUDIOCODES) {
		wsproto_begin(&o, buf, cap, "started");
		return wsproto_end(&o, 0, now_ms, lenp);
	}
	wsproto_begin(&o, buf, cap, "session_started");
	buf_adds(&o, ",\"connection_id\":");
	buf_add_jsons(&o, connection_id);
	buf_adds(&o, enable_partials ? ",\"enable_partials\":true" :
	    ",\"enable_partials\":false");
	return wsproto_end(&o, 1, now_ms, lenp);
}

enum err
wsproto_render_result(char *buf, size_t cap, size_t *lenp,
    enum wsproto_dialect d, int64_t now_ms, const struct wsproto_result *r)
{
	struct buf o;
	size_t i;

	if (d == WSPROTO_AUDIOCODES) {
		wsproto_begin(&o, buf, cap, r->is_final ? "recognition" :
		    "hypothesis");
		buf_adds(&o, ",\"alternatives\":[{\"text\":");
		buf_add_jsons(&o, r->text);
		if (r->is_final)
			buf_addf(&o, ",\"confidence\":%.4f",
			    wsproto_finite(r->confidence));
		buf_adds(&o, "}]");
		return wsproto_end(&o, 0, now_ms, lenp);
	}
	wsproto_begin(&o, buf, cap, r->is_final ? "transcription" : "partial");
	buf_addf(&o, ",\"segment_id\":%u,\"text\":", r->segment_id);
	buf_add_jsons(&o, r->text);
	if (r->is_final) {
		buf_addf(&o, ",\"is_final\":true,\"confidence\":%.4f",
		    wsproto_finite(r->confidence));
		buf_adds(&o, ",\"words\":[");
		for (i = 0; i < r->nwords; i++) {
			buf_adds(&o, i == 0 ? "{\"word\":" : ",{\"word\":");
			buf_add_jsons(&o, r->words[i].word);
			buf_addf(&o, ",\"start\":%lld,\"end\":%lld,",
			    (long long)r->words[i].start_ms,
			    (long long)r->words[i].end_ms);
			buf_addf(&o, "\"confidence\":%.4f}",
			    wsproto_finite(r->words[i].confidence));
		}
		buf_adds(&o, "]");
	} else
		buf_addf(&o, ",\"is_final\":false,\"stability\":%.4f",
		    wsproto_finite(r->stability));
	buf_addf(&o, ",\"processing_time_ms\":%.3f",
	    wsproto_finite(r->processing_ms));
	return wsproto_end(&o, 1, now_ms, lenp);
}

enum err
wsproto_render_display(char *buf, size_t cap, size_t *lenp, int64_t now_ms,
    const struct wsproto_display *dp)
{
	struct buf o;

	wsproto_begin(&o, buf, cap, "display");
	buf_adds(&o, ",\"stable_text\":");
	buf_add_json(&o, dp->stable_text, dp->stable_len);
	buf_adds(&o, ",\"partial_suffix\":");
	buf_add_json(&o, dp->partial_suffix, dp->suffix_len);
	buf_addf(&o, ",\"is_final\":%s,\"segment_id\":%u",
	    dp->is_final ? "true" : "false", dp->segment_id);
	buf_addf(&o, ",\"metadata\":{\"pending_tokens\":%zu,"
	    "\"dropped_bytes\":%llu,\"reason\":", dp->pending_tokens,
	    (unsigned long long)dp->dropped_bytes);
	buf_add_jsons(&o, dp->reason);
	buf_adds(&o, "}");
	return wsproto_end(&o, 1, now_ms, lenp);
}

enum err
wsproto_render_stopped(char *buf, size_t cap, size_t *lenp,
    enum wsproto_dialect d, int64_t now_ms, const char *reason,
    const char *connection_id)
{
	struct buf o;

	wsproto_begin(&o, buf, cap, d == WSPROTO_AUDIOCODES ? "end" :
	    "session_stopped");
	buf_adds(&o, ",\"reason\":");
	buf_add_jsons(&o, reason);
	if (d != WSPROTO_AUDIOCODES && connection_id != NULL) {
		buf_adds(&o, ",\"connection_id\":");
		buf_add_jsons(&o, connection_id);
	}
	return wsproto_end(&o, d != WSPROTO_AUDIOCODES, now_ms, lenp);
}

enum err
wsproto_render_pong(char *buf, size_t cap, size_t *lenp,
    enum wsproto_dialect d, int64_t now_ms, const struct wsproto_stamp *st)
{
	struct buf o;
	char ts[40];

	wsproto_begin(&o, buf, cap, "pong");
	if (d == WSPROTO_AUDIOCODES || st == NULL ||
	    st->kind == WSPROTO_STAMP_NONE)
		return wsproto_end(&o, d != WSPROTO_AUDIOCODES, now_ms, lenp);
	/* The client's stamp back where it put it, so that it can time the
	 * round trip; ours next to it. */
	buf_adds(&o, ",\"timestamp\":");
	if (st->kind == WSPROTO_STAMP_STRING)
		buf_add_jsons(&o, st->s);
	else if (st->kind == WSPROTO_STAMP_INT)
		buf_addf(&o, "%lld", (long long)st->i);
	else
		buf_addf(&o, "%.17g", wsproto_finite(st->d));
	clock_iso8601(now_ms, ts, sizeof(ts));
	buf_adds(&o, ",\"server_timestamp\":\"");
	buf_adds(&o, ts);
	buf_adds(&o, "\"");
	return wsproto_end(&o, 0, now_ms, lenp);
}

enum err
wsproto_render_metrics(char *buf, size_t cap, size_t *lenp, int64_t now_ms,
    const struct wsproto_metrics *m)
{
	struct buf o;
	char ts[40];

	wsproto_begin(&o, buf, cap, "metrics");
	buf_addf(&o, ",\"metrics\":{\"connections_active\":%llu",
	    (unsigned long long)m->connections_active);
	buf_addf(&o, ",\"connections_total\":%llu",
	    (unsigned long long)m->connections_total);
	buf_addf(&o, ",\"sessions_active\":%llu",
	    (unsigned long long)m->sessions_active);
	buf_addf(&o, ",\"sessions_total\":%llu",
	    (unsigned long long)m->sessions_total);
	buf_addf(&o, ",\"audio_seconds\":%.3f",
	    wsproto_finite(m->audio_seconds));
	buf_addf(&o, ",\"partials\":%llu",
	    (unsigned long long)m->partials);
	buf_addf(&o, ",\"finals\":%llu", (unsigned long long)m->finals);
	buf_addf(&o, ",\"errors\":%llu", (unsigned long long)m->errors);
	buf_addf(&o, ",\"uptime_seconds\":%.3f",
	    wsproto_finite(m->uptime_seconds));
	buf_addf(&o, ",\"audio_frames\":%llu,\"displays\":%llu}",
	    (unsigned long long)m->audio_frames,
	    (unsigned long long)m->displays);
	/* The Python bridge's sections, under its names. */
	buf_addf(&o, ",\"bridge\":{\"total_connections\":%llu",
	    (unsigned long long)m->connections_total);
	buf_addf(&o, ",\"active_connections\":%llu",
	    (unsigned long long)m->connections_active);
	buf_addf(&o, ",\"active_transcription_sessions\":%llu",
	    (unsigned long long)m->sessions_active);
	buf_addf(&o, ",\"total_audio_chunks_processed\":%llu",
	    (unsigned long long)m->audio_frames);
	buf_addf(&o, ",\"total_transcriptions\":%llu}",
	    (unsigned long long)(m->partials + m->finals + m->displays));
	buf_adds(&o, ",\"riva\":{\"target\":");
	buf_add_jsons(&o, m->riva_target);
	buf_adds(&o, ",\"health\":");
	buf_add_jsons(&o, m->riva_health);
	buf_addf(&o, ",\"connected\":%s,\"active_streams\":%llu",
	    m->riva_reachable ? "true" : "false",
	    (unsigned long long)m->riva_streams_active);
	buf_addf(&o, ",\"responses\":%llu,\"avg_latency_ms\":%.3f}",
	    (unsigned long long)m->riva_responses,
	    wsproto_finite(m->riva_rtt_ms_avg));
	buf_adds(&o, ",\"connection\":{\"id\":");
	buf_add_jsons(&o, m->connection_id);
	clock_iso8601(m->connected_at_ms, ts, sizeof(ts));
	buf_adds(&o, ",\"created_at\":\"");
	buf_adds(&o, ts);
	buf_addf(&o, "\",\"session_active\":%s",
	    m->session_active ? "true" : "false");
	buf_addf(&o, ",\"total_audio_chunks\":%llu",
	    (unsigned long long)m->conn_audio_frames);
	buf_addf(&o, ",\"audio_seconds\":%.3f",
	    wsproto_finite(m->conn_audio_seconds));
	buf_addf(&o, ",\"total_transcriptions\":%llu}",
	    (unsigned long long)m->conn_results);
	return wsproto_end(&o, 1, now_ms, lenp);
}

enum err
wsproto_render_error(char *buf, size_t cap, size_t *lenp,
    enum wsproto_dialect d, int64_t now_ms, enum err e, const char *message)
{
	struct buf o;

	wsproto_begin(&o, buf, cap, "error");
	buf_adds(&o, d == WSPROTO_AUDIOCODES ? ",\"reason\":" :
	    ",\"error\":");
	buf_add_jsons(&o, message != NULL && *message != '\0' ? message :
	    err_strerror(e));
	buf_adds(&o, ",\"code\":");
	buf_add_jsons(&o, err_code(e));
	return wsproto_end(&o, d != WSPROTO_AUDIOCODES, now_ms, lenp);
}
