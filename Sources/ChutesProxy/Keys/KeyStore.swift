import Glibc
import Locking
import Logging

/// The keys in force, reloaded from `PROXY_KEYS_FILE` on SIGHUP (`reload()`) or when the
/// file changes (`reloadIfChanged()`, polled). A reload swaps the whole `KeyRing` at once:
/// requests already admitted keep going, later ones meet the new keys. A file that does not
/// read keeps the keys in force and logs an error (once per version of the file).
final class KeyStore: Sendable {
    /// The keys file, nil without one (the ring never changes then).
    let path: String?
    private let unnamed: InboundKeys
    private let logger: Logger
    private let state: Mutex<(ring: KeyRing, file: FileIdentity?)>

    /// The ring read at start-up: `named` is what the configuration loaded from `path`.
    init(unnamed: InboundKeys, named: [NamedKey], path: String?, logger: Logger) {
        self.path = path
        self.unnamed = unnamed
        self.logger = logger
        state = Mutex((KeyRing(unnamed: unnamed, named: named), path.flatMap(FileIdentity.init(path:))))
    }

    /// The keys in force.
    var ring: KeyRing { state.withLock { $0.ring } }

    /// Whether named keys are in force (only then is usage per key kept).
    var hasNamedKeys: Bool { state.withLock { !$0.ring.named.isEmpty } }

    /// Reads the file again whatever its identity (SIGHUP). True when the keys were replaced.
    @discardableResult
    func reload() -> Bool {
        guard let path else { return false }
        return load(path, identity: FileIdentity(path: path))
    }

    /// Reads the file again when its identity (device, inode, size, modification and
    /// change times, the link followed) differs from the last one seen: a Kubernetes Secret
    /// mount swaps a symbolic link, which changes the inode. A `stat` per poll.
    @discardableResult
    func reloadIfChanged() -> Bool {
        guard let path else { return false }
        let identity = FileIdentity(path: path)
        guard state.withLock({ $0.file != identity }) else { return false }
        return load(path, identity: identity)
    }

    private func load(_ path: String, identity: FileIdentity?) -> Bool {
        do {
            let named = try KeysFile.load(path: path)
            state.withLock { $0 = (KeyRing(unnamed: unnamed, named: named), identity) }
            logger.info("keys reloaded from \(path): \(named.count) named keys")
            return true
        } catch {
            // Remembered, so a bad file is reported once, not at every poll.
            state.withLock { $0.file = identity }
            logger.error("keys not reloaded, the keys in force stay: \(error)")
            return false
        }
    }
}

/// What tells one version of a file from another without reading it.
struct FileIdentity: Equatable, Sendable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let modified: Int64
    let modifiedNanoseconds: Int64
    let changed: Int64
    let changedNanoseconds: Int64

    /// The identity of the file `path` names (links followed); nil when it cannot be read.
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = Int64(info.st_mtim.tv_sec)
        modifiedNanoseconds = Int64(info.st_mtim.tv_nsec)
        changed = Int64(info.st_ctim.tv_sec)
        changedNanoseconds = Int64(info.st_ctim.tv_nsec)
    }
}
