-- 0006: looks and sound for dailies. A clip's look is its ASC CDL (clips.look, or its scene's
-- default when the clip has none) followed by the show LUT; setpost bakes the two into one
-- cube. Picture clips are matched to the production sound that covers their timecode.

-- .cube 3D LUTs the DIT uploaded, kept whole (they are small: a 65-point cube is ~8 MB) so
-- every worker host reads the same bytes. sha256 names the content.
CREATE TABLE luts (
	id            bigserial PRIMARY KEY,
	production_id bigint NOT NULL REFERENCES productions (id) ON DELETE CASCADE,
	name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	size          integer NOT NULL CHECK (size BETWEEN 2 AND 129),
	title         text NOT NULL DEFAULT '',
	cube          bytea NOT NULL,
	sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	created_at    timestamptz NOT NULL DEFAULT now(),
	UNIQUE (production_id, name)
);

-- The show LUT applied after every clip's CDL; a day may use another (a night exterior).
ALTER TABLE productions ADD COLUMN show_lut_id bigint REFERENCES luts (id) ON DELETE SET NULL;
ALTER TABLE days ADD COLUMN lut_id bigint REFERENCES luts (id) ON DELETE SET NULL;

-- A scene's default CDL, used by the clips of that scene that carry no look of their own.
CREATE TABLE scene_looks (
	production_id bigint NOT NULL REFERENCES productions (id) ON DELETE CASCADE,
	scene         text NOT NULL CHECK (length(scene) BETWEEN 1 AND 64),
	cdl           jsonb NOT NULL,   -- {"slope":[r,g,b],"offset":[r,g,b],"power":[r,g,b],"sat":s,"id":"..."}
	updated_at    timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (production_id, scene)
);

-- Which production sound plays with a picture clip. sound_clip_id is a clip on a sound card
-- (cards.kind = 'sound'); offset_frames is where the picture's first frame falls in the sound
-- file, in picture frames (picture start TC - sound start TC); NULL sound_clip_id with method
-- 'none' records that nothing covers the clip (or the DIT said so). A 'manual' match is the
-- DIT's and automatic matching never replaces it.
CREATE TABLE clip_sound (
	clip_id       bigint PRIMARY KEY REFERENCES clips (id) ON DELETE CASCADE,
	sound_clip_id bigint REFERENCES clips (id) ON DELETE SET NULL,
	offset_frames bigint,
	method        text NOT NULL CHECK (method IN ('timecode', 'manual', 'none')),
	updated_at    timestamptz NOT NULL DEFAULT now(),
	CHECK ((sound_clip_id IS NULL) = (method = 'none')),
	CHECK (sound_clip_id IS NULL OR offset_frames IS NOT NULL)
);
CREATE INDEX clip_sound_sound ON clip_sound (sound_clip_id);
