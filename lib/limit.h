/*
 * limit.h: every bound on input from outside, in one place.
 *
 * These are compile-time defaults and hard ceilings.  The ones a deployment
 * may want to change are also config keys (see conf/<program>.conf.example); a
 * config value is always checked against the *_MIN/_MAX pair here.
 */
#ifndef LIMIT_H
#define LIMIT_H

/* JSON request bodies (API). */
#define LIMIT_BODY_DEFAULT		(64 * 1024)
#define LIMIT_BODY_MIN			1024
#define LIMIT_BODY_MAX			(1024 * 1024)
#define LIMIT_JSON_DEPTH		16
#define LIMIT_JSON_STRING		4096

/* Audio chunks uploaded to S3. */
#define LIMIT_CHUNK_BYTES_DEFAULT	(5 * 1024 * 1024)
#define LIMIT_CHUNK_BYTES_MAX		(5LL * 1024 * 1024 * 1024)
#define LIMIT_CHUNKS_PER_SESSION	100000

/* Session and chunk fields the journal stores. */
#define LIMIT_CODEC_BYTES		31
#define LIMIT_USER_AGENT_BYTES		511	/* longer ones are cut */
#define LIMIT_CHUNK_HASH_BYTES		128	/* md5/sha256, hex or base64 */

/* Identity and key parts. */
#define LIMIT_TOKEN_BYTES		16384	/* whole compact JWT */
#define LIMIT_SUB_BYTES			128
#define LIMIT_SESSION_ID_BYTES		128
#define LIMIT_EXT_BYTES			8
#define LIMIT_S3_KEY_BYTES		1024	/* S3's own limit */

/* SigV4 presigned URLs: S3 accepts 1 s to 7 days. */
#define LIMIT_PRESIGN_EXPIRES_MIN	1
#define LIMIT_PRESIGN_EXPIRES_MAX	604800
#define LIMIT_PRESIGN_EXPIRES_DEFAULT	300

/* GET /api/audio/sessions: sessions per page. */
#define LIMIT_LIST_MAX			1000
/* S3 DeleteObjects takes at most this many keys per request. */
#define LIMIT_S3_DELETE_BATCH		1000
/* One S3 ListObjectsV2 answer (1000 keys of up to 1 KiB, escaped). */
#define LIMIT_S3_LIST_BYTES		(8 * 1024 * 1024)
/* An object's ETag as S3 answers it, quotes included (AWS: 34 bytes, a
 * multipart one a few more; other stores differ, none comes near). */
#define LIMIT_S3_ETAG_BYTES		128

/* SigV4 requests handed to lib/storage/sigv4.c (values from outside pass here). */
#define LIMIT_SIGV4_HEADERS		64	/* headers per request */
#define LIMIT_SIGV4_HEADER_BYTES	8192	/* one header value */
#define LIMIT_SIGV4_QUERY_PARAMS	128
#define LIMIT_SIGV4_URL_BYTES		8192	/* path, query, endpoint */
#define LIMIT_SIGV4_SECRET_BYTES	256
#define LIMIT_SIGV4_TOKEN_BYTES		8192	/* STS session token */

/* JWKS documents and key sets. */
#define LIMIT_JWKS_BYTES		(256 * 1024)
#define LIMIT_JWKS_KEYS			64
#define LIMIT_KID_BYTES			128
#define LIMIT_RSA_BITS_MIN		2048	/* smaller keys are refused */
#define LIMIT_RSA_BITS_MAX		8192	/* larger: a DoS, not a key */
#define LIMIT_JWKS_TTL_DEFAULT		3600	/* seconds */
#define LIMIT_JWKS_TTL_MIN		1
#define LIMIT_JWKS_TTL_MAX		(7 * 86400)
#define LIMIT_JWKS_REFETCH_SECONDS	10	/* unknown kid / failure */
#define LIMIT_JWKS_TIMEOUT_MS_DEFAULT	5000
#define LIMIT_JWKS_TIMEOUT_MS_MIN	100
#define LIMIT_JWKS_TIMEOUT_MS_MAX	60000

/* Cognito token verification. */
#define LIMIT_USERNAME_BYTES		128
#define LIMIT_EMAIL_BYTES		254
#define LIMIT_ISSUER_BYTES		512
#define LIMIT_CLIENT_IDS		16
#define LIMIT_CLIENT_ID_BYTES		128
#define LIMIT_JWT_LEEWAY_MAX		300	/* seconds */

/* Config files. */
#define LIMIT_CONF_LINE			4096

/* Durable delivery: AWS credentials and EventBridge answers. */
#define LIMIT_AWS_KEY_ID_BYTES		128
#define LIMIT_AWS_SECRET_BYTES		128
#define LIMIT_AWS_TOKEN_BYTES		8192	/* STS tokens vary in size */
#define LIMIT_AWS_CRED_FILE_BYTES	(256 * 1024)
#define LIMIT_AWS_CRED_DOC_BYTES	(64 * 1024)	/* ECS/IMDS answer */
#define LIMIT_EVENTBRIDGE_ANSWER_BYTES	(1024 * 1024)

/* Real-time path: WebSocket bridge (audio-bridge, lib/wsproto). */
#define LIMIT_WS_TEXT_BYTES		8192	/* one client JSON frame */
#define LIMIT_WS_LANGUAGE_BYTES		32	/* "en-US" */
#define LIMIT_WS_MODEL_BYTES		128
#define LIMIT_WS_HOTWORDS		100
#define LIMIT_WS_HOTWORD_BYTES		64
/* AudioCodes conversationId */
#define LIMIT_WS_CONVERSATION_BYTES	128
#define LIMIT_WS_RATE_MIN		8000	/* Hz */
#define LIMIT_WS_RATE_MAX		48000
#define LIMIT_WS_RATE_DEFAULT		16000
#define LIMIT_WS_FRAME_BYTES_MIN	320	/* one binary audio frame */
#define LIMIT_WS_FRAME_BYTES_MAX	(1024 * 1024)
#define LIMIT_WS_FRAME_BYTES_DEFAULT	(64 * 1024)
#define LIMIT_WS_CONNECTIONS_MIN	1
#define LIMIT_WS_CONNECTIONS_MAX	100000
#define LIMIT_WS_CONNECTIONS_DEFAULT	2000
#define LIMIT_WS_SESSION_SECONDS_MIN	1
#define LIMIT_WS_SESSION_SECONDS_MAX	86400
#define LIMIT_WS_SESSION_SECONDS_DEFAULT 3600
#define LIMIT_WS_IDLE_SECONDS_MIN	1
#define LIMIT_WS_IDLE_SECONDS_MAX	3600
#define LIMIT_WS_IDLE_SECONDS_DEFAULT	30
#define LIMIT_WS_SENDQ_BYTES_MIN	4096	/* queued server messages */
#define LIMIT_WS_SENDQ_BYTES_MAX	(16 * 1024 * 1024)
#define LIMIT_WS_SENDQ_BYTES_DEFAULT	(256 * 1024)
#define LIMIT_WS_SNDBUF_MIN		4096	/* kernel send buffer */
#define LIMIT_WS_SNDBUF_MAX		(16 * 1024 * 1024)
#define LIMIT_WS_DRAIN_SECONDS_MIN	0	/* SIGTERM: wait for finals */
#define LIMIT_WS_DRAIN_SECONDS_MAX	600
#define LIMIT_WS_DRAIN_SECONDS_DEFAULT	10
#define LIMIT_WS_ORIGINS		32	/* allowed Origin entries */
#define LIMIT_WS_ORIGIN_BYTES		256
#define LIMIT_WS_RESULT_WORDS		4096	/* words in one final */
#define LIMIT_WS_STAMP_BYTES		64	/* a ping's "timestamp" string */
/* `display` messages (lib/realtime/transcript.c): the finals kept in stable_text,
 * the oldest dropped from the front (a config key, display_stable_bytes). */
#define LIMIT_DISPLAY_STABLE_MIN	256
#define LIMIT_DISPLAY_STABLE_MAX	(64 * 1024)
#define LIMIT_DISPLAY_STABLE_DEFAULT	4096
/* Request heads the bridge's own listener reads at once (bridge/front.c),
 * and how many of them one client address may hold. */
#define LIMIT_FRONT_PENDING		512
#define LIMIT_FRONT_PER_ADDR_MIN	1
#define LIMIT_FRONT_PER_ADDR_DEFAULT	128

/* Real-time path: what a Riva response may make us hold (lib/realtime/rivamsg.h),
 * what a recognition config may carry, and the audio one stream may queue
 * towards Riva (lib/realtime/riva.h; a config key). */
#define LIMIT_RIVA_RESULTS		64	/* per response */
#define LIMIT_RIVA_ALTERNATIVES		16	/* per result */
#define LIMIT_RIVA_WORDS		4096	/* per response */
#define LIMIT_RIVA_TEXT			(64 * 1024)	/* one transcript */
#define LIMIT_RIVA_BOOST_WORDS		1000
#define LIMIT_RIVA_BOOST_WORD_LEN	256
#define LIMIT_RIVA_QUEUED_AUDIO_DEFAULT	(256 * 1024)	/* per stream */
#define LIMIT_RIVA_QUEUED_AUDIO_MIN	(16 * 1024)
#define LIMIT_RIVA_QUEUED_AUDIO_MAX	(16 * 1024 * 1024)
#define LIMIT_RIVA_AUDIO_CHUNK		(64 * 1024)	/* one frame handed over */

/* Real-time path: audio-recognizer (asr/), the PocketSphinx stand-in for
 * Riva.  Each stream holds a decoder of about 110 MB. */
#define LIMIT_ASR_STREAMS		64	/* max_streams */
#define LIMIT_ASR_WORKERS		64	/* decoding threads */

#endif /* LIMIT_H */
