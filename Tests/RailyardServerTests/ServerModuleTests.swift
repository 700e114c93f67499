import Foundation
import Testing
import Logging
import RailyardCore
import RailyardEngine
import RailyardAPI
@testable import RailyardServer

/// The server module's own logic, without a server.
@Suite("Server module")
struct ServerModuleTests {
    @Test(arguments: [
        ("/api/runs", "GET, POST"), ("/api/runs/0c5e1f0e-0000-4000-8000-000000000000", "GET"),
        ("/api/runs/0c5e1f0e-0000-4000-8000-000000000000/cancel", "POST"), ("/api/migrations/1/rollback-scaffold", "POST"),
        ("/api/health", "GET"),
    ])
    func knownPathsNameTheirMethods(path: String, methods: String) {
        #expect(RouteTable.allowedMethods(for: path) == methods)
    }

    @Test func unknownPathsHaveNoMethods() {
        #expect(RouteTable.allowedMethods(for: "/api/nothing") == nil)
        #expect(RouteTable.allowedMethods(for: "/api/runs/x/y/z") == nil)
    }

    @Test func aConflictNamesTheActiveRunWhenItIsKnown() {
        let known = RunRoutes.conflict("0c5e1f0e-0000-4000-8000-000000000000")
        #expect(known.status == .conflict)
        #expect(known.extra["active_run"] != nil)
        let unknown = RunRoutes.conflict("")
        #expect(unknown.extra["active_run"] == nil)
        #expect(unknown.detail?.contains("holds the migration lock") == true)
    }

    @Test func runAdviceNamesTheAPIsFields() {
        let refused = EngineError.refused(.changed([]))
        #expect(RunAdvice.hint(for: refused)?.contains("\"allow_changed\": true") == true)
        #expect(RunAdvice.hint(for: EngineError.cancelled) == nil)
    }

    @Test func plainLogLinesStayOneLine() {
        let message = ControlCharacters.neutralized("a\nforged\u{1B}[2J", keepingLines: false)
        #expect(!message.contains("\n") && !message.contains("\u{1B}"))
        #expect(message == "a␊forged␛[2J")
    }
}

/// The event-stream format, both ways: the server writes it, the CLI reads it.
@Suite("Server-Sent Events")
struct ServerSentEventTests {
    @Test func messagesSurviveAnySplitAndAnyLineEnding() {
        let messages = [ServerSentEvent(id: "r:1", event: "step", data: "{\"a\":1}"),
                        ServerSentEvent(id: "r:2", event: "log", data: "two\nlines")]
        let bytes = Array("retry: 1500\n\n: heartbeat\n\n".utf8) + messages.flatMap(\.encoded)
        for ending in ["\n", "\r\n", "\r"] {
            let text = Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\n", with: ending).utf8)
            for size in [1, 2, 7, text.count] {
                var parser = ServerSentEventParser()
                var seen: [ServerSentEvent] = []
                var index = 0
                while index < text.count {
                    seen += parser.feed(text[index..<min(index + size, text.count)])
                    index += size
                }
                #expect(seen == messages, "ending \(ending.debugDescription), pieces of \(size)")
                #expect(parser.lastEventID == "r:2")
                #expect(parser.comments == 1)
                #expect(parser.retryMilliseconds == 1500)
            }
        }
    }

    @Test func anIdOrEventFieldCannotBreakTheFrame() {
        let message = ServerSentEvent(id: "a\nevent: end", event: "x\r\ny", data: "d\r\nid: 9\re")
        var parser = ServerSentEventParser()
        #expect(parser.feed(message.encoded) == [ServerSentEvent(id: "aevent: end", event: "xy", data: "d\nid: 9\ne")])
    }

    @Test func aMessageWithoutDataIsNotDispatched() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array("id: 5\n\n".utf8)).isEmpty)
        #expect(parser.lastEventID == "5")
    }

    @Test func aRunEventRoundTrips() throws {
        let event = RunEvent(runID: "0c5e1f0e-0000-4000-8000-000000000001", sequence: 1900, kind: .step, message: "applied",
                             position: 0, step: RunStep(version: "1", filename: "1_a.sql", status: .applied, durationMs: 3))
        let message = try ServerSentEvent(event)
        #expect(message.id == "0c5e1f0e-0000-4000-8000-000000000001:1900")
        #expect(message.event == "step")
        #expect(message.runEvent?.step == event.step)
        #expect(message.runEvent?.sequence == 1900)
    }
}
