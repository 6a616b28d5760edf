-- 0001: the core model of setpost (DESIGN.md): a production shoots days; a day has cards;
-- a card has clips; a clip has files; each file has hashes and copies on volumes; clips get
-- renditions, renditions get deliveries to targets; background work is jobs; what happened is
-- events; people and programs are users and tokens.

CREATE TABLE productions (
	id              bigserial PRIMARY KEY,
	name            text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
	required_copies integer NOT NULL DEFAULT 2 CHECK (required_copies BETWEEN 1 AND 10),
	hash_algorithm  text NOT NULL DEFAULT 'xxh64'
	                CHECK (hash_algorithm IN ('xxh64', 'xxh3', 'xxh128', 'md5', 'sha1', 'c4')),
	settings        jsonb NOT NULL DEFAULT '{}',
	created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE days (
	id            bigserial PRIMARY KEY,
	production_id bigint NOT NULL REFERENCES productions (id) ON DELETE CASCADE,
	shoot_date    date NOT NULL,
	label         text NOT NULL DEFAULT '',
	wrapped_at    timestamptz,
	created_at    timestamptz NOT NULL DEFAULT now(),
	UNIQUE (production_id, shoot_date)
);

-- A volume is a disk or share holding copies. It is known by its device and filesystem
-- identity, not only by a path, so two copies on one disk count once.
CREATE TABLE volumes (
	id         bigserial PRIMARY KEY,
	name       text NOT NULL,
	kind       text NOT NULL DEFAULT 'disk' CHECK (kind IN ('disk', 'raid', 'shuttle', 'lto', 'nas', 'cloud', 'card')),
	fs_uuid    text,
	device_id  text,
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (fs_uuid)
);

-- Where each host mounts a volume: paths in the database are relative to the volume.
CREATE TABLE volume_mounts (
	volume_id  bigint NOT NULL REFERENCES volumes (id) ON DELETE CASCADE,
	host       text NOT NULL,
	mount_path text NOT NULL,
	PRIMARY KEY (volume_id, host)
);

CREATE TABLE cards (
	id         bigserial PRIMARY KEY,
	day_id     bigint NOT NULL REFERENCES days (id) ON DELETE CASCADE,
	label      text NOT NULL CHECK (length(label) BETWEEN 1 AND 64),
	kind       text NOT NULL DEFAULT 'camera' CHECK (kind IN ('camera', 'sound')),
	camera     text,
	vendor     text,
	reel       text,
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (day_id, label)
);

CREATE TABLE clips (
	id              bigserial PRIMARY KEY,
	card_id         bigint NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
	name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
	state           text NOT NULL DEFAULT 'registered'
	                CHECK (state IN ('registered', 'secured', 'proxied', 'delivered',
	                                 'copy_failed', 'qc_hold', 'transcode_failed', 'upload_failed')),
	state_reason    text,
	scene           text,
	take            text,
	circled         boolean NOT NULL DEFAULT false,
	notes           text NOT NULL DEFAULT '',
	camera          text,
	reel            text,
	start_tc        text,
	fps_num         integer CHECK (fps_num > 0),
	fps_den         integer CHECK (fps_den > 0),
	duration_frames bigint CHECK (duration_frames >= 0),
	width           integer,
	height          integer,
	codec           text,
	metadata        jsonb NOT NULL DEFAULT '{}',
	look            jsonb,
	created_at      timestamptz NOT NULL DEFAULT now(),
	updated_at      timestamptz NOT NULL DEFAULT now(),
	UNIQUE (card_id, name)
);
CREATE INDEX clips_state ON clips (state);
CREATE INDEX clips_scene_take ON clips (scene, take);
CREATE INDEX clips_circled ON clips (card_id) WHERE circled;
CREATE INDEX clips_created ON clips (created_at, id);

CREATE TABLE files (
	id         bigserial PRIMARY KEY,
	card_id    bigint NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
	clip_id    bigint REFERENCES clips (id) ON DELETE SET NULL,
	rel_path   text NOT NULL CHECK (length(rel_path) BETWEEN 1 AND 4096),
	size       bigint NOT NULL CHECK (size >= 0),
	mtime      timestamptz,
	role       text NOT NULL DEFAULT 'media' CHECK (role IN ('media', 'segment', 'sidecar', 'index', 'other')),
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (card_id, rel_path)
);
CREATE INDEX files_clip ON files (clip_id);

CREATE TABLE hashes (
	file_id     bigint NOT NULL REFERENCES files (id) ON DELETE CASCADE,
	algorithm   text NOT NULL CHECK (algorithm IN ('xxh64', 'xxh3', 'xxh128', 'md5', 'sha1', 'c4')),
	value       text NOT NULL CHECK (length(value) BETWEEN 8 AND 128),
	computed_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (file_id, algorithm)
);

CREATE TABLE copies (
	id          bigserial PRIMARY KEY,
	file_id     bigint NOT NULL REFERENCES files (id) ON DELETE CASCADE,
	volume_id   bigint NOT NULL REFERENCES volumes (id),
	rel_path    text NOT NULL,
	state       text NOT NULL DEFAULT 'copying' CHECK (state IN ('copying', 'verified', 'failed', 'missing')),
	verified_at timestamptz,
	error       text,
	created_at  timestamptz NOT NULL DEFAULT now(),
	UNIQUE (file_id, volume_id, rel_path),
	CHECK (state <> 'verified' OR verified_at IS NOT NULL)
);
CREATE INDEX copies_file_verified ON copies (file_id) WHERE state = 'verified';

CREATE TABLE renditions (
	id          bigserial PRIMARY KEY,
	clip_id     bigint NOT NULL REFERENCES clips (id) ON DELETE CASCADE,
	profile     text NOT NULL,
	state       text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
	volume_id   bigint REFERENCES volumes (id),
	rel_path    text,
	size        bigint CHECK (size >= 0),
	xxh64       text,
	error       text,
	created_at  timestamptz NOT NULL DEFAULT now(),
	finished_at timestamptz,
	UNIQUE (clip_id, profile),
	CHECK (state <> 'done' OR (rel_path IS NOT NULL AND xxh64 IS NOT NULL))
);

CREATE TABLE targets (
	id              bigserial PRIMARY KEY,
	production_id   bigint NOT NULL REFERENCES productions (id) ON DELETE CASCADE,
	name            text NOT NULL,
	url             text NOT NULL CHECK (url ~ '^https?://'),
	recipient       text NOT NULL CHECK (recipient ~ '^age1[0-9a-z]+$'),
	headers_sealed  bytea,
	bandwidth_limit bigint CHECK (bandwidth_limit > 0),
	enabled         boolean NOT NULL DEFAULT true,
	created_at      timestamptz NOT NULL DEFAULT now(),
	UNIQUE (production_id, name)
);

CREATE TABLE deliveries (
	id           bigserial PRIMARY KEY,
	target_id    bigint NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
	rendition_id bigint REFERENCES renditions (id) ON DELETE CASCADE,
	file_id      bigint REFERENCES files (id) ON DELETE CASCADE,
	state        text NOT NULL DEFAULT 'queued'
	             CHECK (state IN ('queued', 'uploading', 'uploaded', 'delivered', 'failed')),
	upload_url   text,
	bytes_sent   bigint NOT NULL DEFAULT 0 CHECK (bytes_sent >= 0),
	bytes_total  bigint CHECK (bytes_total >= 0),
	key_sealed   bytea,
	receipt      jsonb,
	error        text,
	created_at   timestamptz NOT NULL DEFAULT now(),
	updated_at   timestamptz NOT NULL DEFAULT now(),
	CHECK ((rendition_id IS NULL) <> (file_id IS NULL)),
	CHECK (state <> 'delivered' OR receipt IS NOT NULL)
);
CREATE INDEX deliveries_state ON deliveries (state);

-- The job queue: claimed with FOR UPDATE SKIP LOCKED, held by a lease the worker renews.
CREATE TABLE jobs (
	id               bigserial PRIMARY KEY,
	kind             text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]{0,31}$'),
	state            text NOT NULL DEFAULT 'queued'
	                 CHECK (state IN ('queued', 'running', 'done', 'dead', 'canceled')),
	priority         integer NOT NULL DEFAULT 0,
	payload          jsonb NOT NULL DEFAULT '{}',
	result           jsonb,
	attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	max_attempts     integer NOT NULL DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 100),
	run_after        timestamptz NOT NULL DEFAULT now(),
	lease_until      timestamptz,
	worker           text,
	progress         real NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
	progress_text    text NOT NULL DEFAULT '',
	cancel_requested boolean NOT NULL DEFAULT false,
	last_error       text,
	created_at       timestamptz NOT NULL DEFAULT now(),
	started_at       timestamptz,
	finished_at      timestamptz,
	CHECK (state <> 'running' OR lease_until IS NOT NULL)
);
CREATE INDEX jobs_ready ON jobs (priority DESC, run_after, id) WHERE state = 'queued';
CREATE INDEX jobs_leases ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_kind_state ON jobs (kind, state);

CREATE TABLE events (
	id           bigserial PRIMARY KEY,
	at           timestamptz NOT NULL DEFAULT now(),
	actor        text NOT NULL DEFAULT 'system',
	kind         text NOT NULL,
	subject_type text,
	subject_id   bigint,
	data         jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX events_subject ON events (subject_type, subject_id, id);

CREATE TABLE users (
	id            bigserial PRIMARY KEY,
	name          text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
	role          text NOT NULL CHECK (role IN ('admin', 'editor', 'post')),
	password_hash text NOT NULL,
	disabled      boolean NOT NULL DEFAULT false,
	created_at    timestamptz NOT NULL DEFAULT now()
);

-- API tokens: only a hash of the secret is kept.
CREATE TABLE tokens (
	id           bigserial PRIMARY KEY,
	name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	role         text NOT NULL CHECK (role IN ('admin', 'editor', 'post')),
	hash         bytea NOT NULL UNIQUE,
	user_id      bigint REFERENCES users (id) ON DELETE CASCADE,
	created_at   timestamptz NOT NULL DEFAULT now(),
	last_used_at timestamptz,
	revoked_at   timestamptz
);

-- Live views (dashboard, workers) wake on NOTIFY instead of polling.
CREATE FUNCTION setpost_notify_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('setpost_events', NEW.id::text);
	RETURN NEW;
END $$;
CREATE TRIGGER events_notify AFTER INSERT ON events
	FOR EACH ROW EXECUTE FUNCTION setpost_notify_event();

CREATE FUNCTION setpost_notify_job() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.state = 'queued' THEN
		PERFORM pg_notify('setpost_jobs', NEW.kind);
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER jobs_notify AFTER INSERT OR UPDATE OF state ON jobs
	FOR EACH ROW EXECUTE FUNCTION setpost_notify_job();
