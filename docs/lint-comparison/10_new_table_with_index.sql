CREATE TABLE IF NOT EXISTS invoices (id bigint PRIMARY KEY, user_id bigint);
CREATE INDEX IF NOT EXISTS invoices_user ON invoices (user_id);
