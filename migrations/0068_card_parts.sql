-- 0068: a card registered in parts (`setpost offload --register` sends each clip as soon as its
-- files are verified on every destination, then the whole card). While parts are still coming
-- the card is `offloading`: its files so far may all be secured (their clips go on to probe and
-- proxies), but it is never safe to format, as files of it may not be known yet. The whole
-- card's registration (any document without "complete": false) ends it; a part never reopens a
-- card already registered whole.
ALTER TABLE cards ADD COLUMN offloading boolean NOT NULL DEFAULT false;

CREATE OR REPLACE FUNCTION setpost_card_verdict(card bigint, OUT safe boolean, OUT why_not jsonb)
STABLE LANGUAGE sql AS $$
	WITH req AS (SELECT p.required_copies AS n FROM cards k JOIN days d ON d.id = k.day_id
		JOIN productions p ON p.id = d.production_id WHERE k.id = card),
	part AS (SELECT k.offloading FROM cards k WHERE k.id = card AND k.offloading),
	v AS (SELECT f.rel_path, (SELECT count(DISTINCT cp.volume_id) FROM copies cp
		WHERE cp.file_id = f.id AND cp.state = 'verified') AS have FROM files f WHERE f.card_id = card),
	s AS (SELECT v.rel_path, v.have, req.n FROM v, req WHERE v.have < req.n)
	SELECT EXISTS (SELECT 1 FROM v) AND NOT EXISTS (SELECT 1 FROM s) AND NOT EXISTS (SELECT 1 FROM part),
		CASE WHEN EXISTS (SELECT 1 FROM part)
			THEN '["the card is still being offloaded: only the clips verified so far are registered"]'::jsonb
			ELSE '[]'::jsonb END
		|| CASE WHEN NOT EXISTS (SELECT 1 FROM v) THEN '["no files registered for this card"]'::jsonb
		ELSE coalesce((SELECT jsonb_agg(x.line ORDER BY x.rel_path) FROM (SELECT s.rel_path,
			s.rel_path || ': ' || s.have || ' of ' || s.n || ' verified copies on distinct volumes'
			AS line FROM s ORDER BY s.rel_path LIMIT 50) x), '[]'::jsonb)
			|| CASE WHEN (SELECT count(*) FROM s) > 50
				THEN '["… and more files short of copies"]'::jsonb ELSE '[]'::jsonb END
		END
$$;
