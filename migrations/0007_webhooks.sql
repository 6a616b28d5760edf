-- 0007: webhooks. A post house registers a URL and the events it wants; each matching event
-- becomes one job of kind 'webhook' per subscribed hook, in the same transaction as the event
-- (a trigger on events, so no code path that records an event can forget it); the worker POSTs
-- the signed JSON and logs every attempt in webhook_deliveries.
--
-- Order: one hook's jobs form a chain. A job is created runnable only when the hook has no
-- job queued or running; otherwise it waits with run_after = 'infinity' (never claimable) and
-- the next one is released when the one before it ends (done, dead or canceled). So a hook has
-- at most one delivery in flight, and deliveries go out in the order the events were committed,
-- a retried one holding back those after it. The hook's row is locked (FOR NO KEY UPDATE) by
-- both sides so that building and releasing the chain cannot miss each other.

CREATE TABLE webhooks (
	id                   bigserial PRIMARY KEY,
	production_id        bigint REFERENCES productions (id) ON DELETE CASCADE, -- NULL: every production
	url                  text NOT NULL CHECK (url ~ '^https?://[^/?#@[:space:]]+' AND length(url) <= 2000),
	description          text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
	events               text[] NOT NULL CHECK (cardinality(events) >= 1 AND events <@
	                     ARRAY['clip.secured', 'rendition.ready', 'delivery.verified', 'day.wrapped',
	                           'job.failed']::text[]),
	-- The signing secret, sealed under the server key (lib/sealed.h) like targets' headers: the
	-- worker needs it in the clear to sign, so it cannot be a hash; a database dump without
	-- DATA/keys/server.key does not reveal it.
	secret_sealed        bytea NOT NULL,
	enabled              boolean NOT NULL DEFAULT true,
	disabled_reason      text,
	failure_limit        integer NOT NULL DEFAULT 10 CHECK (failure_limit BETWEEN 1 AND 100),
	consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
	created_by           text NOT NULL,
	created_by_user_id   bigint,
	created_by_token_id  bigint,
	created_at           timestamptz NOT NULL DEFAULT now(),
	updated_at           timestamptz NOT NULL DEFAULT now()
);

-- Every attempt to deliver one event to one hook.
CREATE TABLE webhook_deliveries (
	id          bigserial PRIMARY KEY,
	webhook_id  bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	event_id    bigint REFERENCES events (id) ON DELETE SET NULL,
	event_type  text NOT NULL,
	job_id      bigint,
	attempt     integer NOT NULL CHECK (attempt >= 1),
	http_status integer,          -- NULL: no answer (refused, timed out)
	error       text,             -- NULL: delivered (2xx)
	duration_ms integer NOT NULL CHECK (duration_ms >= 0),
	sent_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);

CREATE INDEX jobs_webhook_pending ON jobs (((payload->>'webhook_id')::bigint), id)
	WHERE kind = 'webhook' AND state IN ('queued', 'running');

-- The webhook event type of an event kind, or NULL. delivery.delivered is what workers/job_upload.c
-- records when the receiver's receipt says verified.
CREATE FUNCTION setpost_webhook_type(kind text) RETURNS text IMMUTABLE LANGUAGE sql AS $$
	SELECT CASE kind
		WHEN 'clip.secured' THEN 'clip.secured'
		WHEN 'rendition.ready' THEN 'rendition.ready'
		WHEN 'delivery.delivered' THEN 'delivery.verified'
		WHEN 'day.wrapped' THEN 'day.wrapped'
		WHEN 'job.failed' THEN 'job.failed'
	END
$$;

-- The production an event belongs to, when its subject says (NULL otherwise: only hooks for
-- every production get it).
CREATE FUNCTION setpost_event_production(st text, sid bigint, data jsonb) RETURNS bigint
STABLE LANGUAGE sql AS $$
	SELECT CASE st
		WHEN 'day' THEN (SELECT production_id FROM days WHERE id = sid)
		WHEN 'card' THEN (SELECT d.production_id FROM cards k JOIN days d ON d.id = k.day_id
			WHERE k.id = sid)
		WHEN 'clip' THEN (SELECT d.production_id FROM clips c JOIN cards k ON k.id = c.card_id
			JOIN days d ON d.id = k.day_id WHERE c.id = sid)
		WHEN 'rendition' THEN (SELECT d.production_id FROM renditions r JOIN clips c
			ON c.id = r.clip_id JOIN cards k ON k.id = c.card_id JOIN days d ON d.id = k.day_id
			WHERE r.id = sid)
		WHEN 'delivery' THEN (SELECT t.production_id FROM deliveries dl JOIN targets t
			ON t.id = dl.target_id WHERE dl.id = sid)
		WHEN 'job' THEN (SELECT d.production_id FROM clips c JOIN cards k ON k.id = c.card_id
			JOIN days d ON d.id = k.day_id
			WHERE c.id = CASE WHEN data->'payload'->>'clip_id' ~ '^[0-9]{1,18}$'
				THEN (data->'payload'->>'clip_id')::bigint END)
	END
$$;

-- Queues the delivery of event ev (of webhook type typ) to hook: runnable now if the hook has
-- nothing queued or running, else waiting for the chain (see the top of this file).
CREATE FUNCTION setpost_webhook_enqueue(hook bigint, ev bigint, typ text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	busy boolean;
	jid bigint;
BEGIN
	PERFORM 1 FROM webhooks WHERE id = hook FOR NO KEY UPDATE;
	busy := EXISTS (SELECT 1 FROM jobs WHERE kind = 'webhook' AND state IN ('queued', 'running')
		AND (payload->>'webhook_id')::bigint = hook);
	INSERT INTO jobs (kind, payload, priority, max_attempts, run_after)
	VALUES ('webhook', jsonb_build_object('webhook_id', hook, 'event_id', ev, 'type', typ), 0, 12,
		CASE WHEN busy THEN 'infinity'::timestamptz ELSE now() END)
	RETURNING id INTO jid;
	RETURN jid;
END $$;

CREATE FUNCTION setpost_webhook_dispatch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	typ text := setpost_webhook_type(NEW.kind);
	prod bigint;
	h record;
BEGIN
	IF typ IS NULL THEN
		RETURN NULL;
	END IF;
	prod := setpost_event_production(NEW.subject_type, NEW.subject_id, NEW.data);
	-- In id order, so two transactions lock the same hooks in the same order.
	FOR h IN SELECT id FROM webhooks WHERE enabled AND typ = ANY (events)
		AND (production_id IS NULL OR production_id = prod) ORDER BY id
	LOOP
		PERFORM setpost_webhook_enqueue(h.id, NEW.id, typ);
	END LOOP;
	RETURN NULL;
END $$;
CREATE TRIGGER events_webhooks AFTER INSERT ON events
	FOR EACH ROW EXECUTE FUNCTION setpost_webhook_dispatch();

-- A hook's job ended: release the next one in its chain.
CREATE FUNCTION setpost_webhook_release() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	hook bigint := (NEW.payload->>'webhook_id')::bigint;
	nxt bigint;
BEGIN
	PERFORM 1 FROM webhooks WHERE id = hook FOR NO KEY UPDATE;
	SELECT id INTO nxt FROM jobs WHERE kind = 'webhook' AND state IN ('queued', 'running')
		AND (payload->>'webhook_id')::bigint = hook ORDER BY id LIMIT 1;
	IF nxt IS NOT NULL THEN
		UPDATE jobs SET run_after = now() WHERE id = nxt AND state = 'queued'
			AND run_after = 'infinity';
		IF FOUND THEN
			-- run_after is not a state change, so jobs_notify does not wake the workers.
			PERFORM pg_notify('setpost_jobs', 'webhook');
		END IF;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER jobs_webhook_release AFTER UPDATE OF state ON jobs
	FOR EACH ROW WHEN (NEW.kind = 'webhook' AND NEW.state IN ('done', 'dead', 'canceled')
		AND OLD.state IN ('queued', 'running'))
	EXECUTE FUNCTION setpost_webhook_release();

-- A job that dies after its last attempt (or a permanent failure, or a lease that ran out with
-- no attempts left) is an event, whichever code path killed it. Webhook jobs are left out: a
-- failing hook is reported by its delivery log and webhook.disabled, and must not feed itself.
CREATE FUNCTION setpost_job_failed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO events (kind, subject_type, subject_id, data)
	VALUES ('job.failed', 'job', NEW.id, jsonb_build_object('kind', NEW.kind,
		'attempts', NEW.attempts, 'max_attempts', NEW.max_attempts, 'error', NEW.last_error,
		'payload', NEW.payload));
	RETURN NULL;
END $$;
CREATE TRIGGER jobs_failed AFTER UPDATE OF state ON jobs
	FOR EACH ROW WHEN (NEW.state = 'dead' AND OLD.state <> 'dead' AND NEW.kind <> 'webhook')
	EXECUTE FUNCTION setpost_job_failed();
