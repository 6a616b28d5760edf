-- 0035: the studio's copy policy and the second erase gate. A card is safe to format when every
-- file has the production's required verified copies on distinct volumes (0017, unchanged).
-- The working drives (the on-set RAID, the shuttles) are safe to clear only when, besides, the
-- production's copy policy is met for every file: so many verified copies (a post house's
-- verified receipt of the file counts as one), on so many distinct media types (disk, lto,
-- cloud, receipt), an archive copy (LTO, the receipt, either, or none), one kept offsite.
-- A production without a row has the 3-2-1 rule: 3 copies, 2 media types, an archive, offsite.

-- Where a volume is kept: a copy counts as offsite when its volume is not on set.
ALTER TABLE volumes ADD COLUMN location text NOT NULL DEFAULT 'on_set'
	CHECK (location IN ('on_set', 'vault', 'post_house', 'offsite'));

CREATE TABLE copy_policies (
	production_id bigint PRIMARY KEY REFERENCES productions (id) ON DELETE CASCADE,
	copies        integer NOT NULL CHECK (copies BETWEEN 1 AND 10),
	media_types   integer NOT NULL CHECK (media_types BETWEEN 1 AND 4),
	archive       text NOT NULL CHECK (archive IN ('none', 'lto', 'receipt', 'lto_or_receipt')),
	offsite       boolean NOT NULL,
	updated_by    text NOT NULL,
	updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION setpost_copy_policy(production bigint, OUT copies integer,
	OUT media_types integer, OUT archive text, OUT offsite boolean)
STABLE LANGUAGE sql AS $$
	SELECT coalesce(cp.copies, 3), coalesce(cp.media_types, 2),
		coalesce(cp.archive, 'lto_or_receipt'), coalesce(cp.offsite, true)
	FROM (SELECT production AS id) x LEFT JOIN copy_policies cp ON cp.production_id = x.id
$$;

-- The media type a volume's kind counts as.
CREATE FUNCTION setpost_media_type(kind text) RETURNS text IMMUTABLE LANGUAGE sql AS $$
	SELECT CASE kind WHEN 'lto' THEN 'lto' WHEN 'cloud' THEN 'cloud' ELSE 'disk' END
$$;

-- "Working drives safe to clear" for one card: never before the card is safe to format; then
-- each file short of the policy is named with everything it lacks (at most 50 files).
CREATE FUNCTION setpost_card_clear_verdict(card bigint, OUT safe boolean, OUT why_not jsonb)
STABLE LANGUAGE sql AS $$
	WITH pol AS (SELECT p.* FROM cards k JOIN days d ON d.id = k.day_id,
		setpost_copy_policy(d.production_id) p WHERE k.id = card),
	fmt AS (SELECT v.safe FROM setpost_card_verdict(card) v),
	held AS (
		SELECT f.id AS file_id, 'volume ' || cp.volume_id AS holder,
			setpost_media_type(v.kind) AS media, v.location <> 'on_set' AS offsite
		FROM files f JOIN copies cp ON cp.file_id = f.id AND cp.state = 'verified'
		JOIN volumes v ON v.id = cp.volume_id WHERE f.card_id = card
		UNION
		SELECT f.id, 'target ' || dl.target_id, 'receipt', true
		FROM files f JOIN deliveries dl ON dl.file_id = f.id AND dl.state = 'delivered'
		WHERE f.card_id = card),
	per AS (SELECT f.rel_path, count(DISTINCT h.holder) AS have, count(DISTINCT h.media) AS types,
			coalesce(string_agg(DISTINCT h.media, ', '), 'none') AS media_list,
			coalesce(bool_or(h.media = 'lto'), false) AS lto,
			coalesce(bool_or(h.media = 'receipt'), false) AS receipt,
			coalesce(bool_or(h.offsite), false) AS off
		FROM files f LEFT JOIN held h ON h.file_id = f.id WHERE f.card_id = card
		GROUP BY f.id, f.rel_path),
	miss AS (SELECT per.rel_path, array_remove(ARRAY[
			CASE WHEN per.have < pol.copies THEN per.have || ' of ' || pol.copies
				|| ' verified copies' END,
			CASE WHEN per.types < pol.media_types THEN per.types || ' of ' || pol.media_types
				|| ' media types (' || per.media_list || ')' END,
			CASE WHEN pol.archive = 'lto' AND NOT per.lto THEN 'no verified LTO copy'
				WHEN pol.archive = 'receipt' AND NOT per.receipt
					THEN 'no verified post-house receipt'
				WHEN pol.archive = 'lto_or_receipt' AND NOT (per.lto OR per.receipt)
					THEN 'no verified archive (LTO or post-house receipt)' END,
			CASE WHEN pol.offsite AND NOT per.off THEN 'no copy offsite' END], NULL) AS m
		FROM per, pol),
	short AS (SELECT * FROM miss WHERE cardinality(m) > 0)
	SELECT coalesce((SELECT fmt.safe FROM fmt), false) AND EXISTS (SELECT 1 FROM per)
			AND NOT EXISTS (SELECT 1 FROM short),
		CASE WHEN coalesce((SELECT fmt.safe FROM fmt), false) THEN '[]'::jsonb
			ELSE '["the card is not safe to format yet"]'::jsonb END
		|| coalesce((SELECT jsonb_agg(x.line ORDER BY x.rel_path) FROM (SELECT short.rel_path,
			short.rel_path || ': ' || array_to_string(short.m, '; ') AS line FROM short
			ORDER BY short.rel_path LIMIT 50) x), '[]'::jsonb)
		|| CASE WHEN (SELECT count(*) FROM short) > 50
			THEN '["… and more files short of the copy policy"]'::jsonb ELSE '[]'::jsonb END
$$;
