import Foundation
import Testing
import Logging
import RailyardCore
import RailyardEngine
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
