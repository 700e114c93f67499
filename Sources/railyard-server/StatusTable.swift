import Foundation
import RailyardAPI
import RailyardCore

/// `status`'s table: a thousand rows are rendered on every status, so its
/// cells are measured first and then written in place, each timestamp and
/// duration as digits rather than a string of its own.
enum StatusTable {
    static let header = ["VERSION", "NAME", "STATUS", "APPLIED AT (UTC)", "TIME"]

    /// Characters on screen; counted by bytes when they are ASCII (as nearly all are), which costs far less.
    static func width(_ text: String) -> Int {
        let ascii = text.utf8.withContiguousStorageIfAvailable { bytes in bytes.allSatisfy { $0 < 0x80 } } ?? false
        return ascii ? text.utf8.count : text.count
    }

    static func render(_ listing: MigrationListing) -> String {
        let invalidRows = listing.invalidFiles.map { invalid -> [String] in
            let name = try? MigrationFileName(invalid.filename)
            return [name?.version ?? "-", name?.name ?? invalid.filename, "invalid", invalid.problem, "-"]
        }
        var widths = header.map(width)
        for entry in listing.migrations {
            widths[0] = max(widths[0], width(entry.version))
            widths[1] = max(widths[1], width(entry.name))
            widths[2] = max(widths[2], width(status(entry)))
            widths[3] = max(widths[3], entry.appliedAt.map(UTCTimestamp.displayWidth) ?? 1)
            widths[4] = max(widths[4], entry.executionMs.map { digitCount($0) + 3 } ?? 1)
        }
        for row in invalidRows {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], width(cell)) }
        }
        var table = Text(widths: widths, rows: listing.migrations.count + invalidRows.count + 1)
        table.row(header)
        for entry in listing.migrations {
            table.cell(entry.version)
            table.cell(entry.name)
            table.cell(status(entry))
            if let appliedAt = entry.appliedAt { table.timestamp(appliedAt) } else { table.cell("-") }
            if let milliseconds = entry.executionMs { table.milliseconds(milliseconds) } else { table.cell("-") }
            table.endRow()
        }
        for row in invalidRows { table.row(row) }
        let invalid = invalidRows.count
        table.bytes += "\n\(listing.summary.counts)\(invalid > 0 ? ", \(invalid) invalid" : "")".utf8
        return String(decoding: table.bytes, as: UTF8.self)
    }

    private static func status(_ entry: MigrationListing.Entry) -> String {
        entry.transactional ? entry.statusText : entry.statusText + " [no-tx]"
    }

    private static func digitCount(_ value: Int) -> Int {
        value < 0 ? String(value).utf8.count : value < 10 ? 1 : 1 + digitCount(value / 10)
    }

    /// The table's bytes, written a cell at a time: each cell but a row's
    /// last padded to its column's width, and no spaces at a row's end.
    struct Text {
        let widths: [Int]
        var bytes: [UInt8] = []
        private var column = 0, rowStart = 0, cellStart = 0, cellWidth = 0

        init(widths: [Int], rows: Int) {
            self.widths = widths
            bytes.reserveCapacity(rows * (widths.reduce(0, +) + 2 * widths.count + 1) + 200)
        }

        mutating func row(_ cells: [String]) {
            for cell in cells { self.cell(cell) }
            endRow()
        }

        mutating func cell(_ text: String) {
            startCell()
            bytes += text.utf8
            cellWidth = StatusTable.width(text)
        }

        mutating func timestamp(_ date: Date) {
            startCell()
            UTCTimestamp.appendDisplay(date, to: &bytes)
            cellWidth = bytes.count - cellStart
        }

        mutating func milliseconds(_ value: Int) {
            startCell()
            if value >= 0 {
                var divisor = 1
                while value / divisor >= 10 { divisor *= 10 }
                while divisor > 0 {
                    bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                    divisor /= 10
                }
            } else {
                bytes += String(value).utf8
            }
            bytes += " ms".utf8
            cellWidth = bytes.count - cellStart
        }

        mutating func endRow() {
            while bytes.count > rowStart && bytes.last == 32 { bytes.removeLast() }
            bytes.append(10)
            column = 0
            rowStart = bytes.count
        }

        /// Pads the cell before this one to its column's width, then the two spaces between columns.
        private mutating func startCell() {
            if column > 0 {
                bytes += repeatElement(32, count: max(0, widths[column - 1] - cellWidth) + 2)
            }
            column += 1
            cellStart = bytes.count
        }
    }
}
