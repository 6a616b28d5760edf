-- 0072: a clip's camera settings as the card carries them (lib/media/camera.h): ISO/EI, white
-- balance, shutter, ND, focal length, T-stop, look name, read from the file's own tags and the
-- makers' sidecars (Sony M01.XML, Blackmagic .sidecar, the card's ALE). Only what the card says
-- is a key: a setting the format does not expose is absent, never guessed.
ALTER TABLE clip_media ADD COLUMN camera_settings jsonb NOT NULL DEFAULT '{}';
