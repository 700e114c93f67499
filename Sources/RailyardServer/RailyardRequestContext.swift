import Hummingbird

/// Who is calling, as the bearer token says.
public enum CallerRole: Sendable, Equatable {
    case anonymous, read, admin
}

/// Per-request state: the caller's role, and the body limit.
public struct RailyardRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var role: CallerRole = .anonymous

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    public var maxUploadSize: Int { 64 * 1024 }
}
