-- Events are read by id (the event stream, webhooks, GET /events?after=), so ids must be given
-- in commit order: an id taken by a transaction that commits after a later id's was never read
-- (a verification's copy.failed, committed after a worker's clip.qc had been streamed, was lost
-- this way). Every insert, whatever path it takes (statements, triggers), now waits for a
-- transaction-scoped advisory lock held to commit, and only then takes its id: the transactions
-- that record events are serialised from their first event to their commit. They are short; a
-- deadlock this causes is retried by the application's transaction loop. The ids the column
-- default already took are gaps, which readers skip.
CREATE FUNCTION setpost_event_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(8315180313096908404);
	NEW.id := nextval(pg_get_serial_sequence('events', 'id'));
	RETURN NEW;
END $$;
CREATE TRIGGER events_order BEFORE INSERT ON events
	FOR EACH ROW EXECUTE FUNCTION setpost_event_order();
