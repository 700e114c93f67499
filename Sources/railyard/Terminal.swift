import Foundation
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

    static func paint(_ text: String, _ color: Color) -> String {
        useColor ? "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m" : text
    }

    static func line(_ text: String = "") {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Columns padded to their widest cell (colour codes do not count).
    static func table(_ rows: [[String]]) -> String {
        guard let header = rows.first else { return "" }
        let widths = (0..<header.count).map { column in rows.map { visibleWidth($0[column]) }.max() ?? 0 }
        return rows.enumerated().map { index, row in
            let cells = zip(row, widths).map { cell, width in cell + String(repeating: " ", count: max(0, width - visibleWidth(cell))) }
            let text = cells.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
            return index == 0 ? paint(text, .bold) : text
        }.joined(separator: "\n")
    }

    static func visibleWidth(_ text: String) -> Int {
        text.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression).count
    }
}
