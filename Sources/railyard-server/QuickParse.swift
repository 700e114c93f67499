import ArgumentParser

/// `migrate` and `status` in their plain forms (`--name value` options and
/// flags, each at most once), read without the argument parser's reflection
/// over the command tree: they run on every deploy and in CI loops. Anything
/// else (help, `--name=value`, a repeated or unknown option, a value that
/// fails validation) is nil, and the full parser reads it and words any error.
enum QuickParse {
    static func command(_ arguments: [String]) -> (any ParsableCommand)? {
        guard let name = arguments.first else { return nil }
        let rest = arguments.dropFirst()
        switch name {
        case "migrate": return migrate(rest)
        case "status": return status(rest)
        default: return nil
        }
    }

    // Arrays, not sets: a set of strings costs the runtime a search of every
    // conformance in the binary the first time, more than these few lookups.
    static let databaseValues = ["--dir", "--schema-file", "--database-url", "--schema", "--state-dir"]
    static let migrateValues = ["--lock-wait", "--lock-timeout", "--statement-timeout", "--lock-retries", "--target"]
    static let migrateFlags = ["--allow-changed", "--retry-failed", "--strict-order", "--strict", "--dry-run", "--dump-schema"]

    static func status(_ arguments: ArraySlice<String>) -> StatusCommand? {
        guard let (values, flags) = options(arguments, values: databaseValues, flags: ["--json", "--exit-code"]) else { return nil }
        var command = StatusCommand()
        command.database = database(values, flags)
        command.exitCode = flags.contains("--exit-code")
        return valid { try command.database.validate() } ? command : nil
    }

    static func migrate(_ arguments: ArraySlice<String>) -> MigrateCommand? {
        guard let (values, flags) = options(arguments, values: databaseValues + migrateValues,
                                            flags: migrateFlags + ["--json"]) else { return nil }
        var settings = MigrateOptions()
        settings.lockWait = values["--lock-wait"].flatMap(Double.init)
        settings.lockTimeout = values["--lock-timeout"]
        settings.statementTimeout = values["--statement-timeout"]
        settings.lockRetries = values["--lock-retries"].flatMap { Int($0) }
        settings.allowChanged = flags.contains("--allow-changed")
        settings.retryFailed = flags.contains("--retry-failed")
        settings.strictOrder = flags.contains("--strict-order")
        settings.strict = flags.contains("--strict")
        // A number the parser would refuse is its to word.
        if values["--lock-wait"] != nil && settings.lockWait == nil || values["--lock-retries"] != nil && settings.lockRetries == nil { return nil }
        var command = MigrateCommand()
        command.database = database(values, flags)
        command.migrate = settings
        command.target = values["--target"]
        command.dryRun = flags.contains("--dry-run")
        command.dumpSchema = flags.contains("--dump-schema")
        return valid { try command.database.validate(); try command.migrate.validate(); try command.validate() } ? command : nil
    }

    private static func database(_ values: Given, _ flags: [String]) -> DatabaseOptions {
        var folders = FolderOptions()
        folders.directory = values["--dir"]
        folders.schemaFile = values["--schema-file"]
        var database = DatabaseOptions()
        database.folders = folders
        database.databaseURL = values["--database-url"]
        database.schema = values["--schema"]
        database.stateDirectory = values["--state-dir"]
        database.json = flags.contains("--json")
        return database
    }

    private static func valid(_ check: () throws -> Void) -> Bool {
        (try? check()) != nil
    }

    /// Options given with their values.
    struct Given {
        var pairs: [(option: String, value: String)] = []
        subscript(option: String) -> String? { pairs.first { $0.option == option }?.value }
    }

    /// Each option's value and the flags given; nil for anything but the plain form.
    static func options(_ arguments: ArraySlice<String>, values: [String], flags: [String]) -> (Given, [String])? {
        var given = Given()
        var flagsGiven: [String] = []
        var seen: [String] = []
        var rest = arguments
        while let argument = rest.popFirst() {
            guard !seen.contains(argument) else { return nil }
            seen.append(argument)
            if flags.contains(argument) {
                flagsGiven.append(argument)
            } else if values.contains(argument), let value = rest.popFirst(), !value.hasPrefix("-") {
                given.pairs.append((argument, value))
            } else {
                return nil
            }
        }
        return (given, flagsGiven)
    }
}
