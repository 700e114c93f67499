import Hummingbird
import RailyardCore

extension RailyardRequestContext {
    /// The `{version}` path parameter: digits, or 400.
    func version() throws -> String {
        let value = parameters.get("version") ?? ""
        if let problem = VersionOrder.referenceProblem(value) { throw Problem.badRequest("the path names \(problem)") }
        return value
    }
}
