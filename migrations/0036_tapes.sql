-- 0036: LTO archive on LTFS. A tape is a volume of kind 'lto' (known by its LTFS volume UUID:
-- volumes.fs_uuid 'ltfs:<uuid>') with what the catalogue needs besides: its LTFS name and
-- barcode, whether it is full (a full tape is never written again), its space. Each file
-- written to it is a copy (its state is its read-back's result, lib/custody/verification)
-- with its place in the tape's write order and, when the LTFS software tells, its start block.
CREATE TABLE tapes (
	volume_id   bigint PRIMARY KEY REFERENCES volumes (id) ON DELETE CASCADE,
	ltfs_uuid   text CHECK (length(ltfs_uuid) <= 200),
	ltfs_name   text CHECK (length(ltfs_name) <= 200),
	barcode     text CHECK (length(barcode) <= 64),
	state       text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'full')),
	bytes_total bigint CHECK (bytes_total >= 0),
	bytes_free  bigint CHECK (bytes_free >= 0),
	created_at  timestamptz NOT NULL DEFAULT now(),
	updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tape_files (
	copy_id     bigint PRIMARY KEY REFERENCES copies (id) ON DELETE CASCADE,
	tape_id     bigint NOT NULL REFERENCES tapes (volume_id) ON DELETE CASCADE,
	seq         integer NOT NULL CHECK (seq >= 1),      -- the order it was written in
	start_block bigint CHECK (start_block >= 0),        -- LTFS ltfs.startblock, when known
	written_at  timestamptz NOT NULL DEFAULT now(),
	UNIQUE (tape_id, seq)
);

-- A read-back of a file on tape is a check like any other, from the archive.
ALTER TABLE verifications DROP CONSTRAINT verifications_source_check;
ALTER TABLE verifications ADD CONSTRAINT verifications_source_check
	CHECK (source IN ('offload', 'register', 'verify', 'archive'));
