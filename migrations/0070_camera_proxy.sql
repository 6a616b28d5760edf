-- 0070: a camera's own proxy (RED's .mov in the .RDC folder, Sony's Sub/…S03.MXF, an .LRV or a
-- Proxy/ file) is a sidecar of its clip that ffmpeg can read. Registration records which file it
-- is; when the original is camera raw that needs the maker's SDK (clip_media.status
-- 'vendor_tool'), thumbnails and proxies are made from it instead, and each rendition says which
-- it was made from, so a proxy of the camera's proxy is never taken for one of the original.
ALTER TABLE clips ADD COLUMN camera_proxy_file_id bigint REFERENCES files (id) ON DELETE SET NULL;
ALTER TABLE renditions ADD COLUMN source text NOT NULL DEFAULT 'original'
	CHECK (source IN ('original', 'camera_proxy'));
