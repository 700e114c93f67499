-- migrate:up
CREATE TABLE IF NOT EXISTS clients (
    id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
    user_id uuid NOT NULL REFERENCES user_profiles (id) ON DELETE CASCADE,
    name text NOT NULL,
    email text,
    phone text,
    address text,
    tax_id text,
    notes text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The table is new and empty, so a plain CREATE INDEX blocks nobody here.
CREATE INDEX IF NOT EXISTS clients_user_id_idx ON clients (user_id);

DROP TRIGGER IF EXISTS clients_set_updated_at ON clients;
CREATE TRIGGER clients_set_updated_at
    BEFORE UPDATE ON clients
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- migrate:down
DROP TABLE IF EXISTS clients;
