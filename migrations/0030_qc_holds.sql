-- 0030: a QC hold the DIT can answer, and clips whose media cannot be read.
--
-- Every QC finding carries a code from a coded vocabulary (lib/pipeline/qchold.c lists them;
-- docs/dit.md explains them) so reports and the post house can count them, and the DIT's
-- answer: open (not yet looked at), acknowledged (seen, real, accepted as shot) or overridden
-- (not a fault: the check was wrong for this shot), with a note, who and when. A clip is held
-- while an open finding is at or above the production's hold severity; a QC pass run again
-- keeps the answers to the findings it finds again.
--
-- media_error: a clip whose media cannot be read (empty, not media, truncated, a container
-- its name lies about, frames missing from its sequence), with the reason in state_reason.
-- Its copies can still be faithful: it says nothing against formatting the card.

ALTER TABLE qc_flags
	ADD COLUMN code        text,
	ADD COLUMN disposition text NOT NULL DEFAULT 'open'
	           CHECK (disposition IN ('open', 'acknowledged', 'overridden')),
	ADD COLUMN note        text,
	ADD COLUMN disposed_by text,
	ADD COLUMN disposed_at timestamptz;

ALTER TABLE clips DROP CONSTRAINT clips_state_check;
ALTER TABLE clips ADD CONSTRAINT clips_state_check
	CHECK (state IN ('registered', 'secured', 'proxied', 'delivered', 'copy_failed', 'qc_hold',
	                 'transcode_failed', 'upload_failed', 'media_error'));
