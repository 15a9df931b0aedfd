/*
 * asr.h: the private header of audio-recognizer, a small speech recognizer
 * for development and small deployments that speaks NVIDIA Riva's
 * RivaSpeechRecognition gRPC service, so audio-bridge can use it in place
 * of a Riva (no GPU, no network: CMU PocketSphinx and its US English
 * model from Debian).
 *
 *   main.c     command line, config, signals, start and stop
 *   asr_conf.c the config table, loading it and its check
 *   server.c   the gRPC adapter: every grpc-core call, one completion-
 *              queue thread; streams, health, the model list
 *   pool.c     the worker threads that decode, and the queue of streams
 *              with audio waiting
 *   decoder.c  one PocketSphinx decoder per running stream, kept for reuse
 *
 * Threads: the completion-queue thread only moves bytes (it never
 * decodes); `workers` threads decode, each stream on at most one worker
 * at a time, and start their sends themselves (grpc core allows send
 * batches from any thread, serialised per call by the stream's mutex).
 */
#ifndef ASR_H
#define ASR_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "err.h"
#include "rivamsg.h"
#include "rivasrv.h"

/* Filled from conf/audio-recognizer.conf by the table in asr_conf.c. */
struct asr_conf {
	char		*listen_address;
	int64_t		 port;
	int64_t		 max_streams;
	int64_t		 preload_decoders;
	int64_t		 workers;
	char		*hmm_dir;
	char		*lm_file;
	char		*dict_file;
	char		*model_name;
	char		*language;
	int64_t		 partial_interval;	/* ms */
	int64_t		 max_utterance;		/* ms */
	int64_t		 queued_audio;		/* bytes per stream */
	int64_t		 max_message;		/* bytes, one gRPC message */
	int		 log_level;
};

extern const struct conf_key asr_conf_table[];

/* Load path (NULL: defaults and environment) and run asr_conf_validate()
 * on it: -n and start-up both come here.  On error one line in errbuf
 * and ERR_CONFIG (*c freed). */
enum err	asr_conf_load(struct asr_conf *, const char *path, char *errbuf,
		    size_t errlen);
void		asr_conf_free(struct asr_conf *);
/* Past the table: the model's directory and files are there and
 * readable (not only named), preload_decoders <= max_streams,
 * partial_interval < max_utterance.  path only names the file in the
 * message.  ERR_OK or ERR_CONFIG with one line in errbuf. */
enum err	asr_conf_validate(const struct asr_conf *, const char *path,
		    char *errbuf, size_t errlen);

/* ---------------------------------------------------------- decoder.c */

struct decoder;

/* Called with each interim or final response a decoder builds; the
 * response is the decoder's and is valid only during the call. */
typedef void	decoder_emit_fn(void *arg, const struct rivamsg_response *);

/* Load the models named by the config into a new decoder (about a second
 * and 100 MB); NULL with a reason in errbuf when they do not load. */
struct decoder	*decoder_new(const struct asr_conf *, char *errbuf,
		    size_t errlen);
void		 decoder_free(struct decoder *);
/* Start a new stream: times start again at 0. */
void		 decoder_begin(struct decoder *);
/* Decode n samples (16 kHz mono), emitting interim results and a final
 * at each end of utterance; eof closes the last utterance. */
void		 decoder_feed(struct decoder *, const int16_t *pcm, size_t n,
		    int eof, decoder_emit_fn *emit, void *arg);
/* Seconds of audio fed since decoder_begin(). */
double		 decoder_seconds(const struct decoder *);

/* The decoders not in use, up to max_streams in all (thread-safe). */
void		 decoder_pool_init(const struct asr_conf *);
/* A decoder for a new stream: an idle one, else a new one; NULL (with a
 * log line) when the models do not load. */
struct decoder	*decoder_pool_get(void);
void		 decoder_pool_put(struct decoder *);
/* Free every idle decoder. */
void		 decoder_pool_free(void);

/* ------------------------------------------------------------- pool.c */

struct server_stream;

/* Start n workers that run work(s) for each queued stream. */
enum err	pool_start(int n, size_t capacity,
		    void (*work)(struct server_stream *));
/* Queue s for a worker.  The caller makes sure a stream is queued at
 * most once at a time (capacity is the number of streams). */
void		pool_push(struct server_stream *);
/* Let the workers finish what is queued, then join them. */
void		pool_stop(void);

/* ----------------------------------------------------------- server.c */

/* Listen and serve until *stop is set; returns 0, or 1 when it cannot
 * listen. */
int		server_run(const struct asr_conf *, volatile sig_atomic_t *stop);

#endif /* ASR_H */
