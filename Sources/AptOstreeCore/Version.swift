/// The version of apt-ostree.
public enum AptOstreeVersion {
    /// Semantic version of this build.
    public static let string = "0.1.0"
}
