/*
 * codec.c: the audio codecs and chunk types the storage path accepts (see
 * codec.h).
 *
 * An alias is read as a MIME type: an optional "audio/" type, a container
 * subtype, then ';'-separated parameters of which only codecs= is known.
 * Everything is compared case-insensitively over bounded, printable ASCII,
 * so no input can make the parser read past len or accept a look-alike.
 */
#include <string.h>
#include <strings.h>

#include "codec.h"

const char *const codec_names[] = { "webm/opus", "ogg/opus", "mp4/aac",
	"wav/pcm", "flac", NULL };

const char *const codec_exts[] = { "webm", "ogg", "opus", "mp4", "m4a",
	"aac", "wav", "flac", NULL };

/* Containers by subtype, the canonical codec each stands for, and the
 * names a codecs= parameter may give that codec. */
static const struct {
	const char	*container;
	const char	*canonical;
	const char	*codecs[5];
} codec_containers[] = {
	{ "webm", "webm/opus", { "opus", NULL } },
	{ "ogg", "ogg/opus", { "opus", NULL } },
	{ "opus", "ogg/opus", { "opus", NULL } },
	{ "mp4", "mp4/aac", { "mp4a.40.2", "mp4a.40.5", "mp4a.40.29", "aac",
	    NULL } },
	{ "m4a", "mp4/aac", { "mp4a.40.2", "mp4a.40.5", "mp4a.40.29", "aac",
	    NULL } },
	{ "x-m4a", "mp4/aac", { "mp4a.40.2", "mp4a.40.5", "mp4a.40.29", "aac",
	    NULL } },
	{ "wav", "wav/pcm", { "1", "pcm", NULL } },
	{ "wave", "wav/pcm", { "1", "pcm", NULL } },
	{ "x-wav", "wav/pcm", { "1", "pcm", NULL } },
	{ "flac", "flac", { "flac", NULL } },
	{ "x-flac", "flac", { "flac", NULL } },
};

#define NCONTAINERS	(sizeof(codec_containers) / sizeof(codec_containers[0]))

/* Audio types a chunk may have: extension and the Content-Type it is
 * uploaded with (what MediaRecorder and common encoders produce). */
static const struct {
	const char	*ext;
	const char	*ctype;
} codec_types[] = {
	{ "webm", "audio/webm" },
	{ "webm", "audio/webm;codecs=opus" },
	{ "webm", "audio/webm; codecs=opus" },
	{ "ogg", "audio/ogg" },
	{ "ogg", "audio/ogg;codecs=opus" },
	{ "ogg", "audio/ogg; codecs=opus" },
	{ "opus", "audio/ogg" },
	{ "opus", "audio/opus" },
	{ "mp4", "audio/mp4" },
	{ "m4a", "audio/mp4" },
	{ "m4a", "audio/x-m4a" },
	{ "aac", "audio/aac" },
	{ "wav", "audio/wav" },
	{ "wav", "audio/x-wav" },
	{ "wav", "audio/wave" },
	{ "flac", "audio/flac" },
	{ "flac", "audio/x-flac" },
};

/* s[0..len) equals the NUL-terminated word, ignoring case. */
static int
codec_eq(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

static int
codec_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Trim spaces and tabs off both ends of s[0..*len). */
static const char *
codec_trim(const char *s, size_t *len)
{
	while (*len > 0 && codec_space(s[0])) {
		s++;
		(*len)--;
	}
	while (*len > 0 && codec_space(s[*len - 1]))
		(*len)--;
	return s;
}

/* One parameter "codecs=VALUE" (VALUE may be quoted) naming a codec of
 * container i: 1, else 0. */
static int
codec_param_ok(size_t i, const char *p, size_t len)
{
	const char *eq, *name, *val;
	size_t nlen, vlen, k;

	if ((eq = memchr(p, '=', len)) == NULL)
		return 0;
	nlen = (size_t)(eq - p);
	name = codec_trim(p, &nlen);
	if (!codec_eq(name, nlen, "codecs"))
		return 0;
	vlen = len - (size_t)(eq + 1 - p);
	val = codec_trim(eq + 1, &vlen);
	if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
		val++;
		vlen -= 2;
	}
	for (k = 0; codec_containers[i].codecs[k] != NULL; k++)
		if (codec_eq(val, vlen, codec_containers[i].codecs[k]))
			return 1;
	return 0;
}

const char *
codec_canonical(const char *s, size_t len)
{
	const char *semi, *sub, *p;
	size_t i, k, slen, plen;

	if (s == NULL || len == 0 || len > CODEC_INPUT_MAX)
		return NULL;
	for (k = 0; k < len; k++)
		if ((unsigned char)s[k] < 0x20 || (unsigned char)s[k] >= 0x7f)
			return NULL;
	for (k = 0; codec_names[k] != NULL; k++)
		if (codec_eq(s, len, codec_names[k]))
			return codec_names[k];

	/* [audio/]container[;codecs=x] */
	semi = memchr(s, ';', len);
	slen = semi != NULL ? (size_t)(semi - s) : len;
	sub = codec_trim(s, &slen);
	if (slen > 6 && strncasecmp(sub, "audio/", 6) == 0) {
		sub += 6;
		slen -= 6;
	}
	for (i = 0; i < NCONTAINERS; i++)
		if (codec_eq(sub, slen, codec_containers[i].container))
			break;
	if (i == NCONTAINERS)
		return NULL;
	if (semi == NULL)
		return codec_containers[i].canonical;
	p = semi + 1;
	plen = len - (size_t)(p - s);
	/* Exactly one parameter: a second ';' is refused. */
	if (memchr(p, ';', plen) != NULL || !codec_param_ok(i, p, plen))
		return NULL;
	return codec_containers[i].canonical;
}

int
codec_ext_ok(const char *ext, size_t len)
{
	size_t i;

	if (ext == NULL)
		return 0;
	for (i = 0; codec_exts[i] != NULL; i++)
		if (strlen(codec_exts[i]) == len &&
		    memcmp(codec_exts[i], ext, len) == 0)
			return 1;
	return 0;
}

int
codec_type_ok(const char *ext, const char *ctype)
{
	size_t i;

	if (ext == NULL || ctype == NULL)
		return 0;
	for (i = 0; i < sizeof(codec_types) / sizeof(codec_types[0]); i++)
		if (strcmp(codec_types[i].ext, ext) == 0 &&
		    strcasecmp(codec_types[i].ctype, ctype) == 0)
			return 1;
	return 0;
}
