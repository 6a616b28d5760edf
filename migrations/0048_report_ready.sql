-- 0048: report.ready reaches webhooks: a card's offload report is ready when the card is
-- registered (GET /api/v1/cards/{id}/report; setpost offload and the offload job have written it
-- beside each copy), a day's report when the day is wrapped (GET /api/v1/days/{id}/report). The
-- lists below keep every event of 0027_arrivals.sql and add report.ready.
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
		WHEN 'report.ready' THEN 'report.ready'
	END
$$;

ALTER TABLE webhooks DROP CONSTRAINT webhooks_events_check;
ALTER TABLE webhooks ADD CONSTRAINT webhooks_events_check CHECK (cardinality(events) >= 1 AND
	events <@ ARRAY['clip.secured', 'rendition.ready', 'delivery.verified', 'day.wrapped',
	                'job.failed', 'copy.failed', 'card.unsafe', 'arrival.verified',
	                'report.ready']::text[]);
