-- 0013: tell the servers when what they may have cached changes. `setpost serve` keeps answers
-- (clip pages, who a token is) in memory and serves them again until a NOTIFY says the tables
-- behind them changed; a notification is sent at commit, once per channel and table per
-- transaction, by whichever process wrote (a worker, the CLI, another server, psql).
-- Statement-level triggers: one notification per statement, not per row.

CREATE FUNCTION setpost_notify_data() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('setpost_data', TG_TABLE_NAME);
	RETURN NULL;
END $$;

DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['productions', 'days', 'volumes', 'volume_mounts', 'cards', 'clips',
	    'files', 'hashes', 'copies', 'renditions', 'targets', 'deliveries', 'clip_media',
	    'clip_thumbnails', 'card_contact_sheets', 'clip_qc', 'qc_flags', 'luts', 'scene_looks',
	    'clip_sound']
	LOOP
		EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I'
		    ' FOR EACH STATEMENT EXECUTE FUNCTION setpost_notify_data()', t || '_changed', t);
	END LOOP;
END $$;

-- Credentials: only the changes that can take a right away (revocation, a new role, a disabled
-- user, a session ended). A token's last_used_at is written once a minute and must not flush.
CREATE FUNCTION setpost_notify_auth() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('setpost_auth', TG_TABLE_NAME);
	RETURN NULL;
END $$;

CREATE TRIGGER tokens_auth_changed AFTER UPDATE OF revoked_at, role, name, user_id OR DELETE
	OR TRUNCATE ON tokens FOR EACH STATEMENT EXECUTE FUNCTION setpost_notify_auth();
CREATE TRIGGER users_auth_changed AFTER UPDATE OR DELETE OR TRUNCATE ON users
	FOR EACH STATEMENT EXECUTE FUNCTION setpost_notify_auth();
CREATE TRIGGER sessions_auth_changed AFTER UPDATE OR DELETE OR TRUNCATE ON sessions
	FOR EACH STATEMENT EXECUTE FUNCTION setpost_notify_auth();
