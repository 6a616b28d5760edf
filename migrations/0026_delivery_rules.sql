-- 0026: delivery rules. A production says once what goes to which target (proxies of some or
-- all profiles, camera originals, sound), and each rendition or file that matches is queued
-- for delivery the moment it is ready (lib/pipeline). A delivery made by a rule names it; a
-- rule delivers one thing to its target once (the unique indexes), however often it is asked.
CREATE TABLE delivery_rules (
	id            bigserial PRIMARY KEY,
	production_id bigint NOT NULL REFERENCES productions (id) ON DELETE CASCADE,
	target_id     bigint NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
	what          text NOT NULL CHECK (what IN ('proxies', 'originals', 'sound')),
	profiles      text[] NOT NULL DEFAULT '{}',   -- proxies: only these (empty: every profile)
	enabled       boolean NOT NULL DEFAULT true,
	created_at    timestamptz NOT NULL DEFAULT now(),
	UNIQUE (target_id, what)
);
CREATE INDEX delivery_rules_production ON delivery_rules (production_id) WHERE enabled;

ALTER TABLE deliveries ADD COLUMN rule_id bigint REFERENCES delivery_rules (id) ON DELETE SET NULL;
CREATE UNIQUE INDEX deliveries_rule_rendition ON deliveries (target_id, rendition_id)
	WHERE rule_id IS NOT NULL AND rendition_id IS NOT NULL;
CREATE UNIQUE INDEX deliveries_rule_file ON deliveries (target_id, file_id)
	WHERE rule_id IS NOT NULL AND file_id IS NOT NULL;
