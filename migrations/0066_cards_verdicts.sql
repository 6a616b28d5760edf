-- 0066: a day's cards judged in one pass. GET /days/{id}/cards asked for each card's two verdicts
-- (0017, 0035) one card at a time, and the second verdict judged the first again: 41 queries
-- reading each of the day's files and copies three times (5,000 clips took 290 ms). One function
-- now judges any set of cards at once, reading each file's verified copies and receipts once,
-- and writing reasons only for the 50 files each card names. Besides the verdicts it gives what
-- the same pass knows: the card's files and bytes, and its clips whose every file has a verified
-- copy (copied) or the production's required copies on distinct volumes (verified).
-- The one-card "safe to clear" is now this function asked about one card (three times faster).
-- The one-card "safe to format" (0017) stays as it is: asked alone, as a registration or a
-- verification does, it is three times faster than this function (which judges both gates);
-- its rule, "each file has the production's required verified copies on distinct volumes", is
-- the `short` below, and tests/e2e/test_dashboard.c checks that the two agree.
CREATE FUNCTION setpost_cards_verdicts(cards bigint[], OUT card bigint, OUT safe boolean,
	OUT why_not jsonb, OUT clear boolean, OUT why_not_clear jsonb, OUT files bigint,
	OUT bytes numeric, OUT copied bigint, OUT verified bigint)
RETURNS SETOF record STABLE LANGUAGE sql AS $$
	WITH pol AS (SELECT k.id AS card, p.required_copies AS req, cp.copies, cp.media_types,
			cp.archive, cp.offsite
		FROM cards k JOIN days d ON d.id = k.day_id JOIN productions p ON p.id = d.production_id,
		setpost_copy_policy(p.id) cp WHERE k.id = ANY (cards)),
	-- what holds each file: its verified copies (counted once per volume), the post houses'
	-- receipts (once per post house)
	hv AS (SELECT cp.file_id, count(DISTINCT cp.volume_id) AS vols,
			bool_or(setpost_media_type(v.kind) = 'cloud') AS cloud,
			bool_or(setpost_media_type(v.kind) = 'disk') AS disk,
			bool_or(setpost_media_type(v.kind) = 'lto') AS lto,
			bool_or(v.location <> 'on_set') AS off
		FROM files f JOIN copies cp ON cp.file_id = f.id AND cp.state = 'verified'
		JOIN volumes v ON v.id = cp.volume_id WHERE f.card_id = ANY (cards) GROUP BY cp.file_id),
	hr AS (SELECT dl.file_id, count(DISTINCT dl.target_id) AS receipts
		FROM files f JOIN deliveries dl ON dl.file_id = f.id AND dl.state = 'delivered'
		WHERE f.card_id = ANY (cards) GROUP BY dl.file_id),
	per AS (SELECT f.card_id, f.clip_id, f.rel_path, f.size, pol.req, pol.copies,
			pol.media_types, pol.archive, coalesce(hv.vols, 0) AS vols,
			coalesce(hv.vols, 0) + coalesce(hr.receipts, 0) AS have,
			coalesce(hv.cloud::int + hv.disk::int + hv.lto::int, 0)
			+ (hr.receipts IS NOT NULL)::int AS types,
			coalesce(hv.cloud, false) AS cloud, coalesce(hv.disk, false) AS disk,
			coalesce(hv.lto, false) AS lto, hr.receipts IS NOT NULL AS receipt,
			pol.offsite AND NOT coalesce(hv.off, false) AND hr.receipts IS NULL AS no_off
		FROM files f JOIN pol ON pol.card = f.card_id LEFT JOIN hv ON hv.file_id = f.id
		LEFT JOIN hr ON hr.file_id = f.id),
	-- a file short of the production's copies (first gate), of the copy policy (second gate)
	judged AS (SELECT per.*, per.vols < per.req AS short,
			per.have < per.copies OR per.types < per.media_types OR per.no_off
			OR (per.archive = 'lto' AND NOT per.lto)
			OR (per.archive = 'receipt' AND NOT per.receipt)
			OR (per.archive = 'lto_or_receipt' AND NOT (per.lto OR per.receipt)) AS miss
		FROM per),
	-- the reasons name the first 50 files of each card by path: they are written only for those
	ranked AS (SELECT j.*, count(*) FILTER (WHERE j.short) OVER w AS nf,
			count(*) FILTER (WHERE j.miss) OVER w AS nc
		FROM judged j WINDOW w AS (PARTITION BY j.card_id ORDER BY j.rel_path
			ROWS UNBOUNDED PRECEDING)),
	agg AS (SELECT r.card_id, count(*) AS files, sum(r.size) AS bytes,
			count(*) FILTER (WHERE r.short) AS nf, count(*) FILTER (WHERE r.miss) AS nc,
			jsonb_agg(r.rel_path || ': ' || r.vols || ' of ' || r.req
				|| ' verified copies on distinct volumes' ORDER BY r.rel_path)
				FILTER (WHERE r.short AND r.nf <= 50) AS lf,
			jsonb_agg(r.rel_path || ': ' || array_to_string(ARRAY[
				CASE WHEN r.have < r.copies THEN r.have || ' of ' || r.copies
					|| ' verified copies' END,
				CASE WHEN r.types < r.media_types THEN r.types || ' of ' || r.media_types
					|| ' media types (' || coalesce(nullif(concat_ws(', ',
					CASE WHEN r.cloud THEN 'cloud' END, CASE WHEN r.disk THEN 'disk' END,
					CASE WHEN r.lto THEN 'lto' END, CASE WHEN r.receipt THEN 'receipt' END), ''),
					'none') || ')' END,
				CASE WHEN r.archive = 'lto' AND NOT r.lto THEN 'no verified LTO copy'
					WHEN r.archive = 'receipt' AND NOT r.receipt
						THEN 'no verified post-house receipt'
					WHEN r.archive = 'lto_or_receipt' AND NOT (r.lto OR r.receipt)
						THEN 'no verified archive (LTO or post-house receipt)' END,
				CASE WHEN r.no_off THEN 'no copy offsite' END], '; ') ORDER BY r.rel_path)
				FILTER (WHERE r.miss AND r.nc <= 50) AS lc
		FROM ranked r GROUP BY r.card_id),
	-- clips whose every file has a verified copy, the required copies
	cl AS (SELECT c.card_id, count(*) FILTER (WHERE x.least >= 1) AS copied,
			count(*) FILTER (WHERE x.least >= x.req) AS verified
		FROM clips c JOIN (SELECT per.clip_id, min(per.vols) AS least, min(per.req) AS req
			FROM per WHERE per.clip_id IS NOT NULL GROUP BY per.clip_id) x ON x.clip_id = c.id
		WHERE c.card_id = ANY (cards) GROUP BY c.card_id),
	v AS (SELECT u.id, coalesce(a.files, 0) > 0 AND a.nf = 0 AS safe, a.files, a.bytes, a.nf,
			a.nc, a.lf, a.lc
		FROM (SELECT DISTINCT u.id FROM unnest(cards) u (id)) u LEFT JOIN agg a ON a.card_id = u.id)
	SELECT v.id, v.safe,
		CASE WHEN coalesce(v.files, 0) = 0 THEN '["no files registered for this card"]'::jsonb
		ELSE coalesce(v.lf, '[]'::jsonb) || CASE WHEN v.nf > 50
			THEN '["… and more files short of copies"]'::jsonb ELSE '[]'::jsonb END END,
		v.safe AND v.nc = 0,
		CASE WHEN v.safe THEN '[]'::jsonb ELSE '["the card is not safe to format yet"]'::jsonb END
		|| coalesce(v.lc, '[]'::jsonb)
		|| CASE WHEN v.nc > 50 THEN '["… and more files short of the copy policy"]'::jsonb
			ELSE '[]'::jsonb END,
		coalesce(v.files, 0), coalesce(v.bytes, 0), coalesce(cl.copied, 0), coalesce(cl.verified, 0)
	FROM v LEFT JOIN cl ON cl.card_id = v.id
$$;

CREATE OR REPLACE FUNCTION setpost_card_clear_verdict(card bigint, OUT safe boolean,
	OUT why_not jsonb)
STABLE LANGUAGE sql AS $$
	SELECT v.clear, v.why_not_clear FROM setpost_cards_verdicts(ARRAY[card]) v
$$;

-- The server keeps a day's cards in its page cache (0013): a change of the copy policy, from
-- whatever process, must reach it like a change of the tables behind it.
CREATE TRIGGER copy_policies_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON copy_policies
	FOR EACH STATEMENT EXECUTE FUNCTION setpost_notify_data();
