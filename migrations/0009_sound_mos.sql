-- 0009: the DIT may say a picture clip has no sound (a MOS take): method 'manual' with no
-- sound clip, kept over automatic matching like any manual match. 'none' stays the
-- automatic "nothing covers it". (0006 tied a NULL sound clip to 'none' only.)
ALTER TABLE clip_sound DROP CONSTRAINT clip_sound_check;
ALTER TABLE clip_sound ADD CONSTRAINT clip_sound_method_sound
	CHECK (method <> 'none' OR sound_clip_id IS NULL);
ALTER TABLE clip_sound ADD CONSTRAINT clip_sound_timecode_sound
	CHECK (method <> 'timecode' OR sound_clip_id IS NOT NULL);
