-- Login throttling a third party cannot turn against the account's owner (issue 14).
-- Failures against an account from clients it does not know, whoever sent them: the account's
-- delay grows with them (capped), and they are forgotten after a quiet quarter of an hour.
CREATE TABLE login_account_failures (
	name       text PRIMARY KEY,
	failures   integer NOT NULL DEFAULT 0,
	last_at    timestamptz NOT NULL DEFAULT now()
);

-- Browsers that logged in to an account before (the sp_device cookie, SHA-256 stored): they
-- skip the account's delay, so failures sent by others never lock its owner out.
CREATE TABLE login_devices (
	hash       bytea PRIMARY KEY,
	name       text NOT NULL,
	last_ok    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_devices_name ON login_devices (name);
