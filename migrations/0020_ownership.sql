-- 0020 (issue 14): who made a token or a delivery target, and which production a token
-- serves. A post or editor token with a production sees and changes only that production's
-- webhooks, targets and deliveries, and of webhooks only those it made; admins see all.
-- NULL production: every production (admin tokens, and tokens made before this migration).
ALTER TABLE tokens ADD COLUMN production_id bigint REFERENCES productions (id) ON DELETE CASCADE;
ALTER TABLE tokens ADD COLUMN created_by text;
ALTER TABLE tokens ADD COLUMN created_by_user_id bigint;
ALTER TABLE tokens ADD COLUMN created_by_token_id bigint;
ALTER TABLE targets ADD COLUMN created_by text;
ALTER TABLE targets ADD COLUMN created_by_user_id bigint;
ALTER TABLE targets ADD COLUMN created_by_token_id bigint;
