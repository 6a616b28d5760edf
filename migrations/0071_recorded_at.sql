-- 0071: when a clip was recorded, as the recording device's own clock read it (wall-clock time,
-- no zone: a camera's creation_time and a recorder's BWF OriginationDate/Time are both the time
-- of day the crew set on the device, and only they are compared). Where the file carries it:
-- registration ("recorded_at" of a clip: a sound take's BWF origination), else the probe
-- (the container's creation_time tag, or the camera proxy's for camera raw). Never a file's
-- mtime. recorded_at_source names where it came from. Sound sync uses it to pick among one
-- camera's clips that share a sound take's timecode (lib/pipeline/soundsync_db.c).
ALTER TABLE clips ADD COLUMN recorded_at timestamp;
ALTER TABLE clips ADD COLUMN recorded_at_source text;
