-- Schema of the migrated database, written by railyard-server dump from PostgreSQL's catalogs.
-- Deterministic: objects in a stable order; no server version, owners, privileges or data.
-- railyard-server verify checks it against the migrations; drift compares a live database with it.

-- extension: "uuid-ossp"
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;

-- extension: pgcrypto
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;

-- function: public.set_updated_at()
CREATE OR REPLACE FUNCTION public.set_updated_at()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$function$;

-- table: public.bank_transactions
CREATE TABLE public.bank_transactions (
    id uuid DEFAULT public.uuid_generate_v4() NOT NULL,
    user_id uuid NOT NULL,
    receipt_id uuid,
    account_name text NOT NULL,
    description text NOT NULL,
    amount numeric(12,2) NOT NULL,
    currency character(3) DEFAULT 'USD'::bpchar NOT NULL,
    transaction_date date NOT NULL,
    reconciled boolean DEFAULT false NOT NULL,
    external_id text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

-- table: public.clients
CREATE TABLE public.clients (
    id uuid DEFAULT public.uuid_generate_v4() NOT NULL,
    user_id uuid NOT NULL,
    name text NOT NULL,
    email text,
    phone text,
    address text,
    tax_id text,
    notes text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

-- table: public.receipts
CREATE TABLE public.receipts (
    id uuid DEFAULT public.uuid_generate_v4() NOT NULL,
    user_id uuid NOT NULL,
    client_id uuid,
    vendor text NOT NULL,
    amount numeric(12,2) NOT NULL,
    currency character(3) DEFAULT 'USD'::bpchar NOT NULL,
    category text,
    receipt_date date NOT NULL,
    image_url text,
    notes text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

-- table: public.user_profiles
CREATE TABLE public.user_profiles (
    id uuid DEFAULT public.uuid_generate_v4() NOT NULL,
    email text NOT NULL,
    full_name text,
    company_name text,
    phone text,
    timezone text DEFAULT 'UTC'::text NOT NULL,
    currency character(3) DEFAULT 'USD'::bpchar NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    last_login_at timestamp with time zone,
    last_seen_at timestamp with time zone,
    login_count integer DEFAULT 0 NOT NULL
);

-- table: public.user_sessions
CREATE TABLE public.user_sessions (
    id uuid DEFAULT public.uuid_generate_v4() NOT NULL,
    user_id uuid NOT NULL,
    token_hash text NOT NULL,
    ip_address inet,
    user_agent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_activity_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone
);

-- constraint: public.bank_transactions.bank_transactions_external_id_key
ALTER TABLE ONLY public.bank_transactions ADD CONSTRAINT bank_transactions_external_id_key UNIQUE (user_id, external_id);

-- constraint: public.bank_transactions.bank_transactions_pkey
ALTER TABLE ONLY public.bank_transactions ADD CONSTRAINT bank_transactions_pkey PRIMARY KEY (id);

-- constraint: public.clients.clients_pkey
ALTER TABLE ONLY public.clients ADD CONSTRAINT clients_pkey PRIMARY KEY (id);

-- constraint: public.receipts.receipts_amount_check
ALTER TABLE ONLY public.receipts ADD CONSTRAINT receipts_amount_check CHECK ((amount >= (0)::numeric));

-- constraint: public.receipts.receipts_pkey
ALTER TABLE ONLY public.receipts ADD CONSTRAINT receipts_pkey PRIMARY KEY (id);

-- constraint: public.user_profiles.user_profiles_email_check
ALTER TABLE ONLY public.user_profiles ADD CONSTRAINT user_profiles_email_check CHECK ((POSITION(('@'::text) IN (email)) > 1));

-- constraint: public.user_profiles.user_profiles_email_key
ALTER TABLE ONLY public.user_profiles ADD CONSTRAINT user_profiles_email_key UNIQUE (email);

-- constraint: public.user_profiles.user_profiles_pkey
ALTER TABLE ONLY public.user_profiles ADD CONSTRAINT user_profiles_pkey PRIMARY KEY (id);

-- constraint: public.user_sessions.user_sessions_pkey
ALTER TABLE ONLY public.user_sessions ADD CONSTRAINT user_sessions_pkey PRIMARY KEY (id);

-- constraint: public.user_sessions.user_sessions_token_hash_key
ALTER TABLE ONLY public.user_sessions ADD CONSTRAINT user_sessions_token_hash_key UNIQUE (token_hash);

-- constraint: public.bank_transactions.bank_transactions_receipt_id_fkey
ALTER TABLE ONLY public.bank_transactions ADD CONSTRAINT bank_transactions_receipt_id_fkey FOREIGN KEY (receipt_id) REFERENCES public.receipts(id) ON DELETE SET NULL;

-- constraint: public.bank_transactions.bank_transactions_user_id_fkey
ALTER TABLE ONLY public.bank_transactions ADD CONSTRAINT bank_transactions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.user_profiles(id) ON DELETE CASCADE;

-- constraint: public.clients.clients_user_id_fkey
ALTER TABLE ONLY public.clients ADD CONSTRAINT clients_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.user_profiles(id) ON DELETE CASCADE;

-- constraint: public.receipts.receipts_client_id_fkey
ALTER TABLE ONLY public.receipts ADD CONSTRAINT receipts_client_id_fkey FOREIGN KEY (client_id) REFERENCES public.clients(id) ON DELETE SET NULL;

-- constraint: public.receipts.receipts_user_id_fkey
ALTER TABLE ONLY public.receipts ADD CONSTRAINT receipts_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.user_profiles(id) ON DELETE CASCADE;

-- constraint: public.user_sessions.user_sessions_user_id_fkey
ALTER TABLE ONLY public.user_sessions ADD CONSTRAINT user_sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.user_profiles(id) ON DELETE CASCADE;

-- index: public.bank_transactions_user_id_date_idx
CREATE INDEX bank_transactions_user_id_date_idx ON public.bank_transactions USING btree (user_id, transaction_date DESC);

-- index: public.clients_user_id_idx
CREATE INDEX clients_user_id_idx ON public.clients USING btree (user_id);

-- index: public.receipts_user_id_receipt_date_idx
CREATE INDEX receipts_user_id_receipt_date_idx ON public.receipts USING btree (user_id, receipt_date DESC);

-- index: public.user_sessions_active_idx
CREATE INDEX user_sessions_active_idx ON public.user_sessions USING btree (user_id, expires_at) WHERE (revoked_at IS NULL);

-- index: public.user_sessions_user_id_idx
CREATE INDEX user_sessions_user_id_idx ON public.user_sessions USING btree (user_id);

-- trigger: public.bank_transactions.bank_transactions_set_updated_at
CREATE TRIGGER bank_transactions_set_updated_at BEFORE UPDATE ON public.bank_transactions FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

-- trigger: public.clients.clients_set_updated_at
CREATE TRIGGER clients_set_updated_at BEFORE UPDATE ON public.clients FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

-- trigger: public.receipts.receipts_set_updated_at
CREATE TRIGGER receipts_set_updated_at BEFORE UPDATE ON public.receipts FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

-- trigger: public.user_profiles.user_profiles_set_updated_at
CREATE TRIGGER user_profiles_set_updated_at BEFORE UPDATE ON public.user_profiles FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

-- comment: schema public
COMMENT ON SCHEMA public IS 'standard public schema';
