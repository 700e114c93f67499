-- migrate:up transaction:false
-- user_sessions is busy in production: build the index without blocking writes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS user_sessions_active_idx
    ON user_sessions (user_id, expires_at)
    WHERE revoked_at IS NULL;

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY IF EXISTS user_sessions_active_idx;
