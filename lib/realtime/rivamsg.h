/*
 * rivamsg.h: NVIDIA Riva ASR messages as plain C structs.
 *
 * This is the one place where protobuf-c generated code (proto/) meets the
 * rest of the program.  It encodes the two kinds of StreamingRecognizeRequest
 * (the first carries only a streaming_config, every later one only
 * audio_content) and the health check request into wire bytes, and decodes a
 * StreamingRecognizeResponse / HealthCheckResponse from wire bytes into plain
 * structs.  It does no I/O; lib/realtime/riva.c moves the bytes over gRPC.
 *
 * A StreamingRecognizeResponse may carry several results.  All of them are
 * decoded: the interim text is the concatenation of the non-final results
 * (rivamsg_partial_text()); each final result is its own transcript.
 */
#ifndef RIVAMSG_H
#define RIVAMSG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "limit.h"

/* Bounds on what a (possibly hostile) Riva response may make us hold. */
#define RIVAMSG_MAX_RESULTS		LIMIT_RIVA_RESULTS
#define RIVAMSG_MAX_ALTERNATIVES	LIMIT_RIVA_ALTERNATIVES
#define RIVAMSG_MAX_WORDS		LIMIT_RIVA_WORDS
#define RIVAMSG_MAX_TEXT		LIMIT_RIVA_TEXT	/* one transcript */

/* Bounds on the recognition config we send. */
#define RIVAMSG_MAX_BOOST_WORDS		LIMIT_RIVA_BOOST_WORDS
#define RIVAMSG_MAX_BOOST_WORD_LEN	LIMIT_RIVA_BOOST_WORD_LEN
#define RIVAMSG_MAX_LANGUAGE_LEN	35	/* BCP-47 tag */
#define RIVAMSG_MAX_MODEL_LEN		256
#define RIVAMSG_MAX_MODELS		128	/* in a config response */
#define RIVAMSG_SAMPLE_RATE_MIN		8000
#define RIVAMSG_SAMPLE_RATE_MAX		48000

/* Optional endpointing (riva_asr.proto EndpointingConfig); a field is sent
 * only when its has_ flag is set. */
struct rivamsg_endpointing {
	int		 has_start_history;
	int32_t		 start_history;		/* ms */
	int		 has_start_threshold;
	float		 start_threshold;	/* 0.0 .. 1.0 */
	int		 has_stop_history;
	int32_t		 stop_history;		/* ms */
	int		 has_stop_threshold;
	float		 stop_threshold;
	int		 has_stop_history_eou;
	int32_t		 stop_history_eou;
	int		 has_stop_threshold_eou;
	float		 stop_threshold_eou;
};

/* What one recognition asks for.  Strings are borrowed for the call only.
 * Encoding is always LINEAR_PCM (16-bit signed little-endian), mono. */
struct rivamsg_config {
	int32_t			 sample_rate_hz;	/* 8000..48000 */
	const char		*language;		/* "en-US"; NULL or "" = en-US */
	int32_t			 max_alternatives;	/* 0 = server default (1) */
	int			 punctuation;		/* enable_automatic_punctuation */
	int			 interim_results;
	int			 word_time_offsets;
	int			 profanity_filter;
	int			 verbatim_transcripts;
	const char		*model;			/* NULL or "" = server picks */
	const char *const	*boost_words;		/* speech_contexts[0].phrases */
	size_t			 nboost_words;
	float			 boost_score;		/* speech_contexts[0].boost */
	const struct rivamsg_endpointing *endpointing;	/* NULL = not sent */
};

struct rivamsg_word {
	char		*word;
	int32_t		 start_ms;
	int32_t		 end_ms;
	float		 confidence;
	int32_t		 speaker_tag;
};

struct rivamsg_alternative {
	char			*transcript;	/* never NULL, may be "" */
	float			 confidence;
	struct rivamsg_word	*words;
	size_t			 nwords;
};

struct rivamsg_result {
	int				 is_final;
	float				 stability;
	int32_t				 channel_tag;
	float				 audio_processed;	/* seconds */
	struct rivamsg_alternative	*alts;
	size_t				 nalts;
};

/* One decoded StreamingRecognizeResponse; every result it carried, in
 * order. */
struct rivamsg_response {
	struct rivamsg_result	*results;
	size_t			 nresults;
	char			*request_id;	/* NULL if absent */
};

/* Health (grpc.health.v1.HealthCheckResponse.ServingStatus values). */
enum rivamsg_health {
	RIVAMSG_HEALTH_UNKNOWN = 0,
	RIVAMSG_HEALTH_SERVING = 1,
	RIVAMSG_HEALTH_NOT_SERVING = 2,
	RIVAMSG_HEALTH_SERVICE_UNKNOWN = 3,
	/* not on the wire: the server answered the check UNIMPLEMENTED (it
	 * has no grpc.health.v1 service, as NVIDIA's mock Riva) */
	RIVAMSG_HEALTH_NO_SERVICE = 100,
};

/*
 * Check a config against the bounds above.  Returns ERR_OK or ERR_FIELD
 * (ERR_TOO_LARGE for too many or too long boost words) and, if field is not
 * NULL, points *field at the offending field's name (static string).
 */
enum err	rivamsg_config_check(const struct rivamsg_config *,
		    const char **field);

/*
 * Encode the first StreamingRecognizeRequest: only streaming_config, with
 * encoding LINEAR_PCM and audio_channel_count 1.  On ERR_OK *out is a
 * malloc'd buffer of *outlen bytes the caller frees.  Errors: those of
 * rivamsg_config_check(), ERR_NOMEM.
 */
enum err	rivamsg_encode_config(const struct rivamsg_config *,
		    uint8_t **out, size_t *outlen);

/*
 * Size of the audio request for len bytes of audio, and encoding it into
 * buf (which must hold rivamsg_audio_size(len) bytes); returns the bytes
 * written.  The request carries only audio_content.
 */
size_t		rivamsg_audio_size(size_t len);
size_t		rivamsg_encode_audio(const void *pcm, size_t len, uint8_t *buf);

/*
 * Decode a StreamingRecognizeResponse.  On ERR_OK *resp is filled and
 * owned by the caller (rivamsg_response_clear()).  Errors: ERR_UPSTREAM for
 * bytes that are not a valid response, ERR_TOO_LARGE when over the
 * RIVAMSG_MAX_* bounds, ERR_NOMEM.  On error *resp is left empty.
 */
enum err	rivamsg_decode_response(const uint8_t *buf, size_t len,
		    struct rivamsg_response *resp);
/* Free what a response holds and zero it; safe on a zeroed struct. */
void		rivamsg_response_clear(struct rivamsg_response *);

/*
 * The interim text of a response: the top alternatives of its non-final
 * results joined in order (with a single space between non-empty pieces).
 * Returns a malloc'd string (caller frees), "" if there is none, NULL only
 * when out of memory.
 */
char		*rivamsg_partial_text(const struct rivamsg_response *);

/* Encode a grpc.health.v1.HealthCheckRequest for service (NULL = "").
 * *out is malloc'd; ERR_NOMEM or ERR_FIELD (service longer than 256). */
enum err	rivamsg_encode_health_request(const char *service,
		    uint8_t **out, size_t *outlen);
/* Decode a HealthCheckResponse; ERR_UPSTREAM if malformed. */
enum err	rivamsg_decode_health_response(const uint8_t *buf, size_t len,
		    enum rivamsg_health *status);
/* "SERVING", "NOT_SERVING", "UNKNOWN", "SERVICE_UNKNOWN",
 * "no_health_service". */
const char	*rivamsg_health_name(enum rivamsg_health);

/*
 * GetRivaSpeechRecognitionConfig: the recognition models Riva serves, each
 * with the language_code parameter Riva selects models by (NULL if the
 * model has none).
 */
struct rivamsg_model {
	char		*name;
	char		*language;
};

struct rivamsg_models {
	struct rivamsg_model *v;
	size_t		 n;
};

/* Encode a RivaSpeechRecognitionConfigRequest (every model); *out is
 * malloc'd; ERR_NOMEM. */
enum err	rivamsg_encode_models_request(uint8_t **out, size_t *outlen);
/*
 * Decode a RivaSpeechRecognitionConfigResponse.  On ERR_OK *models is
 * filled (rivamsg_models_clear()).  ERR_UPSTREAM if malformed or a name
 * or language is empty, over RIVAMSG_MAX_MODEL_LEN /
 * RIVAMSG_MAX_LANGUAGE_LEN or not printable ASCII; ERR_TOO_LARGE over
 * RIVAMSG_MAX_MODELS models; ERR_NOMEM.
 */
enum err	rivamsg_decode_models_response(const uint8_t *buf, size_t len,
		    struct rivamsg_models *models);
void		rivamsg_models_clear(struct rivamsg_models *);

#endif /* RIVAMSG_H */
