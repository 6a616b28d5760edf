-- 0004: what the media jobs learn about a clip: its technical metadata (probe), the pictures
-- to look at (poster frame, a strip across the clip, a contact sheet per card) and the
-- automatic QC pass with its findings (flags), each with the frame and timecode where it
-- happens. The technical fields a clip already had (codec, size, rate, duration, start_tc,
-- reel) stay on clips and are filled from the probe; the rest lives here.

CREATE TABLE clip_media (
	clip_id            bigint PRIMARY KEY REFERENCES clips (id) ON DELETE CASCADE,
	file_id            bigint REFERENCES files (id) ON DELETE SET NULL,
	-- probed: ffprobe read it; vendor_tool: camera raw ffmpeg cannot decode, described from
	-- its name and sidecars; failed: not readable (error says why)
	status             text NOT NULL CHECK (status IN ('probed', 'vendor_tool', 'failed')),
	decodable          boolean NOT NULL DEFAULT false,
	vendor_tool        text,
	container          text,
	container_long     text,
	codec              text,
	codec_long         text,
	codec_tag          text,
	profile            text,
	pix_fmt            text,
	bit_depth          integer CHECK (bit_depth BETWEEN 1 AND 32),
	field_order        text,
	width              integer CHECK (width > 0),
	height             integer CHECK (height > 0),
	sar_num            integer CHECK (sar_num > 0),
	sar_den            integer CHECK (sar_den > 0),
	fps_num            integer CHECK (fps_num > 0),
	fps_den            integer CHECK (fps_den > 0),
	duration_frames    bigint CHECK (duration_frames >= 0),
	duration_seconds   double precision CHECK (duration_seconds >= 0),
	bit_rate           bigint,
	start_tc           text,
	drop_frame         boolean NOT NULL DEFAULT false,
	reel               text,
	video_streams      integer NOT NULL DEFAULT 0,
	audio_streams      integer NOT NULL DEFAULT 0,
	audio_channels     integer NOT NULL DEFAULT 0,
	audio_sample_rate  integer,
	audio_codec        text,
	camera_make        text,
	camera_model       text,
	camera_serial      text,
	lens               text,
	first_frame_number bigint,
	tags               jsonb NOT NULL DEFAULT '{}',   -- camera/lens/reel tags as found
	vendor             jsonb NOT NULL DEFAULT '{}',   -- what names and sidecars said (raw)
	error              text,
	probed_at          timestamptz NOT NULL DEFAULT now(),
	CHECK (status <> 'failed' OR error IS NOT NULL)
);

-- Poster (n = 0) and the strip (n = 1..N) of a clip; files under DATA/media/thumbs/<clip>/.
CREATE TABLE clip_thumbnails (
	clip_id    bigint NOT NULL REFERENCES clips (id) ON DELETE CASCADE,
	n          integer NOT NULL CHECK (n BETWEEN 0 AND 99),
	frame      bigint NOT NULL CHECK (frame >= 0),
	timecode   text,
	rel_path   text NOT NULL,      -- relative to the data folder
	width      integer NOT NULL,
	height     integer NOT NULL,
	bytes      bigint NOT NULL,
	etag       text NOT NULL,      -- XXH64 of the JPEG
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (clip_id, n)
);

CREATE TABLE card_contact_sheets (
	card_id    bigint PRIMARY KEY REFERENCES cards (id) ON DELETE CASCADE,
	rel_path   text NOT NULL,
	clips      integer NOT NULL,
	bytes      bigint NOT NULL,
	etag       text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);

-- One QC pass per clip (the latest): what was measured, and with which settings.
CREATE TABLE clip_qc (
	clip_id         bigint PRIMARY KEY REFERENCES clips (id) ON DELETE CASCADE,
	job_id          bigint,
	frames          bigint NOT NULL DEFAULT 0,
	luma_min        real,            -- 0..1 of the code range
	luma_avg        real,
	luma_max        real,
	clipped_share   real,            -- share of frames with clipped highlights
	crushed_share   real,            -- share of frames with crushed blacks
	audio           jsonb NOT NULL DEFAULT '[]', -- per channel: peak, RMS, clipped and silent s
	focus           jsonb NOT NULL DEFAULT '[]', -- [[frame, score], ...]; score -1: not scored
	focus_median    double precision,
	decode_errors   integer NOT NULL DEFAULT 0,
	settings        jsonb NOT NULL DEFAULT '{}',
	ffmpeg_seconds  real,
	seconds         real,
	ran_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE qc_flags (
	id          bigserial PRIMARY KEY,
	clip_id     bigint NOT NULL REFERENCES clips (id) ON DELETE CASCADE,
	kind        text NOT NULL CHECK (kind IN ('clipped_highlights', 'crushed_blacks', 'black',
	                'frozen', 'audio_clipping', 'silent_channel', 'soft_focus', 'decode_errors')),
	severity    text NOT NULL CHECK (severity IN ('info', 'warning', 'error')),
	start_frame bigint NOT NULL CHECK (start_frame >= 0),
	end_frame   bigint NOT NULL,
	start_tc    text,
	end_tc      text,
	channel     integer CHECK (channel >= 1),  -- audio channel, 1-based; NULL for picture
	value       double precision,
	message     text NOT NULL,
	created_at  timestamptz NOT NULL DEFAULT now(),
	CHECK (end_frame >= start_frame)
);
CREATE INDEX qc_flags_clip ON qc_flags (clip_id, start_frame);
CREATE INDEX qc_flags_kind ON qc_flags (kind, severity);

-- Finding a clip's jobs by its id (media jobs carry {"clip_id": N}).
CREATE INDEX jobs_clip ON jobs ((payload->>'clip_id'), kind) WHERE payload ? 'clip_id';
