-- 0014: the cart now records `delivery.verified` when a receiver's receipt confirms a delivery
-- (it used to record `delivery.delivered`): webhooks subscribed to delivery.verified get it.
-- The old name stays mapped, for events recorded before.
CREATE OR REPLACE FUNCTION setpost_webhook_type(kind text) RETURNS text IMMUTABLE LANGUAGE sql AS $$
	SELECT CASE kind
		WHEN 'clip.secured' THEN 'clip.secured'
		WHEN 'rendition.ready' THEN 'rendition.ready'
		WHEN 'delivery.verified' THEN 'delivery.verified'
		WHEN 'delivery.delivered' THEN 'delivery.verified'
		WHEN 'day.wrapped' THEN 'day.wrapped'
		WHEN 'job.failed' THEN 'job.failed'
	END
$$;
