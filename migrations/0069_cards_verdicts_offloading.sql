-- 0069: 0066 (a day's cards judged in one pass, for Today) and 0068 (a card registered in parts
-- is `offloading`, never safe to format until its whole registration) were written side by
-- side: 0066's function did not know `offloading`, so Today said SAFE TO FORMAT for a card whose
-- last files were still copying while GET /cards said not safe. The one-pass judgement keeps
-- its body under another name; setpost_cards_verdicts is that judgement with `offloading` on
-- top, as 0068 put it on the one-card verdict (the same first reason, first).
ALTER FUNCTION setpost_cards_verdicts(bigint[]) RENAME TO setpost_cards_verdicts_of_files;

CREATE FUNCTION setpost_cards_verdicts(cards bigint[], OUT card bigint, OUT safe boolean,
	OUT why_not jsonb, OUT clear boolean, OUT why_not_clear jsonb, OUT files bigint,
	OUT bytes numeric, OUT copied bigint, OUT verified bigint)
RETURNS SETOF record STABLE LANGUAGE sql AS $$
	SELECT v.card, v.safe AND NOT coalesce(k.offloading, false),
		CASE WHEN coalesce(k.offloading, false)
			THEN '["the card is still being offloaded: only the clips verified so far are registered"]'::jsonb
			ELSE '[]'::jsonb END || v.why_not,
		v.clear AND NOT coalesce(k.offloading, false),
		CASE WHEN coalesce(k.offloading, false) AND v.safe
			THEN '["the card is not safe to format yet"]'::jsonb ELSE '[]'::jsonb END
			|| v.why_not_clear,
		v.files, v.bytes, v.copied, v.verified
	FROM setpost_cards_verdicts_of_files(cards) v LEFT JOIN cards k ON k.id = v.card
$$;
