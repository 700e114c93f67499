-- migrate:up
CREATE TABLE IF NOT EXISTS receipts (
    id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
    user_id uuid NOT NULL REFERENCES user_profiles (id) ON DELETE CASCADE,
    client_id uuid REFERENCES clients (id) ON DELETE SET NULL,
    vendor text NOT NULL,
    amount numeric(12, 2) NOT NULL CHECK (amount >= 0),
    currency char(3) NOT NULL DEFAULT 'USD',
    category text,
    receipt_date date NOT NULL,
    image_url text,
    notes text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS receipts_user_id_receipt_date_idx ON receipts (user_id, receipt_date DESC);

DROP TRIGGER IF EXISTS receipts_set_updated_at ON receipts;
CREATE TRIGGER receipts_set_updated_at
    BEFORE UPDATE ON receipts
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- migrate:down
DROP TABLE IF EXISTS receipts;
