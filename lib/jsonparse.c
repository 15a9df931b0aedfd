/*
 * jsonparse.c: strict JSON over json-c (contract in jsonparse.h).
 *
 * json-c 0.16 is lenient even in strict mode: it takes single-quoted
 * strings, NaN and Infinity, "1.", lone UTF-16 surrogates, silently keeps
 * the last of two equal member names and clamps integer literals that do
 * not fit 64 bits.  So the text is first checked here against RFC 8259 by a
 * small recursive-descent scanner (depth-bounded, so the recursion is
 * too), which also counts object members; json-c then builds the tree, and
 * a tree with fewer members than the text had means a duplicate name.
 *
 * This lives in its own file, not in jsonv.c, because it has more users
 * than jsonv's field tables: JWT segments, JWKS documents, credential and
 * EventBridge answers and WebSocket messages are parsed here too but read
 * with json-c directly.  jsonv.c is the field checks on top.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json_object_iterator.h>

#include "hex.h"
#include "jsonparse.h"
#include "limit.h"
#include "utf8.h"

struct jsonparse_scan {
	const unsigned char	*p;
	size_t			 len;
	size_t			 pos;
	size_t			 members;
	char			*why;
	size_t			 whysz;
};

static void
jsonparse_scan_ws(struct jsonparse_scan *s)
{
	while (s->pos < s->len && (s->p[s->pos] == ' ' ||
	    s->p[s->pos] == '\t' || s->p[s->pos] == '\n' ||
	    s->p[s->pos] == '\r'))
		s->pos++;
}

static int
jsonparse_scan_err(struct jsonparse_scan *s, const char *what)
{
	if (s->pos >= s->len)
		snprintf(s->why, s->whysz, "%s at end of input", what);
	else
		snprintf(s->why, s->whysz, "%s at offset %zu", what, s->pos);
	return -1;
}

static int
jsonparse_hex4(struct jsonparse_scan *s, unsigned int *out)
{
	unsigned int v = 0;
	int i, d;

	if (s->len - s->pos < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((d = hex_digit(s->p[s->pos + i])) < 0)
			return -1;
		v = v << 4 | (unsigned int)d;
	}
	s->pos += 4;
	*out = v;
	return 0;
}

/* A string starting at the opening quote.  Member names may not hold NUL
 * (json-c keys are C strings, so "a\u0000b" would silently become "a"). */
static int
jsonparse_scan_string(struct jsonparse_scan *s, int is_key)
{
	unsigned int u, lo;
	size_t n;
	int c;

	s->pos++;
	for (;;) {
		if (s->pos >= s->len)
			return jsonparse_scan_err(s, "unterminated string");
		c = s->p[s->pos];
		if (c == '"') {
			s->pos++;
			return 0;
		}
		if (c < 0x20)
			return jsonparse_scan_err(s, "control character in string");
		if (c >= 0x80) {
			if ((n = utf8_len(s->p + s->pos, s->len - s->pos)) == 0)
				return jsonparse_scan_err(s, "invalid UTF-8");
			s->pos += n;
			continue;
		}
		if (c != '\\') {
			s->pos++;
			continue;
		}
		s->pos++;
		if (s->pos >= s->len)
			return jsonparse_scan_err(s, "unterminated string");
		c = s->p[s->pos++];
		if (strchr("\"\\/bfnrt", c) != NULL && c != '\0')
			continue;
		if (c != 'u') {
			s->pos--;
			return jsonparse_scan_err(s, "bad escape in string");
		}
		if (jsonparse_hex4(s, &u) == -1)
			return jsonparse_scan_err(s, "bad \\u escape");
		if (u == 0 && is_key)
			return jsonparse_scan_err(s, "NUL in member name");
		if (u >= 0xdc00 && u <= 0xdfff)
			return jsonparse_scan_err(s, "lone UTF-16 surrogate");
		if (u >= 0xd800 && u <= 0xdbff) {
			if (s->len - s->pos < 2 || s->p[s->pos] != '\\' ||
			    s->p[s->pos + 1] != 'u')
				return jsonparse_scan_err(s,
				    "lone UTF-16 surrogate");
			s->pos += 2;
			if (jsonparse_hex4(s, &lo) == -1 || lo < 0xdc00 ||
			    lo > 0xdfff)
				return jsonparse_scan_err(s,
				    "lone UTF-16 surrogate");
		}
	}
}

static int
jsonparse_scan_digits(struct jsonparse_scan *s)
{
	size_t start = s->pos;

	while (s->pos < s->len && s->p[s->pos] >= '0' && s->p[s->pos] <= '9')
		s->pos++;
	return s->pos > start ? 0 : -1;
}

static int
jsonparse_scan_number(struct jsonparse_scan *s)
{
	if (s->p[s->pos] == '-')
		s->pos++;
	if (s->pos < s->len && s->p[s->pos] == '0')
		s->pos++;
	else if (jsonparse_scan_digits(s) == -1)
		return jsonparse_scan_err(s, "bad number");
	if (s->pos < s->len && s->p[s->pos] == '.') {
		s->pos++;
		if (jsonparse_scan_digits(s) == -1)
			return jsonparse_scan_err(s, "bad number");
	}
	if (s->pos < s->len && (s->p[s->pos] == 'e' || s->p[s->pos] == 'E')) {
		s->pos++;
		if (s->pos < s->len && (s->p[s->pos] == '+' ||
		    s->p[s->pos] == '-'))
			s->pos++;
		if (jsonparse_scan_digits(s) == -1)
			return jsonparse_scan_err(s, "bad number");
	}
	if (s->pos < s->len && (s->p[s->pos] == '.' ||
	    (s->p[s->pos] >= '0' && s->p[s->pos] <= '9')))
		return jsonparse_scan_err(s, "bad number");
	return 0;
}

static int
jsonparse_scan_word(struct jsonparse_scan *s, const char *w)
{
	size_t n = strlen(w);

	if (s->len - s->pos < n || memcmp(s->p + s->pos, w, n) != 0)
		return jsonparse_scan_err(s, "unexpected character");
	s->pos += n;
	return 0;
}

static int jsonparse_scan_value(struct jsonparse_scan *, int);

/* The member name and ':' of an object member. */
static int
jsonparse_scan_name(struct jsonparse_scan *s)
{
	jsonparse_scan_ws(s);
	if (s->pos >= s->len || s->p[s->pos] != '"')
		return jsonparse_scan_err(s, "member name expected");
	if (jsonparse_scan_string(s, 1) == -1)
		return -1;
	s->members++;
	jsonparse_scan_ws(s);
	if (s->pos >= s->len || s->p[s->pos] != ':')
		return jsonparse_scan_err(s, "':' expected");
	s->pos++;
	return 0;
}

/* An object or an array, from its opening bracket. */
static int
jsonparse_scan_container(struct jsonparse_scan *s, int depth)
{
	int object = s->p[s->pos] == '{';
	char close = object ? '}' : ']';

	s->pos++;
	jsonparse_scan_ws(s);
	if (s->pos < s->len && s->p[s->pos] == close) {
		s->pos++;
		return 0;
	}
	for (;;) {
		if (object && jsonparse_scan_name(s) == -1)
			return -1;
		if (jsonparse_scan_value(s, depth) == -1)
			return -1;
		jsonparse_scan_ws(s);
		if (s->pos < s->len && s->p[s->pos] == ',') {
			s->pos++;
			continue;
		}
		if (s->pos < s->len && s->p[s->pos] == close) {
			s->pos++;
			return 0;
		}
		return jsonparse_scan_err(s, object ? "',' or '}' expected" :
		    "',' or ']' expected");
	}
}

/* `depth` is the number of containers already open around this value. */
static int
jsonparse_scan_value(struct jsonparse_scan *s, int depth)
{
	int c;

	jsonparse_scan_ws(s);
	if (s->pos >= s->len)
		return jsonparse_scan_err(s, "value expected");
	c = s->p[s->pos];
	if ((c == '{' || c == '[') && depth >= LIMIT_JSON_DEPTH)
		return jsonparse_scan_err(s, "nested too deeply");
	switch (c) {
	case '{':
	case '[':
		return jsonparse_scan_container(s, depth + 1);
	case '"':
		return jsonparse_scan_string(s, 0);
	case 't':
		return jsonparse_scan_word(s, "true");
	case 'f':
		return jsonparse_scan_word(s, "false");
	case 'n':
		return jsonparse_scan_word(s, "null");
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return jsonparse_scan_number(s);
		return jsonparse_scan_err(s, "unexpected character");
	}
}

/* Members in the tree; depth is bounded by the scanner. */
static size_t
jsonparse_tree_members(json_object *o)
{
	struct json_object_iterator it, end;
	size_t n = 0, i, len;

	switch (json_object_get_type(o)) {
	case json_type_object:
		it = json_object_iter_begin(o);
		end = json_object_iter_end(o);
		while (!json_object_iter_equal(&it, &end)) {
			n += 1 + jsonparse_tree_members(
			    json_object_iter_peek_value(&it));
			json_object_iter_next(&it);
		}
		break;
	case json_type_array:
		len = json_object_array_length(o);
		for (i = 0; i < len; i++)
			n += jsonparse_tree_members(
			    json_object_array_get_idx(o, i));
		break;
	default:
		break;
	}
	return n;
}

static enum err
jsonparse_fail(char *why, size_t whysz, enum err rc, const char *msg)
{
	snprintf(why, whysz, "%s", msg);
	return rc;
}

/* top_object: refuse early, before scanning, what cannot be an object. */
static enum err
jsonparse(const char *buf, size_t len, size_t max_bytes, int top_object,
    json_object **out, char *why, size_t whysz)
{
	struct jsonparse_scan s;
	json_tokener *tok = NULL;
	json_object *root = NULL;
	char spare[1];
	enum err rc = ERR_JSON;

	*out = NULL;
	if (why == NULL || whysz == 0) {
		why = spare;
		whysz = sizeof(spare);
	}
	why[0] = '\0';
	if (len > max_bytes) {
		snprintf(why, whysz, "body of %zu bytes is over the limit of "
		    "%zu", len, max_bytes);
		return ERR_TOO_LARGE;
	}
	if (len > INT32_MAX)
		return jsonparse_fail(why, whysz, ERR_TOO_LARGE,
		    "body too large");
	if (buf == NULL)
		buf = "";
	memset(&s, 0, sizeof(s));
	s.p = (const unsigned char *)buf;
	s.len = len;
	s.why = why;
	s.whysz = whysz;
	jsonparse_scan_ws(&s);
	if (top_object && (s.pos >= s.len || s.p[s.pos] != '{'))
		return jsonparse_fail(why, whysz, ERR_JSON,
		    "top level must be a JSON object");
	if (jsonparse_scan_value(&s, 0) == -1)
		goto out;
	jsonparse_scan_ws(&s);
	if (s.pos != s.len) {
		jsonparse_scan_err(&s, top_object ?
		    "trailing data after the object" :
		    "trailing data after the value");
		goto out;
	}

	if ((tok = json_tokener_new_ex(LIMIT_JSON_DEPTH + 1)) == NULL) {
		rc = jsonparse_fail(why, whysz, ERR_NOMEM, "out of memory");
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, buf, (int)len);
	/* A number at the top level ends only where the input does: json-c
	 * waits for more until told the text is over (a NUL). */
	if (root == NULL && json_tokener_get_error(tok) ==
	    json_tokener_continue)
		root = json_tokener_parse_ex(tok, "", 1);
	if (root == NULL && json_tokener_get_error(tok) ==
	    json_tokener_success && len > 0) {
		/* the text was "null": a value, and json-c's NULL */
		rc = ERR_OK;
		goto out;
	}
	if (root == NULL ||
	    json_tokener_get_error(tok) != json_tokener_success) {
		/* The scanner accepted it: json-c ran out of memory or
		 * disagrees; either way the text cannot be used. */
		snprintf(why, whysz, "cannot parse: %s",
		    json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
	if (jsonparse_tree_members(root) != s.members) {
		jsonparse_fail(why, whysz, ERR_JSON,
		    "duplicate member name in an object");
		goto out;
	}
	*out = root;
	root = NULL;
	rc = ERR_OK;
out:
	json_object_put(root);
	if (tok != NULL)
		json_tokener_free(tok);
	return rc;
}

enum err
jsonparse_value(const char *buf, size_t len, size_t max_bytes,
    json_object **out, char *why, size_t whysz)
{
	return jsonparse(buf, len, max_bytes, 0, out, why, whysz);
}

enum err
jsonparse_object(const char *buf, size_t len, size_t max_bytes,
    json_object **out, char *why, size_t whysz)
{
	return jsonparse(buf, len, max_bytes, 1, out, why, whysz);
}

const char *
jsonparse_str(json_object *o, const char *name, size_t *len)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	if (len != NULL)
		*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}
