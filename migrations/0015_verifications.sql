-- 0015: custody that never lies. Every check of a copy's bytes is kept (who, when, which
-- generation of which history, what it found), whoever made it: setpost's offload, a
-- registration from another tool's ASC MHL history, or `setpost verify`. A copy's state is the
-- result of its latest check (by checked_at, then id): lib/custody/verification.c is the one
-- place that writes copies.state from here on.
CREATE TABLE verifications (
	id          bigserial PRIMARY KEY,
	copy_id     bigint NOT NULL REFERENCES copies (id) ON DELETE CASCADE,
	checked_at  timestamptz NOT NULL,                 -- when the bytes were checked
	recorded_at timestamptz NOT NULL DEFAULT now(),
	actor       text NOT NULL,
	source      text NOT NULL CHECK (source IN ('offload', 'register', 'verify')),
	tool        text CHECK (length(tool) <= 200),
	generation  integer CHECK (generation >= 1),      -- of the copy's ASC MHL history, if known
	result      text NOT NULL CHECK (result IN ('verified', 'failed', 'missing')),
	algorithm   text,
	expected    text CHECK (length(expected) <= 200),
	found       text CHECK (length(found) <= 200),
	error       text CHECK (length(error) <= 2000)
);
CREATE INDEX verifications_latest ON verifications (copy_id, checked_at DESC, id DESC);

-- What was known before: each copy's state as one check at the time it was recorded.
INSERT INTO verifications (copy_id, checked_at, actor, source, result, error)
SELECT id, coalesce(verified_at, created_at), 'migration 0015', 'register', state, error
FROM copies WHERE state IN ('verified', 'failed', 'missing');

-- A copy found bad and a card no longer safe to format reach webhooks at once.
ALTER TABLE webhooks DROP CONSTRAINT webhooks_events_check;
ALTER TABLE webhooks ADD CONSTRAINT webhooks_events_check CHECK (cardinality(events) >= 1 AND
	events <@ ARRAY['clip.secured', 'rendition.ready', 'delivery.verified', 'day.wrapped',
	'job.failed', 'copy.failed', 'card.unsafe']::text[]);

CREATE OR REPLACE FUNCTION setpost_webhook_type(kind text) RETURNS text IMMUTABLE LANGUAGE sql AS $$
	SELECT CASE kind
		WHEN 'clip.secured' THEN 'clip.secured'
		WHEN 'rendition.ready' THEN 'rendition.ready'
		WHEN 'delivery.verified' THEN 'delivery.verified'
		WHEN 'delivery.delivered' THEN 'delivery.verified'
		WHEN 'day.wrapped' THEN 'day.wrapped'
		WHEN 'job.failed' THEN 'job.failed'
		WHEN 'copy.failed' THEN 'copy.failed'
		WHEN 'card.unsafe' THEN 'card.unsafe'
	END
$$;
