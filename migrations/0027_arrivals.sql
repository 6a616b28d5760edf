-- 0027: arrivals at the post house. A verified upload is an arrival: when it was verified
-- (verified_at) orders GET /api/v1/arrivals, newest first, and arrival.verified reaches
-- webhooks (for hooks of every production: the cart's production is a name in the upload's
-- metadata, not one of the post house's productions). The lists below keep every event of
-- 0015_verifications.sql (copy.failed, card.unsafe) and add arrival.verified.
ALTER TABLE uploads ADD COLUMN verified_at timestamptz;
UPDATE uploads SET verified_at = updated_at WHERE state = 'verified';
ALTER TABLE uploads ADD CHECK (state <> 'verified' OR verified_at IS NOT NULL);
CREATE INDEX uploads_arrivals ON uploads (verified_at DESC, id DESC) WHERE state = 'verified';

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
		WHEN 'arrival.verified' THEN 'arrival.verified'
	END
$$;

ALTER TABLE webhooks DROP CONSTRAINT webhooks_events_check;
ALTER TABLE webhooks ADD CONSTRAINT webhooks_events_check CHECK (cardinality(events) >= 1 AND
	events <@ ARRAY['clip.secured', 'rendition.ready', 'delivery.verified', 'day.wrapped',
	                'job.failed', 'copy.failed', 'card.unsafe', 'arrival.verified']::text[]);
