-- 0045: proxies that follow the look. A look change (a clip's CDL, a scene's default, the
-- day's or the show's LUT, an import) marks the done proxies it affects stale (stale_at), and
-- the pipeline makes them again (unless the production's settings say look_rerender: false).
-- A proxy made again is a new rendition (version + 1); the one it replaces stays done, and
-- deliverable, until the new one is ready, then becomes 'superseded' (superseded_by), its
-- file kept aside. So the current rendition of a clip and profile is the one not superseded.
ALTER TABLE renditions ADD COLUMN version int NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE renditions ADD COLUMN stale_at timestamptz;
ALTER TABLE renditions ADD COLUMN superseded_by bigint REFERENCES renditions (id) ON DELETE SET NULL;
ALTER TABLE renditions DROP CONSTRAINT renditions_state_check;
ALTER TABLE renditions ADD CONSTRAINT renditions_state_check
	CHECK (state IN ('queued', 'running', 'done', 'failed', 'superseded'));
ALTER TABLE renditions DROP CONSTRAINT renditions_clip_id_profile_key;
CREATE UNIQUE INDEX renditions_current ON renditions (clip_id, profile) WHERE state <> 'superseded';
CREATE UNIQUE INDEX renditions_version ON renditions (clip_id, profile, version);

-- At the post house: an arrival of the same production, day, card and name with a newer
-- version (the sender's rendition version, in the upload's metadata) supersedes the older
-- one, whose file is kept aside.
ALTER TABLE uploads ADD COLUMN superseded_by text REFERENCES uploads (id) ON DELETE SET NULL;
