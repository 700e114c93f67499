import ArgumentParser
import FoundationEssentials

/// A failure the CLI reports with a message and its exit code.
struct CLIError: Error, CustomStringConvertible {
    enum Kind: Int32 {
        case failed = 1
        case unreachable = 3
        case notAllowed = 4
        case usage = 64
    }

    var kind: Kind
    var message: String

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    var description: String { message }
}

extension CLIError {
    /// Prints the message and turns it into the exit code.
    func exit() -> ExitCode {
        Terminal.error("railyard: \(message)")
        return ExitCode(kind.rawValue)
    }
}

/// Runs a command body, mapping its failures to the exit codes of the CLI.
func reporting(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as CLIError {
        throw error.exit()
    }
}
