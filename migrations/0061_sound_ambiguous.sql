-- 'ambiguous': the picture's timecode points to a sound take, but so does the timecode of
-- another picture of the same camera whose span overlaps it (one camera cannot record two
-- stretches of time at once: their timecode is not the time of day). The sound is named for
-- the DIT, who picks by hand; nothing uses it (no synced proxy, no slate, no sound roll in the
-- ALE) until then.
ALTER TABLE clip_sound DROP CONSTRAINT clip_sound_method_check;
ALTER TABLE clip_sound ADD CONSTRAINT clip_sound_method_check
	CHECK (method IN ('timecode', 'manual', 'none', 'ambiguous'));
ALTER TABLE clip_sound ADD CONSTRAINT clip_sound_ambiguous_sound
	CHECK (method <> 'ambiguous' OR (sound_clip_id IS NOT NULL AND offset_frames IS NOT NULL));
