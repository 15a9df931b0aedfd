/*
 * asr_conf.c: the audio-recognizer config table and its checks.
 *
 * Every key, its bounds, default and environment override live in
 * asr_conf_table; conf.h does the parsing and the file:line messages.
 * conf/audio-recognizer.conf.example is generated from this table
 * (`audio-recognizer --print-example`).  asr_conf_validate() also looks
 * for the model's files, so that a config `-n` passes does load.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "asr.h"
#include "limit.h"

#define OFF(m)	offsetof(struct asr_conf, m)
#define SEC	1000LL
#define MODEL	"/usr/share/pocketsphinx/model/en-us/"

static const char *const log_choices[] = { "debug", "info", "warn",
    "error", NULL };

const struct conf_key asr_conf_table[] = {
	{ "listen_address", CONF_STRING, 1, 255, "127.0.0.1", "ASR_LISTEN",
	    0, NULL, "address to listen on for gRPC (plain HTTP/2, no TLS: "
	    "keep it on loopback or a private network)",
	    OFF(listen_address) },
	{ "port", CONF_INT, 1, 65535, "50051", "ASR_PORT", 0, NULL,
	    "TCP port (Riva's is 50051)", OFF(port) },
	{ "max_streams", CONF_INT, 1, LIMIT_ASR_STREAMS, "4",
	    "ASR_MAX_STREAMS", 0, NULL,
	    "recognitions at once, each with its own decoder (about 100 MB); "
	    "more are refused with RESOURCE_EXHAUSTED", OFF(max_streams) },
	{ "preload_decoders", CONF_INT, 1, LIMIT_ASR_STREAMS, "1",
	    "ASR_PRELOAD", 0, NULL,
	    "decoders loaded before listening (at most max_streams); a "
	    "stream that finds none idle waits about a second for a new one",
	    OFF(preload_decoders) },
	{ "workers", CONF_INT, 1, LIMIT_ASR_WORKERS, "2", "ASR_WORKERS", 0,
	    NULL, "decoding threads (one per CPU core)", OFF(workers) },
	{ "hmm_dir", CONF_STRING, 1, 4096, MODEL "en-us", "ASR_HMM", 0, NULL,
	    "PocketSphinx acoustic model directory (-hmm)", OFF(hmm_dir) },
	{ "lm_file", CONF_STRING, 1, 4096, MODEL "en-us.lm.bin", "ASR_LM", 0,
	    NULL, "language model (-lm)", OFF(lm_file) },
	{ "dict_file", CONF_STRING, 1, 4096, MODEL "cmudict-en-us.dict",
	    "ASR_DICT", 0, NULL, "pronunciation dictionary (-dict)",
	    OFF(dict_file) },
	{ "model_name", CONF_STRING, 1, 128, "pocketsphinx-en-us",
	    "ASR_MODEL_NAME", 0, NULL,
	    "the model name GetRivaSpeechRecognitionConfig lists; a stream "
	    "naming another model is refused", OFF(model_name) },
	{ "language", CONF_STRING, 2, 35, "en-US", NULL, 0, NULL,
	    "the language_code served; a stream asking for another is "
	    "refused", OFF(language) },
	{ "partial_interval", CONF_DURATION, 100, 5 * SEC, "400ms",
	    "ASR_PARTIAL_INTERVAL", 0, NULL,
	    "an interim result every this much speech", OFF(partial_interval) },
	{ "max_utterance", CONF_DURATION, SEC, 300 * SEC, "30s", NULL, 0,
	    NULL, "an utterance longer than this is cut into a final",
	    OFF(max_utterance) },
	{ "queued_audio", CONF_SIZE, LIMIT_RIVA_QUEUED_AUDIO_MIN,
	    LIMIT_RIVA_QUEUED_AUDIO_MAX, "256k", NULL, 0, NULL,
	    "audio a stream may have waiting for its decoder; beyond it the "
	    "stream is not read until the decoder catches up",
	    OFF(queued_audio) },
	{ "max_message", CONF_SIZE, 64 * 1024, 64 * 1024 * 1024, "1m", NULL,
	    0, NULL, "largest gRPC message accepted", OFF(max_message) },
	{ "log_level", CONF_ENUM, 0, 0, "info", "ASR_LOG_LEVEL", 0,
	    log_choices, "debug | info | warn | error", OFF(log_level) },
	CONF_END
};

/* A model file or directory that PocketSphinx will open. */
static int
asr_conf_model_ok(const char *key, const char *path, int dir, char *errbuf,
    size_t errlen, const char *name)
{
	struct stat st;

	if (stat(path, &st) != 0 || access(path, R_OK) != 0) {
		snprintf(errbuf, errlen, "%s: %s %s: %s (install the Debian "
		    "package pocketsphinx-en-us, or set %s)", name, key, path,
		    strerror(errno), key);
		return 0;
	}
	if (dir != S_ISDIR(st.st_mode)) {
		snprintf(errbuf, errlen, "%s: %s %s: not a %s", name, key,
		    path, dir ? "directory" : "file");
		return 0;
	}
	return 1;
}

enum err
asr_conf_validate(const struct asr_conf *c, const char *path, char *errbuf,
    size_t errlen)
{
	/* What every PocketSphinx acoustic model directory holds. */
	static const char *const hmm[] = { "mdef", "means", "variances",
	    "transition_matrices" };
	const char *name = path != NULL ? path : "(defaults and environment)";
	char file[4200];
	size_t i;

	if (!asr_conf_model_ok("hmm_dir", c->hmm_dir, 1, errbuf, errlen,
	    name))
		return ERR_CONFIG;
	for (i = 0; i < sizeof(hmm) / sizeof(hmm[0]); i++) {
		snprintf(file, sizeof(file), "%s/%s", c->hmm_dir, hmm[i]);
		if (!asr_conf_model_ok("hmm_dir", file, 0, errbuf, errlen,
		    name))
			return ERR_CONFIG;
	}
	if (!asr_conf_model_ok("lm_file", c->lm_file, 0, errbuf, errlen,
	    name) ||
	    !asr_conf_model_ok("dict_file", c->dict_file, 0, errbuf, errlen,
	    name))
		return ERR_CONFIG;
	if (c->preload_decoders > c->max_streams)
		return conf_refuse(errbuf, errlen, path, "preload_decoders",
		    "%lld is more than max_streams (%lld)",
		    (long long)c->preload_decoders, (long long)c->max_streams);
	if (c->partial_interval >= c->max_utterance)
		return conf_refuse(errbuf, errlen, path, "partial_interval",
		    "%lld ms is not shorter than max_utterance (%lld ms): no "
		    "interim result would ever be sent",
		    (long long)c->partial_interval,
		    (long long)c->max_utterance);
	return ERR_OK;
}

enum err
asr_conf_load(struct asr_conf *c, const char *path, char *errbuf,
    size_t errlen)
{
	enum err e;

	memset(c, 0, sizeof(*c));
	e = conf_load(asr_conf_table, c, path, 0, errbuf, errlen);
	if (e != ERR_OK)
		return e;
	if ((e = asr_conf_validate(c, path, errbuf, errlen)) != ERR_OK) {
		asr_conf_free(c);
		return e;
	}
	if (c->workers > c->max_streams)
		c->workers = c->max_streams;	/* more would only wait */
	return ERR_OK;
}

void
asr_conf_free(struct asr_conf *c)
{
	conf_free(asr_conf_table, c);
}
