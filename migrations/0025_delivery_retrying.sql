-- 0025: a delivery whose attempt failed while attempts are left is `retrying`, with the
-- attempt's reason in error, at once (it used to stay `queued` without a reason until the
-- last attempt failed, so only the job list knew why).
ALTER TABLE deliveries DROP CONSTRAINT deliveries_state_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check
	CHECK (state IN ('queued', 'uploading', 'retrying', 'uploaded', 'delivered', 'failed'));
