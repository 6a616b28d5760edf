-- 0002: dashboard sessions and the record of failed logins (for the slowdown).

CREATE TABLE sessions (
	hash        bytea PRIMARY KEY,               -- SHA-256 of the cookie's secret
	user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf        text NOT NULL,
	created_at  timestamptz NOT NULL DEFAULT now(),
	expires_at  timestamptz NOT NULL,
	CHECK (expires_at > created_at)
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- One row per (name, address): failures since the last success.
CREATE TABLE login_failures (
	name       text NOT NULL,
	address    text NOT NULL,
	failures   integer NOT NULL DEFAULT 0,
	last_at    timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (name, address)
);
