-- 0009: the DIT may say a picture clip has no sound (a MOS take): method 'manual' with no
-- sound clip, kept over automatic matching like any manual match. 'none' stays the
-- automatic "nothing covers it". (0006 tied a NULL sound clip to 'none' only.)
ALTER TABLE clip_sound DROP CONSTRAINT clip_sound_check;
ALTER TABLE clip_sound ADD CONSTRAINT clip_sound_method_sound
	CHECK (method <> 'none' OR sound_clip_id IS NULL);
ALTER TABLE clip_sound ADD CONSTRAINT clip_sound_timecode_sound
	CHECK (method <> 'timecode' OR sound_clip_id IS NOT NULL);

-- A sound take that goes away takes its matches with it: SET NULL would leave a 'timecode'
-- or 'manual' match without its sound, which the checks refuse, and so block the delete. The
-- picture clips are matched again on the day's next pass.
ALTER TABLE clip_sound DROP CONSTRAINT clip_sound_sound_clip_id_fkey;
ALTER TABLE clip_sound ADD CONSTRAINT clip_sound_sound_clip_id_fkey
	FOREIGN KEY (sound_clip_id) REFERENCES clips (id) ON DELETE CASCADE;
