/// The release this build is; kept equal to the repository's VERSION file by a test.
public enum ProxyVersion {
    /// The version in `VERSION`, as `--version` and `/health` report it.
    public static let current = "0.1.0"
}
