-- 0017: a card's "safe to format" verdict, in one place for one card (GET /cards/{id}, a
-- registration's answer) and for every card of a list in one query (GET /cards): safe exactly
-- when it has files and each of them has the production's required number of verified copies
-- on distinct volumes. why_not: at most 50 reasons, one per file short of copies.
CREATE FUNCTION setpost_card_verdict(card bigint, OUT safe boolean, OUT why_not jsonb)
STABLE LANGUAGE sql AS $$
	WITH req AS (SELECT p.required_copies AS n FROM cards k JOIN days d ON d.id = k.day_id
		JOIN productions p ON p.id = d.production_id WHERE k.id = card),
	v AS (SELECT f.rel_path, (SELECT count(DISTINCT cp.volume_id) FROM copies cp
		WHERE cp.file_id = f.id AND cp.state = 'verified') AS have FROM files f WHERE f.card_id = card),
	s AS (SELECT v.rel_path, v.have, req.n FROM v, req WHERE v.have < req.n)
	SELECT EXISTS (SELECT 1 FROM v) AND NOT EXISTS (SELECT 1 FROM s),
		CASE WHEN NOT EXISTS (SELECT 1 FROM v) THEN '["no files registered for this card"]'::jsonb
		ELSE coalesce((SELECT jsonb_agg(x.line ORDER BY x.rel_path) FROM (SELECT s.rel_path,
			s.rel_path || ': ' || s.have || ' of ' || s.n || ' verified copies on distinct volumes'
			AS line FROM s ORDER BY s.rel_path LIMIT 50) x), '[]'::jsonb)
			|| CASE WHEN (SELECT count(*) FROM s) > 50
				THEN '["… and more files short of copies"]'::jsonb ELSE '[]'::jsonb END
		END
$$;
