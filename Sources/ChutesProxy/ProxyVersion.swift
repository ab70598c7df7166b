/// The release this build is; kept equal to the repository's VERSION file by a test.
public enum ProxyVersion {
    public static let current = "0.1.0"
}
