/*
 * req.c: the request context of audio-api and every way it answers.
 *
 * A struct req is built from the FastCGI params when a request is accepted
 * and freed by req_free() after the reply, whatever the handler did.  All
 * replies go through req_send(), which adds the headers every answer
 * carries: X-Request-Id, Cache-Control: no-store and, for an allowed
 * Origin, the CORS headers.  Errors are the JSON body
 * {"error", "code", "field"?} with the status lib/err.c's table gives.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api.h"
#include "buf.h"
#include "clock.h"
#include "ident.h"
#include "journal.h"
#include "jsonv.h"
#include "log.h"
#include "route.h"
#include "xalloc.h"

/*
 * The params a request reads are picked out in one pass over the
 * environment when it is accepted: FCGX_GetParam() walks all of it with a
 * strncmp per entry on each call, and ten calls a request made that 3% of
 * a presign.  Others (rare) still go through FCGX_GetParam().
 */
static const struct {
	const char	*name;
	size_t		 len;
} req_known[REQ_PARAMS_KNOWN] = {
#define REQ_KNOWN(s)	{ s, sizeof(s) - 1 }
	REQ_KNOWN("REQUEST_METHOD"),
	REQ_KNOWN("REQUEST_URI"),
	REQ_KNOWN("SCRIPT_NAME"),
	REQ_KNOWN("QUERY_STRING"),
	REQ_KNOWN("CONTENT_TYPE"),
	REQ_KNOWN("CONTENT_LENGTH"),
	REQ_KNOWN("HTTP_AUTHORIZATION"),
	REQ_KNOWN("HTTP_ORIGIN"),
	REQ_KNOWN("HTTP_X_REQUEST_ID"),
#undef REQ_KNOWN
};

static void
req_index_params(struct req *r)
{
	char **e;
	const char *eq;
	size_t i, len;

	if (r->fr->envp == NULL)
		return;
	for (e = r->fr->envp; *e != NULL; e++) {
		if ((eq = strchr(*e, '=')) == NULL)
			continue;
		len = (size_t)(eq - *e);
		for (i = 0; i < REQ_PARAMS_KNOWN; i++)
			if (req_known[i].len == len && r->params[i] == NULL &&
			    memcmp(*e, req_known[i].name, len) == 0) {
				/* The first wins, as with FCGX_GetParam. */
				r->params[i] = eq + 1;
				break;
			}
	}
}

const char *
req_param(const struct req *r, const char *name)
{
	size_t i;

	for (i = 0; i < REQ_PARAMS_KNOWN; i++)
		if (name[0] == req_known[i].name[0] &&
		    strcmp(name, req_known[i].name) == 0)
			return r->params[i];
	return FCGX_GetParam(name, r->fr->envp);
}

/* A client-supplied X-Request-Id is reused only if it is short and tame. */
static int
req_id_ok(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++)
		if (n >= REQ_ID_SIZE - 1 || !((s[n] >= 'a' && s[n] <= 'z') ||
		    (s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9') ||
		    s[n] == '-' || s[n] == '_' || s[n] == '.'))
			return 0;
	return n > 0;
}

/*
 * A fresh request id: a random per-process prefix (drawn on first use, so
 * in each worker after its fork: the master serves no requests) and a
 * counter, unique across workers and restarts without a getrandom(2) per
 * request.
 */
static void
req_new_id(char *out, size_t outsz)
{
	static char prefix[16];
	static unsigned long counter;

	if (prefix[0] == '\0' &&
	    ident_random("r", 4, prefix, sizeof(prefix)) != ERR_OK)
		snprintf(prefix, sizeof(prefix), "r%08lx",
		    (unsigned long)getpid());
	snprintf(out, outsz, "%s-%lx", prefix, ++counter);
}

enum err
req_init(struct req *r, FCGX_Request *fr, struct app *app)
{
	const char *origin, *given;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->fr = fr;
	r->app = app;
	r->start_ms = clock_wall_ms();
	req_index_params(r);
	given = req_param(r, "HTTP_X_REQUEST_ID");
	if (req_id_ok(given))
		snprintf(r->id, sizeof(r->id), "%s", given);
	else
		req_new_id(r->id, sizeof(r->id));
	r->method = req_param(r, "REQUEST_METHOD");
	if (r->method == NULL)
		r->method = "";
	/* The query is left on: route_match() stops at the '?'. */
	r->uri = req_param(r, "REQUEST_URI");
	if (r->uri == NULL)
		r->uri = req_param(r, "SCRIPT_NAME");
	if (r->uri == NULL)
		r->uri = "";
	/* For the access log: a FastCGI param length has 31 bits. */
	r->path_len = (int)route_path_len(r->uri);
	/* "*" allows every origin and is what is answered: tokens travel
	 * in the Authorization header, never in cookies, so no credentials
	 * mode is needed (and "*" is not allowed with one). */
	origin = req_param(r, "HTTP_ORIGIN");
	if (origin != NULL)
		for (i = 0; i < app->conf->cors_origins.n; i++) {
			if (strcmp(app->conf->cors_origins.v[i], "*") == 0) {
				r->origin = "*";
				break;
			}
			if (strcmp(origin, app->conf->cors_origins.v[i]) == 0)
				r->origin = origin;
		}
	return ERR_OK;
}

/*
 * The end of FCGI_STDIN is the empty record the web server sends after
 * the body (FastCGI 1.0, 5.3); after it nothing more comes on a
 * connection it does not keep, but FCGI_ABORT_REQUEST for a request
 * already answered.  libfcgi has seen it when a read ran into it.  When
 * the body was read to its declared length (or none was declared) the
 * record is next: usually already in libfcgi's buffer, read with the last
 * bytes, else one read(2) finds it.  A body not read, or only partly,
 * is not waited for: its bytes may still be on their way from a slow
 * client.
 */
int
req_input_ended(struct req *r)
{
	FCGX_Stream *in = r->fr->in;
	const char *cl;

	if (in == NULL || FCGX_GetError(in) != 0)
		return 0;
	if (FCGX_HasSeenEOF(in))
		return 1;
	if (!r->body_whole) {
		cl = req_param(r, "CONTENT_LENGTH");
		if (cl != NULL && strcmp(cl, "0") != 0)
			return 0;
	}
	return FCGX_GetChar(in) == EOF && FCGX_GetError(in) == 0;
}

void
req_free(struct req *r)
{
	free(r->body);
	jsonv_free(r->doc);
	memset(r, 0, sizeof(*r));
}

static const char *
req_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* Write status, the common headers, `extra` (complete header lines or
 * NULL) and body.  The head is appended, not printf'd: this runs for every
 * request, and three snprintf calls were a tenth of a presign's own
 * instructions outside the signer. */
static void
req_send(struct req *r, int status, const char *extra, const char *body,
    size_t len)
{
	char mem[2048];
	struct buf h;

	r->status = status;
	buf_init_fixed(&h, mem, sizeof(mem));
	buf_adds(&h, "Status: ");
	buf_add_int(&h, status);
	buf_addc(&h, ' ');
	buf_adds(&h, req_reason(status));
	buf_adds(&h, "\r\nCache-Control: no-store\r\nX-Request-Id: ");
	buf_adds(&h, r->id);
	buf_adds(&h, "\r\n");
	if (body != NULL) {
		buf_adds(&h, "Content-Type: application/json\r\n"
		    "Content-Length: ");
		buf_add_int(&h, (long long)len);
		buf_adds(&h, "\r\n");
	}
	if (r->origin != NULL) {
		buf_adds(&h, "Access-Control-Allow-Origin: ");
		buf_adds(&h, r->origin);
		buf_adds(&h, "\r\nVary: Origin\r\n"
		    "Access-Control-Expose-Headers: X-Request-Id\r\n");
	}
	/* An origin too long for the head (a config of kilobytes) leaves
	 * out what did not fit whole. */
	FCGX_PutStr(h.p, (int)h.len, r->fr->out);
	if (extra != NULL)
		FCGX_PutS(extra, r->fr->out);
	FCGX_PutS("\r\n", r->fr->out);
	/* HEAD: the headers GET would send (Content-Length included), no
	 * body. */
	if (body != NULL && strcmp(r->method, "HEAD") != 0)
		FCGX_PutStr(body, (int)len, r->fr->out);
}

struct buf *
req_out(struct req *r)
{
	buf_reset(&r->app->out);
	return &r->app->out;
}

void
req_reply_buf(struct req *r, int status, const struct buf *b)
{
	if (buf_err(b) != ERR_OK)	/* only out of memory gets here */
		xalloc_die(0, __func__);
	req_send(r, status, NULL, b->p, b->len);
}

void
req_reply(struct req *r, int status, json_object *obj)
{
	const char *s;
	size_t len;

	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL)	/* only out of memory gets here */
		xalloc_die(0, __func__);
	req_send(r, status, NULL, s, len);
	json_object_put(obj);
}

void
req_error(struct req *r, enum err e, const char *message, const char *field,
    const char *allow)
{
	char extra[256];
	json_object *obj;
	const char *s;
	size_t len;
	int status = err_http_status(e);

	if ((obj = json_object_new_object()) == NULL)
		xalloc_die(0, __func__);
	json_object_object_add(obj, "error", json_object_new_string(
	    message != NULL ? message : err_strerror(e)));
	json_object_object_add(obj, "code", json_object_new_string(
	    err_code(e)));
	if (field != NULL && *field != '\0')
		json_object_object_add(obj, "field",
		    json_object_new_string(field));
	extra[0] = '\0';
	if (status == 401)
		snprintf(extra, sizeof(extra), "WWW-Authenticate: Bearer "
		    "realm=\"audio-api\", error=\"invalid_token\"\r\n");
	else if (status == 405 && allow != NULL)
		snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
	else if (status == 502 || status == 503)
		snprintf(extra, sizeof(extra), "Retry-After: %lld\r\n",
		    (long long)(r->app->conf->retry_after / 1000));
	if (status >= 500)
		log_warn("answering %d %s: %s", status, err_code(e),
		    message != NULL ? message : err_strerror(e));
	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL)
		xalloc_die(0, __func__);
	req_send(r, status, extra[0] != '\0' ? extra : NULL, s, len);
	json_object_put(obj);
}

void
req_add_totals(json_object *o, int64_t chunks, int64_t bytes,
    const int64_t *duration_ms)
{
	json_object_object_add(o, "chunkCount", json_object_new_int64(chunks));
	json_object_object_add(o, "totalBytes", json_object_new_int64(bytes));
	if (duration_ms != NULL)
		json_object_object_add(o, "durationMs",
		    json_object_new_int64(*duration_ms));
}

struct journal *
req_journal(struct req *r)
{
	struct journal *j = app_journal(r->app);

	if (j == NULL)
		req_journal_error(r, ERR_UNAVAILABLE, NULL);
	return j;
}

void
req_journal_error(struct req *r, enum err rc, const char *conflict)
{
	switch (rc) {
	case ERR_NOT_FOUND:
		req_error(r, rc, "session not found", NULL, NULL);
		break;
	case ERR_CONFLICT:
		req_error(r, rc, conflict, NULL, NULL);
		break;
	case ERR_UNAVAILABLE:
		req_error(r, rc, "journal unavailable", NULL, NULL);
		break;
	case ERR_BUSY:
		/* journal_sweep_claim(): for a few seconds at most. */
		req_error(r, rc, "the orphan sweep is deleting an object of "
		    "this seq; retry in a few seconds", "seq", NULL);
		break;
	default:
		req_error(r, rc, NULL, NULL, NULL);
		break;
	}
}

void
req_limited(struct req *r, const char *name, int64_t retry_after_ms,
    const char *message)
{
	json_object *obj;
	char extra[64];
	const char *s;
	size_t len;

	if ((obj = json_object_new_object()) == NULL)
		xalloc_die(0, __func__);
	json_object_object_add(obj, "error", json_object_new_string(message));
	json_object_object_add(obj, "code", json_object_new_string(
	    err_code(ERR_RATE_LIMITED)));
	json_object_object_add(obj, "limit", json_object_new_string(name));
	snprintf(extra, sizeof(extra), "Retry-After: %lld\r\n",
	    (long long)(retry_after_ms < 1000 ? 1 :
	    (retry_after_ms + 999) / 1000));
	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL)
		xalloc_die(0, __func__);
	req_send(r, err_http_status(ERR_RATE_LIMITED), extra, s, len);
	json_object_put(obj);
}

void
req_preflight(struct req *r, const char *allow)
{
	char extra[512];

	if (r->origin == NULL) {
		/* Not an allowed origin (or no Origin: a plain OPTIONS):
		 * answer with Allow but without CORS headers, so a browser
		 * refuses, and never with an auth error. */
		snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
		req_send(r, 204, extra, NULL, 0);
		return;
	}
	snprintf(extra, sizeof(extra), "Allow: %s\r\n"
	    "Access-Control-Allow-Methods: %s\r\n"
	    "Access-Control-Allow-Headers: Authorization, Content-Type, "
	    "X-Request-Id\r\n"
	    "Access-Control-Max-Age: 600\r\n", allow, allow);
	req_send(r, 204, extra, NULL, 0);
}

/* application/json, optionally followed by parameters. */
static int
req_is_json(const char *ct)
{
	static const char want[] = "application/json";

	if (ct == NULL || strncasecmp(ct, want, sizeof(want) - 1) != 0)
		return 0;
	ct += sizeof(want) - 1;
	return *ct == '\0' || *ct == ';' || *ct == ' ' || *ct == '\t';
}

enum err
req_read_json(struct req *r)
{
	struct jsonv_error je;
	const char *ct, *cl;
	size_t max = (size_t)r->app->conf->body_max, want, got = 0;
	long long declared = -1;
	char *end;
	int n;
	enum err rc;

	ct = req_param(r, "CONTENT_TYPE");
	if (!req_is_json(ct)) {
		req_error(r, ERR_MEDIA_TYPE,
		    "request body must be application/json", NULL, NULL);
		return ERR_MEDIA_TYPE;
	}
	cl = req_param(r, "CONTENT_LENGTH");
	if (cl != NULL && *cl != '\0') {
		errno = 0;
		declared = strtoll(cl, &end, 10);
		if (errno != 0 || *end != '\0' || declared < 0) {
			req_error(r, ERR_INVAL, "bad Content-Length", NULL, NULL);
			return ERR_INVAL;
		}
		if ((unsigned long long)declared > max) {
			req_error(r, ERR_TOO_LARGE, "request body too large",
			    NULL, NULL);
			return ERR_TOO_LARGE;
		}
	}
	want = declared >= 0 ? (size_t)declared : max + 1;
	r->body = xmalloc(want + 1);
	while (got < want) {
		n = FCGX_GetStr(r->body + got, (int)(want - got), r->fr->in);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	r->body[got] = '\0';
	r->body_len = got;
	if (got > max) {
		req_error(r, ERR_TOO_LARGE, "request body too large", NULL,
		    NULL);
		return ERR_TOO_LARGE;
	}
	if (declared >= 0 && got != (size_t)declared) {
		req_error(r, ERR_JSON, "request body shorter than "
		    "Content-Length", NULL, NULL);
		return ERR_JSON;
	}
	r->body_whole = declared >= 0;
	rc = jsonv_parse(r->body, r->body_len, max, &r->doc, &je);
	if (rc != ERR_OK) {
		req_error(r, rc, je.message[0] != '\0' ? je.message : NULL,
		    je.field, NULL);
		return rc;
	}
	return ERR_OK;
}
