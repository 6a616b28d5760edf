-- 0003: the receiving side of deliveries (a post house's setpost): tus uploads and their
-- receipts. The bytes live in files under the uploads root; the offset here is the truth
-- after a crash (a longer file is cut back to it).

CREATE TABLE uploads (
	id           text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{32}$'),
	length       bigint NOT NULL CHECK (length >= 0),
	"offset"     bigint NOT NULL DEFAULT 0 CHECK ("offset" >= 0 AND "offset" <= length),
	metadata     text NOT NULL DEFAULT '',           -- the Upload-Metadata header as sent
	meta         jsonb NOT NULL DEFAULT '{}',        -- decoded: filename, clip, size, xxh64 ...
	state        text NOT NULL DEFAULT 'receiving'
	             CHECK (state IN ('receiving', 'verifying', 'verified', 'received', 'failed', 'terminated')),
	reason       text,
	plain_size   bigint,
	plain_xxh64  text,
	stored_path  text,
	token_id     bigint REFERENCES tokens (id) ON DELETE SET NULL,
	created_at   timestamptz NOT NULL DEFAULT now(),
	updated_at   timestamptz NOT NULL DEFAULT now(),
	expires_at   timestamptz NOT NULL,
	completed_at timestamptz,
	CHECK (state <> 'verified' OR (plain_size IS NOT NULL AND plain_xxh64 IS NOT NULL))
);
CREATE INDEX uploads_expiry ON uploads (expires_at) WHERE state = 'receiving';
