-- 002_outbox_by_session.sql: find one session's outbox rows without a scan.
--
-- The API claims the work of the session it just changed (its immediate
-- attempt after each commit); with a backlog of other sessions' rows (S3 or
-- EventBridge down) that must not walk the whole outbox.

CREATE INDEX outbox_session ON outbox(session_id, dead, next_attempt_ms);
