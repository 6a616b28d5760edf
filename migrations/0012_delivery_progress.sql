-- 0012: a delivery's progress as a person reads it: the upload's rate (bytes/s, smoothed over
-- the last seconds by the sending worker) and the time left at that rate, next to bytes_sent
-- and bytes_total. Both NULL while unknown (queued, or a rate not yet measured).
ALTER TABLE deliveries
	ADD COLUMN rate        real CHECK (rate >= 0),
	ADD COLUMN eta_seconds real CHECK (eta_seconds >= 0);
