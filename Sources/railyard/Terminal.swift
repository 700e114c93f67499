import FoundationEssentials
import RailyardCore
#if canImport(Glibc)
import Glibc
#endif

/// Output to people: colour only on a terminal and never with `NO_COLOR`.
enum Terminal {
    static let isInteractive = isatty(STDOUT_FILENO) == 1
    static let useColor = isInteractive && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        && ProcessInfo.processInfo.environment["TERM"] != "dumb"

    enum Color: String {
        case green = "32", red = "31", yellow = "33", dim = "2", bold = "1"
    }

    /// Text from elsewhere (a server, a file name it proposed) made safe to print.
    static func clean(_ text: String) -> String {
        ControlCharacters.neutralized(text, keepingLines: false)
    }

    static func paint(_ text: String, _ color: Color) -> String {
        useColor ? "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m" : text
    }

    static func line(_ text: String = "") {
        write(text + "\n")
    }

    static func write(_ text: String) {
        put(text, to: STDOUT_FILENO)
    }

    static func error(_ text: String) {
        put(text + "\n", to: STDERR_FILENO)
    }

    private static func put(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }

    /// Columns padded to their widest cell (colour codes do not count).
    static func table(_ rows: [[String]]) -> String {
        guard let header = rows.first else { return "" }
        let widths = (0..<header.count).map { column in rows.map { visibleWidth($0[column]) }.max() ?? 0 }
        return rows.enumerated().map { index, row in
            let cells = zip(row, widths).map { cell, width in cell + String(repeating: " ", count: max(0, width - visibleWidth(cell))) }
            var text = cells.joined(separator: "  ")
            while text.last?.isWhitespace == true { text.removeLast() }
            return index == 0 ? paint(text, .bold) : text
        }.joined(separator: "\n")
    }

    /// Characters shown: colour codes (`ESC [ digits ; m`) take no room.
    static func visibleWidth(_ text: String) -> Int {
        var width = 0
        var inCode = false
        var previous: Character = " "
        for character in text {
            if inCode {
                if character == "m" { inCode = false }
            } else if character == "[" && previous == "\u{1B}" {
                inCode = true
                width -= 1  // the escape itself
            } else {
                width += 1
            }
            previous = character
        }
        return width
    }
}
