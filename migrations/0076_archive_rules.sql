-- 0076: archive rules. A production says once what goes to LTO when a day wraps (the day's
-- camera originals and sound, or one of the two) and where the tape drive's LTFS volume is
-- mounted on the worker's host; POST /api/v1/days/{id}/wrap queues one archive job per rule
-- (lib/archive: the same run as `setpost archive`). An archive job made by a rule names it.
CREATE TABLE archive_rules (
	id            bigserial PRIMARY KEY,
	production_id bigint NOT NULL REFERENCES productions (id) ON DELETE CASCADE,
	what          text NOT NULL DEFAULT 'all' CHECK (what IN ('all', 'originals', 'sound')),
	tape          text NOT NULL CHECK (length(tape) BETWEEN 2 AND 4096 AND left(tape, 1) = '/'),
	order_by      text NOT NULL DEFAULT 'size' CHECK (order_by IN ('size', 'name')),
	wait_seconds  double precision NOT NULL DEFAULT 86400
	              CHECK (wait_seconds >= -1 AND wait_seconds <= 604800),
	created_at    timestamptz NOT NULL DEFAULT now(),
	UNIQUE (production_id, what, tape)
);
