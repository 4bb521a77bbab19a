import Foundation
import MotifAttnCore

/// Errors finding the bundled default model and motif database.
public enum BundledDataError: Error, CustomStringConvertible {
    case notFound(file: String, searched: [String])

    public var description: String {
        switch self {
        case let .notFound(file, searched):
            return "cannot find the bundled \(file) (looked in \(searched.joined(separator: ", "))); set MOTIFATTN_DATA to the Reference folder or give the file explicitly"
        }
    }
}

/// The default model and motif database that ship with motifattn (the repository's `Reference/` folder).
///
/// Found at run time, wherever the binary is run from, in this order: the folder named by the
/// `MOTIFATTN_DATA` environment variable; `PREFIX/share/motifattn` next to an installed binary
/// (`make install PREFIX=...`); a `Reference` folder in any folder above the binary (a build inside
/// the repository); the source tree this library was compiled from.
public enum BundledData {
    /// JASPAR 2026 CORE vertebrates, MEME format.
    public static let motifsFile = "jaspar/jaspar_core_vertebrates.meme"
    /// Names and TF families of the JASPAR motifs.
    public static let annotationsFile = "jaspar/jaspar_core_vertebrates.tsv"
    /// The look-alike classes of the JASPAR motifs (`motifattn classes`), the companion of `motifsFile`.
    public static let classesFile = "jaspar/jaspar_core_vertebrates.classes.tsv"
    /// The default model, trained by `motifattn train` on the demo's training set.
    public static let modelFile = "model/default.safetensors"

    /// Folders searched for the bundled files, in order.
    public static var searchFolders: [String] {
        var folders: [String] = []
        if let env = ProcessInfo.processInfo.environment["MOTIFATTN_DATA"], !env.isEmpty { folders.append(env) }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        folders.append(folder.deletingLastPathComponent().appendingPathComponent("share/motifattn").path)
        for _ in 0..<6 {
            folders.append(folder.appendingPathComponent("Reference").path)
            folder = folder.deletingLastPathComponent()
        }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        folders.append(source.appendingPathComponent("Reference").path)
        return folders
    }

    /// The path of a bundled file (`motifsFile`, `annotationsFile`, `modelFile`).
    public static func path(of file: String) throws -> String {
        let folders = searchFolders
        for folder in folders {
            let candidate = (folder as NSString).appendingPathComponent(file)
            if FileManager.default.isReadableFile(atPath: candidate) { return candidate }
        }
        throw BundledDataError.notFound(file: file, searched: folders)
    }

    /// How outputs name a file: a bundled file as `bundled:` and its name inside the bundle
    /// (`bundled:model/default.safetensors`), any other path unchanged. Run records and reports use it,
    /// so that they do not carry the folder of the machine they were made on; the SHA-256 beside the
    /// name still identifies the file.
    public static func displayPath(_ path: String) -> String {
        let standardized = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        for file in [motifsFile, annotationsFile, modelFile] where standardized.hasSuffix("/" + file) {
            let folder = String(standardized.dropLast(file.count + 1))
            let isBundleFolder = searchFolders.contains {
                URL(fileURLWithPath: $0).standardizedFileURL.resolvingSymlinksInPath().path == folder
            }
            if isBundleFolder { return "bundled:" + file }
        }
        return path
    }
}
