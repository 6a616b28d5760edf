-- 0073: the agreed workflow sheet of a production (lib/pipeline/workflow.h), one row per
-- version: every change is a new version, none is rewritten. And the QC finding of a clip that
-- breaks the sheet's rules (frame rate, resolution, codec, sound, naming): kind 'workflow'.
CREATE TABLE workflow_sheets (
	production_id bigint NOT NULL REFERENCES productions (id) ON DELETE CASCADE,
	version       integer NOT NULL CHECK (version >= 1),
	sheet         jsonb NOT NULL,
	author        text,
	created_at    timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (production_id, version)
);

ALTER TABLE qc_flags DROP CONSTRAINT qc_flags_kind_check;
ALTER TABLE qc_flags ADD CONSTRAINT qc_flags_kind_check
	CHECK (kind IN ('clipped_highlights', 'crushed_blacks', 'black', 'frozen', 'audio_clipping',
	                'silent_channel', 'soft_focus', 'decode_errors', 'workflow'));
