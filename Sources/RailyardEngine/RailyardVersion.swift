/// The version reported by the health endpoint and `--version`.
public enum RailyardVersion {
    public static let current = "0.2.0"
}
