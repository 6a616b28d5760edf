-- 0074: reports travel to the post house with the dailies. A delivery rule of what 'reports'
-- sends a production's paperwork as it is made: each card's offload report when the card is
-- registered, the day's report when the day is wrapped (the `report.ready` moments), as PDF,
-- HTML and CSV. A report sent is rendered once into the data folder (report_files), so a
-- resumed upload sends the same bytes; a delivery is of a rendition, a file or a report file.
ALTER TABLE delivery_rules DROP CONSTRAINT delivery_rules_what_check;
ALTER TABLE delivery_rules ADD CONSTRAINT delivery_rules_what_check
	CHECK (what IN ('proxies', 'originals', 'sound', 'reports'));

CREATE TABLE report_files (
	id            bigserial PRIMARY KEY,
	production_id bigint NOT NULL REFERENCES productions (id) ON DELETE CASCADE,
	day_id        bigint REFERENCES days (id) ON DELETE CASCADE,
	card_id       bigint REFERENCES cards (id) ON DELETE CASCADE,
	report        text NOT NULL CHECK (report IN ('day', 'offload')),
	format        text NOT NULL CHECK (format IN ('pdf', 'html', 'csv')),
	rel_path      text NOT NULL,              -- below the data folder
	size          bigint NOT NULL CHECK (size >= 0),
	xxh64         text NOT NULL,
	created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX report_files_day ON report_files (day_id);

ALTER TABLE deliveries ADD COLUMN report_file_id bigint REFERENCES report_files (id) ON DELETE CASCADE;
DO $$
DECLARE name text;
BEGIN
	SELECT conname INTO name FROM pg_constraint WHERE conrelid = 'deliveries'::regclass
	AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%rendition_id IS NULL%file_id IS NULL%';
	EXECUTE format('ALTER TABLE deliveries DROP CONSTRAINT %I', name);
END $$;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_one_thing
	CHECK (num_nonnulls(rendition_id, file_id, report_file_id) = 1);
CREATE UNIQUE INDEX deliveries_rule_report ON deliveries (target_id, report_file_id)
	WHERE rule_id IS NOT NULL AND report_file_id IS NOT NULL;
