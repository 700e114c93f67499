-- migrate:up
CREATE TABLE IF NOT EXISTS user_sessions (
    id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
    user_id uuid NOT NULL REFERENCES user_profiles (id) ON DELETE CASCADE,
    token_hash text NOT NULL,
    ip_address inet,
    user_agent text,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_activity_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CONSTRAINT user_sessions_token_hash_key UNIQUE (token_hash)
);

CREATE INDEX IF NOT EXISTS user_sessions_user_id_idx ON user_sessions (user_id);

-- Session tracking on profiles: nullable or with a constant default, so
-- adding them neither rewrites nor blocks user_profiles for long.
ALTER TABLE user_profiles ADD COLUMN IF NOT EXISTS last_login_at timestamptz;
ALTER TABLE user_profiles ADD COLUMN IF NOT EXISTS last_seen_at timestamptz;
ALTER TABLE user_profiles ADD COLUMN IF NOT EXISTS login_count integer NOT NULL DEFAULT 0;

-- migrate:down
ALTER TABLE user_profiles DROP COLUMN IF EXISTS login_count;
ALTER TABLE user_profiles DROP COLUMN IF EXISTS last_seen_at;
ALTER TABLE user_profiles DROP COLUMN IF EXISTS last_login_at;
DROP TABLE IF EXISTS user_sessions;
