/*
 * codec.h: the audio codecs and chunk types the storage path accepts.
 *
 * A session has one codec, stored and answered in its canonical form:
 *
 *   webm/opus  ogg/opus  mp4/aac  wav/pcm  flac
 *
 * Clients name it in other ways too.  The pages of the system we replace
 * send the container alone ("webm"), and a MediaRecorder's mimeType is a
 * MIME type with a codecs parameter ("audio/webm;codecs=opus", Firefox's
 * "audio/ogg; codecs=opus", Safari's "audio/mp4;codecs=mp4a.40.2").
 * codec_canonical() maps every such alias to its canonical value and
 * refuses the rest, including a codecs parameter that names another codec
 * than the canonical one ("audio/webm;codecs=vorbis").
 *
 * A chunk has an extension (the key's suffix) and the Content-Type it is
 * uploaded with; codec_ext_ok() and codec_type_ok() hold the allow-list.
 *
 * Nothing here does I/O; every input is a client's and is length-bounded.
 */
#ifndef CODEC_H
#define CODEC_H

#include <stddef.h>

/* Longest codec name or alias looked at; longer ones are refused. */
#define CODEC_INPUT_MAX		64

/* The canonical codecs, NULL-terminated, for messages and docs. */
extern const char *const codec_names[];
/* The chunk extensions, NULL-terminated. */
extern const char *const codec_exts[];

/*
 * The canonical codec for s[0..len): a canonical name itself, a container
 * name ("webm", "ogg", "opus", "mp4", "m4a", "wav", "wave", "flac"), or a
 * MIME type of such a container with or without "audio/" and with at most
 * one codecs parameter that names the container's codec ("opus", "mp4a.40.2"
 * or "aac", "1" or "pcm", "flac"; quoted or not).  Case-insensitive; spaces
 * around ';' and '=' are allowed.  Returns a static string, or NULL if s is
 * none of these (NUL bytes, non-ASCII, over CODEC_INPUT_MAX included).
 */
const char	*codec_canonical(const char *s, size_t len);

/* 1 if ext[0..len) is an allowed chunk extension (lower-case), else 0. */
int		 codec_ext_ok(const char *ext, size_t len);

/* 1 if ctype (case-insensitive) is an allowed Content-Type for a chunk
 * with extension ext, else 0. */
int		 codec_type_ok(const char *ext, const char *ctype);

#endif /* CODEC_H */
