import Hummingbird
import RailyardCore

extension RailyardRequestContext {
    /// The `{version}` path parameter: digits, or 400.
    func version() throws -> String {
        let value = parameters.get("version") ?? ""
        guard VersionOrder.isValid(value), value.count <= 32 else {
            throw Problem.badRequest("version must be the digits before the first '_' of a migration file name, not '\(value.prefix(64))'")
        }
        return value
    }
}
