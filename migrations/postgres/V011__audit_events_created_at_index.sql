-- db-migrate: no-transaction
-- The directive above makes the tool run this file outside a transaction, which CREATE INDEX CONCURRENTLY
-- requires (it builds without blocking writes to a big table). Keep such a file to ONE statement: several
-- statements sent together form an implicit transaction and CONCURRENTLY would refuse to run. If a build
-- fails it leaves an INVALID index that IF NOT EXISTS would then skip: DROP INDEX CONCURRENTLY it and re-run.
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_created_at_idx ON audit.events (created_at);
