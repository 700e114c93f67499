/// The state every migration starts from, as psql would give it running
/// one file at a time: a migration's session-level `SET`, `SET ROLE`,
/// temporary tables, prepared statements, cursors and `LISTEN`s do not
/// reach the next one. The advisory lock is kept (`DISCARD ALL` would free it).
enum SessionState {
    /// What Railyard sets on its migrating connection.
    static func settings(serverVersion: Int) -> [String] {
        // Success is reported only after a durable commit, whatever the server default.
        var settings = ["SET synchronous_commit TO on"]
        if serverVersion >= 140000 {
            // A killed migrator's backend notices the lost client within a second
            // and gives up its locks instead of finishing a long statement first.
            settings.append("SET client_connection_check_interval TO 1000")
        }
        return settings
    }

    /// Statements (one per query) that put a session back to that state;
    /// the first (the way back to the connected user) is already done when
    /// a migration's transaction committed after it.
    static func reset(serverVersion: Int) -> [String] {
        ["SET SESSION AUTHORIZATION DEFAULT", "RESET ALL", "DISCARD TEMP", "DEALLOCATE ALL", "CLOSE ALL", "UNLISTEN *"]
            + settings(serverVersion: serverVersion)
    }
}
