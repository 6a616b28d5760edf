-- 0011: the clip list shows each clip's delivery progress (summed over the deliveries of its
-- renditions) and the Today view counts delivered clips per card: both look deliveries up by
-- rendition, 50 to thousands of times a request; without these each lookup reads the whole table.
CREATE INDEX deliveries_rendition ON deliveries (rendition_id) WHERE rendition_id IS NOT NULL;
CREATE INDEX deliveries_file ON deliveries (file_id) WHERE file_id IS NOT NULL;
