import Foundation

/// A directory of its own for a test's keys file, removed afterwards.
final class KeysDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "chutes-keys-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` in the directory, returning its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// Points the link `name` at `target` (a name in the directory) by renaming a new link
    /// over it, as a Kubernetes Secret mount swaps its `..data` link.
    func link(_ name: String, to target: String) throws {
        let temporary = path + "/.\(name).\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createSymbolicLink(atPath: temporary, withDestinationPath: target)
        guard rename(temporary, path + "/" + name) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}
