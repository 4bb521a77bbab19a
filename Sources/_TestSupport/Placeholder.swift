import Foundation

/// Paths to test fixtures that are committed in the repository.
public enum TestPaths {
    /// The repository's top folder, found from this source file's location.
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}
