-- 0062 (issue 14): reads scoped to a production. A post or editor token that serves one
-- production (tokens.production_id, migration 0020) sees only that production's clips, cards,
-- days, files, renditions, jobs and events; anything else answers 404 as if it did not exist.
-- These functions say which production a row belongs to; events keep theirs in a column, set
-- when the event is recorded (its subject may be deleted later). Host paths (volume mounts,
-- card sources, errors naming files) are cut out of what editors and post houses read.

-- A text as a bigint id, or NULL when it is not one.
CREATE FUNCTION setpost_bigint(t text) RETURNS bigint IMMUTABLE LANGUAGE sql AS $$
	SELECT CASE WHEN t ~ '^[0-9]{1,18}$' THEN t::bigint END
$$;

-- The production of a job, from its payload: the clip, card, day, delivery or hook it is for,
-- or the production it names. NULL: none (a job for the whole cart).
CREATE FUNCTION setpost_job_production(payload jsonb) RETURNS bigint STABLE LANGUAGE sql AS $$
	SELECT coalesce(
		(SELECT d.production_id FROM clips c JOIN cards k ON k.id = c.card_id
			JOIN days d ON d.id = k.day_id WHERE c.id = setpost_bigint(payload->>'clip_id')),
		(SELECT d.production_id FROM cards k JOIN days d ON d.id = k.day_id
			WHERE k.id = setpost_bigint(payload->>'card_id')),
		(SELECT production_id FROM days WHERE id = setpost_bigint(payload->>'day_id')),
		(SELECT t.production_id FROM deliveries dl JOIN targets t ON t.id = dl.target_id
			WHERE dl.id = setpost_bigint(payload->>'delivery_id')),
		(SELECT production_id FROM webhooks WHERE id = setpost_bigint(payload->>'webhook_id')),
		(SELECT id FROM productions WHERE id = setpost_bigint(payload->>'production_id')),
		(SELECT id FROM productions WHERE name = payload->>'production'))
$$;

-- The production a thing of a kind belongs to (the kinds of the API's paths and of events'
-- subjects), or NULL when it has none or does not exist.
CREATE FUNCTION setpost_production_of(kind text, sid bigint) RETURNS bigint STABLE
LANGUAGE plpgsql AS $$
BEGIN
	RETURN CASE kind
		WHEN 'production' THEN (SELECT id FROM productions WHERE id = sid)
		WHEN 'day' THEN (SELECT production_id FROM days WHERE id = sid)
		WHEN 'card' THEN (SELECT d.production_id FROM cards k JOIN days d ON d.id = k.day_id
			WHERE k.id = sid)
		WHEN 'clip' THEN (SELECT d.production_id FROM clips c JOIN cards k ON k.id = c.card_id
			JOIN days d ON d.id = k.day_id WHERE c.id = sid)
		WHEN 'file' THEN (SELECT d.production_id FROM files f JOIN cards k ON k.id = f.card_id
			JOIN days d ON d.id = k.day_id WHERE f.id = sid)
		WHEN 'rendition' THEN (SELECT d.production_id FROM renditions r JOIN clips c
			ON c.id = r.clip_id JOIN cards k ON k.id = c.card_id JOIN days d ON d.id = k.day_id
			WHERE r.id = sid)
		WHEN 'delivery' THEN (SELECT t.production_id FROM deliveries dl JOIN targets t
			ON t.id = dl.target_id WHERE dl.id = sid)
		WHEN 'target' THEN (SELECT production_id FROM targets WHERE id = sid)
		WHEN 'webhook' THEN (SELECT production_id FROM webhooks WHERE id = sid)
		WHEN 'lut' THEN (SELECT production_id FROM luts WHERE id = sid)
		WHEN 'delivery_rule' THEN (SELECT production_id FROM delivery_rules WHERE id = sid)
		WHEN 'job' THEN (SELECT setpost_job_production(payload) FROM jobs WHERE id = sid)
	END;
END $$;

-- Absolute host paths in a text cut to "<path>": a '/' that starts the text or follows a space,
-- quote, bracket, '=', ',' or ':' ("file:/mnt/x", ffmpeg's), and is not an API path
-- ("/api/...") nor the "//" of a URL ("https://h/x" is kept). Written for JSON text too: a
-- match stops before a quote or a backslash, so escapes survive.
CREATE FUNCTION setpost_redact_paths(t text) RETURNS text IMMUTABLE LANGUAGE sql AS $$
	SELECT regexp_replace(t, '(^|[[:space:]"''(\[=,:])/(?!api/|/)[^[:space:]"'',)\]\\]*', '\1<path>', 'g')
$$;
CREATE FUNCTION setpost_redact_paths(j jsonb) RETURNS jsonb IMMUTABLE LANGUAGE sql AS $$
	SELECT setpost_redact_paths(j::text)::jsonb
$$;

ALTER TABLE events ADD COLUMN production_id bigint;
UPDATE events SET production_id = coalesce(setpost_production_of(subject_type, subject_id),
	CASE WHEN data ? 'payload' THEN setpost_job_production(data->'payload') END,
	CASE WHEN subject_type NOT IN ('token', 'user') THEN setpost_bigint(data->>'production_id') END);
CREATE INDEX events_production ON events (production_id, id);

CREATE FUNCTION setpost_event_scope() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.production_id := coalesce(NEW.production_id,
		setpost_production_of(NEW.subject_type, NEW.subject_id),
		CASE WHEN NEW.data ? 'payload' THEN setpost_job_production(NEW.data->'payload') END,
		CASE WHEN NEW.subject_type NOT IN ('token', 'user')
			THEN setpost_bigint(NEW.data->>'production_id') END);
	RETURN NEW;
END $$;
CREATE TRIGGER events_scope BEFORE INSERT ON events
	FOR EACH ROW EXECUTE FUNCTION setpost_event_scope();
-- The same, only when cut is true (an admin reads host paths, everyone else not).
CREATE FUNCTION setpost_redact_paths(t text, cut boolean) RETURNS text IMMUTABLE LANGUAGE sql AS $$
	SELECT CASE WHEN cut THEN setpost_redact_paths(t) ELSE t END
$$;
