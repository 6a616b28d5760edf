-- 0016: confinement. The folders of a host that setpost may touch (read originals, copy to,
-- register copies under): declared by an admin (`setpost volume add NAME PATH`, POST
-- /api/v1/volume-roots, or `setpost offload --register` for its destinations). Besides these
-- the server and workers touch only their own data folder, which is never one of them.
CREATE TABLE volume_roots (
	id         bigserial PRIMARY KEY,
	name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	path       text NOT NULL UNIQUE CHECK (path ~ '^/.' AND length(path) <= 4096),
	created_by text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);
