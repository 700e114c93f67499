import ArgumentParser
import Foundation
import RailyardCore
import RailyardEngine

/// Terminal output: progress to stdout, problems to stderr.
enum Output {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func info(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func json<T: Encodable>(_ value: T) {
        let data = (try? MigrationListing.encoder().encode(value)) ?? Data("{}".utf8)
        line(String(decoding: data, as: UTF8.self))
    }

    /// Reports an error and exits: 3 when the database cannot be reached, 1 otherwise.
    static func fail(_ error: any Error, json: Bool) -> ExitCode {
        let exit: ExitCode
        switch error {
        case EngineError.unreachable, EngineError.embedded: exit = ExitCode(3)
        default: exit = .failure
        }
        if json {
            Output.json(ErrorReport(error))
        } else {
            Output.error("✗ \(error)")
        }
        return exit
    }
}

/// `{"status":"failed","error":{…}}` for `--json`.
struct ErrorReport: Encodable {
    struct Detail: Encodable {
        var kind: String
        var message: String
        var diagnostics: [Diagnostic]?
    }

    var status = "failed"
    var error: Detail

    init(_ error: any Error) {
        let kind: String
        var diagnostics: [Diagnostic]?
        switch error {
        case EngineError.directory: kind = "directory"
        case EngineError.invalidMigrations(let found): kind = "invalid_migrations"; diagnostics = found.errors
        case EngineError.refused: kind = "refused"
        case EngineError.unreachable: kind = "unreachable"
        case EngineError.lockWaitTimedOut: kind = "lock_wait_timeout"
        case EngineError.database: kind = "database"
        case EngineError.embedded: kind = "embedded_database"
        case EngineError.configuration: kind = "configuration"
        default: kind = "error"
        }
        self.error = Detail(kind: kind, message: "\(error)", diagnostics: diagnostics)
    }
}
