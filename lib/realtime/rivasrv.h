/*
 * rivasrv.h: the server side of Riva's ASR, health and model-list messages,
 * for audio-recognizer and the Riva stand-in of the tests: decode what a
 * client sent, encode what Riva answers.  The structs of the answers are
 * rivamsg.h's, shared with the client side.
 */
#ifndef RIVASRV_H
#define RIVASRV_H

#include "rivamsg.h"

enum rivasrv_request_kind {
	RIVASRV_REQ_EMPTY = 0,		/* neither field set */
	RIVASRV_REQ_CONFIG,		/* only streaming_config */
	RIVASRV_REQ_AUDIO,		/* only audio_content */
	RIVASRV_REQ_BOTH,		/* both on the wire: a protocol error */
};

/* A decoded StreamingRecognizeRequest; strings and audio are owned. */
struct rivasrv_request {
	enum rivasrv_request_kind kind;
	/* RIVASRV_REQ_CONFIG */
	int32_t		 encoding;		/* AudioEncoding value */
	int32_t		 sample_rate_hz;
	int32_t		 audio_channel_count;
	char		*language;
	char		*model;
	int32_t		 max_alternatives;
	int		 punctuation;
	int		 interim_results;
	int		 word_time_offsets;
	int		 profanity_filter;
	int		 verbatim_transcripts;
	char		**boost_words;		/* all phrases of all contexts */
	size_t		 nboost_words;
	float		 boost_score;		/* of the first context */
	int		 has_endpointing;
	struct rivamsg_endpointing endpointing;	/* has_ = value non-zero */
	/* RIVASRV_REQ_AUDIO */
	uint8_t		*audio;
	size_t		 audio_len;
};

/*
 * Decode a StreamingRecognizeRequest.  Unlike a plain protobuf parse it
 * notices when both oneof members are on the wire (RIVASRV_REQ_BOTH).
 * On ERR_OK *req is filled (rivasrv_request_clear()); ERR_INVAL if the
 * bytes are not a valid request; ERR_NOMEM.
 */
enum err	rivasrv_decode_request(const uint8_t *buf, size_t len,
		    struct rivasrv_request *req);
void		rivasrv_request_clear(struct rivasrv_request *);

/* Encode a StreamingRecognizeResponse with every result of resp; *out is
 * malloc'd.  ERR_NOMEM, or ERR_TOO_LARGE over the RIVAMSG_MAX_* bounds. */
enum err	rivasrv_encode_response(const struct rivamsg_response *,
		    uint8_t **out, size_t *outlen);

/* Health check, server side: decode a request's service name (malloc'd,
 * "" if absent; ERR_INVAL if malformed) and encode a response. */
enum err	rivasrv_decode_health_request(const uint8_t *buf, size_t len,
		    char **service);
enum err	rivasrv_encode_health_response(enum rivamsg_health,
		    uint8_t **out, size_t *outlen);

/* Model list, server side: encode a RivaSpeechRecognitionConfigResponse
 * (language "" or NULL: no language_code parameter).  ERR_NOMEM. */
enum err	rivasrv_encode_models_response(const struct rivamsg_models *,
		    uint8_t **out, size_t *outlen);

#endif /* RIVASRV_H */
