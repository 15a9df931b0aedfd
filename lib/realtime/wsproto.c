/*
 * wsproto.c: parse client text frames of both WebSocket dialects and render
 * the server's messages (see wsproto.h).
 *
 * Parsing uses json-c in strict mode with the depth limit from limit.h and
 * then walks the object key by key, so that every known key is checked and
 * the others are refused by name or, where the dialect allows them,
 * ignored and reported back.  Rendering appends to a bounded buffer and
 * escapes every string itself (json-c's serializer would allocate per
 * message, and the bridge renders on every partial).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

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
 * the strict parser's.  Only on the error path. */
static int
wsproto_not_object(const char *buf, size_t len)
{
	struct json_tokener *tok;
	json_object *o;
	int r;

	if (len > LIMIT_WS_TEXT_BYTES ||
	    (tok = json_tokener_new_ex(LIMIT_JSON_DEPTH)) == NULL)
		return 0;
	o = json_tokener_parse_ex(tok, buf, (int)len);
	r = o != NULL && json_tokener_get_error(tok) == json_tokener_success &&
	    !json_object_is_type(o, json_type_object);
	json_object_put(o);
	json_tokener_free(tok);
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

struct wsproto_out {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 full;
};

static void
wsproto_put(struct wsproto_out *o, const char *s, size_t n)
{
	if (o->full || n >= o->cap - o->len) {
		o->full = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void
wsproto_puts(struct wsproto_out *o, const char *s)
{
	wsproto_put(o, s, strlen(s));
}

static void
wsproto_printf(struct wsproto_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
wsproto_printf(struct wsproto_out *o, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		o->full = 1;
		return;
	}
	wsproto_put(o, tmp, (size_t)n);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
wsproto_utf8_len(const unsigned char *s, size_t n)
{
	size_t need, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return need;
}

/* A JSON string of the n bytes at s. */
static void
wsproto_strn(struct wsproto_out *o, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)(s != NULL ? s : "");
	size_t i = 0, k;
	char esc[8];

	if (s == NULL)
		n = 0;
	wsproto_put(o, "\"", 1);
	while (i < n && !o->full) {
		if (u[i] == '"' || u[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)u[i];
			wsproto_put(o, esc, 2);
			i++;
		} else if (u[i] < 0x20 || u[i] == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", u[i]);
			wsproto_put(o, esc, 6);
			i++;
		} else if ((k = wsproto_utf8_len(u + i, n - i)) == 0) {
			wsproto_put(o, "\xef\xbf\xbd", 3);
			i++;
		} else {
			wsproto_put(o, (const char *)u + i, k);
			i += k;
		}
	}
	wsproto_put(o, "\"", 1);
}

static void
wsproto_str(struct wsproto_out *o, const char *s)
{
	wsproto_strn(o, s, s != NULL ? strlen(s) : 0);
}

static double
wsproto_finite(double d)
{
	return isfinite(d) ? d : 0.0;
}

void
wsproto_timestamp(char *buf, size_t cap, int64_t now_ms)
{
	struct tm tm;
	time_t t;
	int64_t ms;

	ms = now_ms % 1000;
	if (ms < 0)
		ms += 1000;
	t = (time_t)((now_ms - ms) / 1000);
	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)ms);
}

static void
wsproto_begin(struct wsproto_out *o, char *buf, size_t cap, const char *type)
{
	o->p = buf;
	o->len = 0;
	o->cap = cap;
	o->full = cap == 0;
	if (cap > 0)
		buf[0] = '\0';
	wsproto_puts(o, "{\"type\":");
	wsproto_str(o, type);
}

/* Dialect 1 messages end with the timestamp. */
static enum err
wsproto_end(struct wsproto_out *o, int stamp, int64_t now_ms, size_t *lenp)
{
	char ts[40];

	if (stamp) {
		wsproto_timestamp(ts, sizeof(ts), now_ms);
		wsproto_puts(o, ",\"timestamp\":\"");
		wsproto_puts(o, ts);
		wsproto_puts(o, "\"");
	}
	wsproto_puts(o, "}");
	if (o->full)
		return ERR_TOO_LARGE;
	*lenp = o->len;
	return ERR_OK;
}

enum err
wsproto_render_connection(char *buf, size_t cap, size_t *lenp, int64_t now_ms,
    const char *connection_id, const struct wsproto_server_info *si)
{
	struct wsproto_out o;

	wsproto_begin(&o, buf, cap, "connection");
	wsproto_puts(&o, ",\"connection_id\":");
	wsproto_str(&o, connection_id);
	wsproto_printf(&o, ",\"server_config\":{\"sample_rate\":%d,"
	    "\"channels\":%d,\"frame_ms\":%d,\"riva_target\":", si->sample_rate,
	    si->channels, si->frame_ms);
	wsproto_str(&o, si->riva_target);
	wsproto_puts(&o, "}");
	return wsproto_end(&o, 1, now_ms, lenp);
}

enum err
wsproto_render_started(char *buf, size_t cap, size_t *lenp,
    enum wsproto_dialect d, int64_t now_ms, const char *connection_id,
    int enable_partials)
{
	struct wsproto_out o;

	if (d == WSPROTO_AUDIOCODES) {
		wsproto_begin(&o, buf, cap, "started");
		return wsproto_end(&o, 0, now_ms, lenp);
	}
	wsproto_begin(&o, buf, cap, "session_started");
	wsproto_puts(&o, ",\"connection_id\":");
	wsproto_str(&o, connection_id);
	wsproto_puts(&o, enable_partials ? ",\"enable_partials\":true" :
	    ",\"enable_partials\":false");
	return wsproto_end(&o, 1, now_ms, lenp);
}

enum err
wsproto_render_result(char *buf, size_t cap, size_t *lenp,
    enum wsproto_dialect d, int64_t now_ms, const struct wsproto_result *r)
{
	struct wsproto_out o;
	size_t i;

	if (d == WSPROTO_AUDIOCODES) {
		wsproto_begin(&o, buf, cap, r->is_final ? "recognition" :
		    "hypothesis");
		wsproto_puts(&o, ",\"alternatives\":[{\"text\":");
		wsproto_str(&o, r->text);
		if (r->is_final)
			wsproto_printf(&o, ",\"confidence\":%.4f",
			    wsproto_finite(r->confidence));
		wsproto_puts(&o, "}]");
		return wsproto_end(&o, 0, now_ms, lenp);
	}
	wsproto_begin(&o, buf, cap, r->is_final ? "transcription" : "partial");
	wsproto_printf(&o, ",\"segment_id\":%u,\"text\":", r->segment_id);
	wsproto_str(&o, r->text);
	if (r->is_final) {
		wsproto_printf(&o, ",\"is_final\":true,\"confidence\":%.4f",
		    wsproto_finite(r->confidence));
		wsproto_puts(&o, ",\"words\":[");
		for (i = 0; i < r->nwords; i++) {
			wsproto_puts(&o, i == 0 ? "{\"word\":" : ",{\"word\":");
			wsproto_str(&o, r->words[i].word);
			wsproto_printf(&o, ",\"start\":%lld,\"end\":%lld,",
			    (long long)r->words[i].start_ms,
			    (long long)r->words[i].end_ms);
			wsproto_printf(&o, "\"confidence\":%.4f}",
			    wsproto_finite(r->words[i].confidence));
		}
		wsproto_puts(&o, "]");
	} else
		wsproto_printf(&o, ",\"is_final\":false,\"stability\":%.4f",
		    wsproto_finite(r->stability));
	wsproto_printf(&o, ",\"processing_time_ms\":%.3f",
	    wsproto_finite(r->processing_ms));
	return wsproto_end(&o, 1, now_ms, lenp);
}

enum err
wsproto_render_display(char *buf, size_t cap, size_t *lenp, int64_t now_ms,
    const struct wsproto_display *dp)
{
	struct wsproto_out o;

	wsproto_begin(&o, buf, cap, "display");
	wsproto_puts(&o, ",\"stable_text\":");
	wsproto_strn(&o, dp->stable_text, dp->stable_len);
	wsproto_puts(&o, ",\"partial_suffix\":");
	wsproto_strn(&o, dp->partial_suffix, dp->suffix_len);
	wsproto_printf(&o, ",\"is_final\":%s,\"segment_id\":%u",
	    dp->is_final ? "true" : "false", dp->segment_id);
	wsproto_printf(&o, ",\"metadata\":{\"pending_tokens\":%zu,"
	    "\"dropped_bytes\":%llu,\"reason\":", dp->pending_tokens,
	    (unsigned long long)dp->dropped_bytes);
	wsproto_str(&o, dp->reason);
	wsproto_puts(&o, "}");
	return wsproto_end(&o, 1, now_ms, lenp);
}

enum err
wsproto_render_stopped(char *buf, size_t cap, size_t *lenp,
    enum wsproto_dialect d, int64_t now_ms, const char *reason,
    const char *connection_id)
{
	struct wsproto_out o;

	wsproto_begin(&o, buf, cap, d == WSPROTO_AUDIOCODES ? "end" :
	    "session_stopped");
	wsproto_puts(&o, ",\"reason\":");
	wsproto_str(&o, reason);
	if (d != WSPROTO_AUDIOCODES && connection_id != NULL) {
		wsproto_puts(&o, ",\"connection_id\":");
		wsproto_str(&o, connection_id);
	}
	return wsproto_end(&o, d != WSPROTO_AUDIOCODES, now_ms, lenp);
}

enum err
wsproto_render_pong(char *buf, size_t cap, size_t *lenp,
    enum wsproto_dialect d, int64_t now_ms, const struct wsproto_stamp *st)
{
	struct wsproto_out o;
	char ts[40];

	wsproto_begin(&o, buf, cap, "pong");
	if (d == WSPROTO_AUDIOCODES || st == NULL ||
	    st->kind == WSPROTO_STAMP_NONE)
		return wsproto_end(&o, d != WSPROTO_AUDIOCODES, now_ms, lenp);
	/* The client's stamp back where it put it, so that it can time the
	 * round trip; ours next to it. */
	wsproto_puts(&o, ",\"timestamp\":");
	if (st->kind == WSPROTO_STAMP_STRING)
		wsproto_str(&o, st->s);
	else if (st->kind == WSPROTO_STAMP_INT)
		wsproto_printf(&o, "%lld", (long long)st->i);
	else
		wsproto_printf(&o, "%.17g", wsproto_finite(st->d));
	wsproto_timestamp(ts, sizeof(ts), now_ms);
	wsproto_puts(&o, ",\"server_timestamp\":\"");
	wsproto_puts(&o, ts);
	wsproto_puts(&o, "\"");
	return wsproto_end(&o, 0, now_ms, lenp);
}

enum err
wsproto_render_metrics(char *buf, size_t cap, size_t *lenp, int64_t now_ms,
    const struct wsproto_metrics *m)
{
	struct wsproto_out o;
	char ts[40];

	wsproto_begin(&o, buf, cap, "metrics");
	wsproto_printf(&o, ",\"metrics\":{\"connections_active\":%llu",
	    (unsigned long long)m->connections_active);
	wsproto_printf(&o, ",\"connections_total\":%llu",
	    (unsigned long long)m->connections_total);
	wsproto_printf(&o, ",\"sessions_active\":%llu",
	    (unsigned long long)m->sessions_active);
	wsproto_printf(&o, ",\"sessions_total\":%llu",
	    (unsigned long long)m->sessions_total);
	wsproto_printf(&o, ",\"audio_seconds\":%.3f",
	    wsproto_finite(m->audio_seconds));
	wsproto_printf(&o, ",\"partials\":%llu",
	    (unsigned long long)m->partials);
	wsproto_printf(&o, ",\"finals\":%llu", (unsigned long long)m->finals);
	wsproto_printf(&o, ",\"errors\":%llu", (unsigned long long)m->errors);
	wsproto_printf(&o, ",\"uptime_seconds\":%.3f",
	    wsproto_finite(m->uptime_seconds));
	wsproto_printf(&o, ",\"audio_frames\":%llu,\"displays\":%llu}",
	    (unsigned long long)m->audio_frames,
	    (unsigned long long)m->displays);
	/* The Python bridge's sections, under its names. */
	wsproto_printf(&o, ",\"bridge\":{\"total_connections\":%llu",
	    (unsigned long long)m->connections_total);
	wsproto_printf(&o, ",\"active_connections\":%llu",
	    (unsigned long long)m->connections_active);
	wsproto_printf(&o, ",\"active_transcription_sessions\":%llu",
	    (unsigned long long)m->sessions_active);
	wsproto_printf(&o, ",\"total_audio_chunks_processed\":%llu",
	    (unsigned long long)m->audio_frames);
	wsproto_printf(&o, ",\"total_transcriptions\":%llu}",
	    (unsigned long long)(m->partials + m->finals + m->displays));
	wsproto_puts(&o, ",\"riva\":{\"target\":");
	wsproto_str(&o, m->riva_target);
	wsproto_puts(&o, ",\"health\":");
	wsproto_str(&o, m->riva_health);
	wsproto_printf(&o, ",\"connected\":%s,\"active_streams\":%llu",
	    m->riva_reachable ? "true" : "false",
	    (unsigned long long)m->riva_streams_active);
	wsproto_printf(&o, ",\"responses\":%llu,\"avg_latency_ms\":%.3f}",
	    (unsigned long long)m->riva_responses,
	    wsproto_finite(m->riva_rtt_ms_avg));
	wsproto_puts(&o, ",\"connection\":{\"id\":");
	wsproto_str(&o, m->connection_id);
	wsproto_timestamp(ts, sizeof(ts), m->connected_at_ms);
	wsproto_puts(&o, ",\"created_at\":\"");
	wsproto_puts(&o, ts);
	wsproto_printf(&o, "\",\"session_active\":%s",
	    m->session_active ? "true" : "false");
	wsproto_printf(&o, ",\"total_audio_chunks\":%llu",
	    (unsigned long long)m->conn_audio_frames);
	wsproto_printf(&o, ",\"audio_seconds\":%.3f",
	    wsproto_finite(m->conn_audio_seconds));
	wsproto_printf(&o, ",\"total_transcriptions\":%llu}",
	    (unsigned long long)m->conn_results);
	return wsproto_end(&o, 1, now_ms, lenp);
}

enum err
wsproto_render_error(char *buf, size_t cap, size_t *lenp,
    enum wsproto_dialect d, int64_t now_ms, enum err e, const char *message)
{
	struct wsproto_out o;

	wsproto_begin(&o, buf, cap, "error");
	wsproto_puts(&o, d == WSPROTO_AUDIOCODES ? ",\"reason\":" :
	    ",\"error\":");
	wsproto_str(&o, message != NULL && *message != '\0' ? message :
	    err_strerror(e));
	wsproto_puts(&o, ",\"code\":");
	wsproto_str(&o, err_code(e));
	return wsproto_end(&o, d != WSPROTO_AUDIOCODES, now_ms, lenp);
}
