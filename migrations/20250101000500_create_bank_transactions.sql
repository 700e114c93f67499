-- migrate:up
CREATE TABLE IF NOT EXISTS bank_transactions (
    id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
    user_id uuid NOT NULL REFERENCES user_profiles (id) ON DELETE CASCADE,
    receipt_id uuid REFERENCES receipts (id) ON DELETE SET NULL,
    account_name text NOT NULL,
    description text NOT NULL,
    amount numeric(12, 2) NOT NULL,
    currency char(3) NOT NULL DEFAULT 'USD',
    transaction_date date NOT NULL,
    reconciled boolean NOT NULL DEFAULT false,
    external_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT bank_transactions_external_id_key UNIQUE (user_id, external_id)
);

CREATE INDEX IF NOT EXISTS bank_transactions_user_id_date_idx ON bank_transactions (user_id, transaction_date DESC);

DROP TRIGGER IF EXISTS bank_transactions_set_updated_at ON bank_transactions;
CREATE TRIGGER bank_transactions_set_updated_at
    BEFORE UPDATE ON bank_transactions
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- migrate:down
DROP TABLE IF EXISTS bank_transactions;
