import ArgumentParser
import Foundation
import RailyardAPI
import RailyardCore
import RailyardEngine

/// Terminal output: progress to stdout, problems to stderr.
enum Output {
    /// Every line may carry database text (messages, NOTICEs with table
    /// data): control characters are shown, not obeyed.
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((ControlCharacters.neutralized(text) + "\n").utf8))
    }

    static func info(_ text: String) {
        FileHandle.standardError.write(Data((ControlCharacters.neutralized(text) + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((ControlCharacters.neutralized(text) + "\n").utf8))
    }

    static func json<T: Encodable>(_ value: T) {
        let data = (try? APIJSON.encoder().encode(value)) ?? Data("{}".utf8)
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
            Output.error("✗ \(error)" + (Advice.hint(for: error).map { "\n  hint: \($0)" } ?? ""))
        }
        return exit
    }
}

/// `{"status":"failed","error":{…}}` for `--json`.
struct ErrorReport: Encodable {
    struct Detail: Encodable {
        var kind: FailureKind
        var message: String
        var hint: String?
        var diagnostics: [Diagnostic]?
    }

    var status = RunStatus.failed
    var error: Detail

    init(_ error: any Error) {
        var diagnostics: [Diagnostic]?
        if case EngineError.invalidMigrations(let found) = error { diagnostics = found.errors }
        let kind = (error as? EngineError)?.kind ?? .error
        self.error = Detail(kind: kind, message: "\(error)", hint: Advice.hint(for: error), diagnostics: diagnostics)
    }
}
