/// How long the current migration's transaction has run, in SQL.
///
/// `now()` is the transaction's start, except in a script: every
/// transaction of one simple-query message starts at the message's start,
/// so a migration sent in a script first marks its own start
/// (`markStart`), in epoch seconds so that no setting of the migration's
/// (DateStyle, TimeZone) changes how the mark reads back.
enum TransactionClock {
    static let markStart = "SELECT set_config('railyard.transaction_started', EXTRACT(EPOCH FROM clock_timestamp())::text, true)"

    static let elapsedMilliseconds = """
        ((EXTRACT(EPOCH FROM clock_timestamp()) - coalesce(nullif(current_setting('railyard.transaction_started', true), '')::numeric, \
        EXTRACT(EPOCH FROM now()))) * 1000)::integer
        """
}
