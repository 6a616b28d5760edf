-- 0040: S3-compatible delivery targets (issue 20). A target of kind 's3' puts each delivery
-- into a bucket as an object (multipart upload) instead of sending it to a tus receiver:
-- its url is the bucket's endpoint, s3 holds {region, bucket, prefix, path_style}, its
-- credentials are sealed in headers_sealed like a tus target's token ({"access_key_id",
-- "secret_access_key"}), and its recipient is optional: with one, objects are age-encrypted.
-- A delivery to it records its multipart upload (s3_upload_id, s3_key) and each part the
-- bucket took (delivery_parts), so a worker that died mid-upload is resumed by the next one
-- after ListParts, from the last part both agree on.
ALTER TABLE targets ADD COLUMN kind text NOT NULL DEFAULT 'tus' CHECK (kind IN ('tus', 's3'));
ALTER TABLE targets ADD COLUMN s3 jsonb;
ALTER TABLE targets ALTER COLUMN recipient DROP NOT NULL;
ALTER TABLE targets ADD CONSTRAINT targets_kind_fields
	CHECK ((kind = 's3') = (s3 IS NOT NULL) AND (kind = 's3' OR recipient IS NOT NULL));

ALTER TABLE deliveries ADD COLUMN s3_upload_id text;
ALTER TABLE deliveries ADD COLUMN s3_key text;

CREATE TABLE delivery_parts (
	delivery_id bigint NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
	upload_id   text NOT NULL,
	part        integer NOT NULL CHECK (part BETWEEN 1 AND 10000),
	byte_offset bigint NOT NULL CHECK (byte_offset >= 0),
	size        bigint NOT NULL CHECK (size > 0),
	etag        text NOT NULL,
	sha256      text NOT NULL,
	PRIMARY KEY (delivery_id, part)
);
