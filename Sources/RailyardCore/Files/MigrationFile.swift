import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// One section (`up` or `down`) of a migration file.
public struct MigrationSection: Sendable {
    /// Byte range of the section's text in the file.
    public var range: Range<Int>
    public var statements: [SQLStatement]
}

/// A parsed migration file: name, sections, options and checksum.
public struct MigrationFile: Sendable {
    public let fileName: MigrationFileName
    public let source: SourceText
    public let up: MigrationSection
    public let down: MigrationSection?
    public let options: MigrationOptions
    /// SHA-256 (hex) of the up section with line endings normalized to LF.
    public let checksum: String
    /// True when the up section is wrapped in its own `BEGIN; … COMMIT;`.
    public let isWrappedInTransaction: Bool

    public var filename: String { fileName.filename }
    public var version: String { fileName.version }
    /// What identifies it in the tracking table (see `MigrationFileName.id`).
    public var id: String { fileName.id }
    public var name: String { fileName.name }
    public var transactional: Bool { options.transactional }

    /// The up statements to execute: without a `BEGIN`/`COMMIT` wrapper.
    public var executableStatements: ArraySlice<SQLStatement> {
        isWrappedInTransaction ? up.statements.dropFirst().dropLast() : up.statements[...]
    }

    public func location(of statement: SQLStatement) -> SourceLocation {
        source.location(ofByte: statement.range.lowerBound)
    }

    /// The up section's text, as it is in the file.
    public var upText: String { source.text(up.range) }
    public var downText: String? { down.map { source.text($0.range) } }

    /// This file without its statements, for listings kept in memory (a
    /// thousand files' tokens cost megabytes); `reparsed()` restores them.
    public func withoutStatements() -> MigrationFile {
        MigrationFile(fileName: fileName, source: source, up: MigrationSection(range: up.range, statements: []),
                      down: down.map { MigrationSection(range: $0.range, statements: []) }, options: options,
                      checksum: checksum, isWrappedInTransaction: isWrappedInTransaction)
    }

    /// This file parsed again from its text, statements included.
    public func reparsed() -> MigrationFile {
        MigrationFile.parse(fileName: fileName, bytes: source.bytes, checksum: { [checksum] _ in checksum }).file ?? self
    }

    /// The result of reading one file: the file when it is usable, and every
    /// problem found (errors make `file` nil).
    public struct Parsed: Sendable {
        public var file: MigrationFile?
        public var diagnostics: [Diagnostic]
    }

    /// Parses a file's bytes. `checksum` hashes the normalized up section.
    public static func parse(fileName: MigrationFileName, bytes: [UInt8], checksum: ([UInt8]) -> String) -> Parsed {
        var parser = MigrationFileParser(fileName: fileName, source: SourceText(bytes: bytes))
        return parser.parse(checksum: checksum)
    }

    /// Bytes with CRLF (and lone CR) line endings turned into LF.
    public static func normalizedLineEndings(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        let hasCarriageReturn = bytes.withUnsafeBufferPointer { $0.count > 0 && memchr($0.baseAddress!, 13, $0.count) != nil }
        guard hasCarriageReturn else { return Array(bytes) }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\r") {
                result.append(UInt8(ascii: "\n"))
                if index + 1 < bytes.endIndex && bytes[index + 1] == UInt8(ascii: "\n") { index += 1 }
            } else {
                result.append(byte)
            }
            index += 1
        }
        return result
    }

    init(fileName: MigrationFileName, source: SourceText, up: MigrationSection, down: MigrationSection?,
         options: MigrationOptions, checksum: String, isWrappedInTransaction: Bool) {
        self.fileName = fileName
        self.source = source
        self.up = up
        self.down = down
        self.options = options
        self.checksum = checksum
        self.isWrappedInTransaction = isWrappedInTransaction
    }
}
