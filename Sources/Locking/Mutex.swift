@_exported import Synchronization

#if SANITIZE_THREAD
    import Glibc

    /// The lock every module uses (`Mutex(...)`, `withLock`), normally the standard library's.
    ///
    /// Why this exists: on Linux `Synchronization.Mutex` locks with futex system calls inside
    /// the prebuilt Synchronization library, which ThreadSanitizer cannot see, so under TSan
    /// every access it guards is reported as a data race. The thread-sanitized build
    /// (`scripts/sanitize thread` sets `CHUTES_PROXY_TSAN=1`, which defines `SANITIZE_THREAD`
    /// for this module) uses this pthread lock of the same shape instead; TSan intercepts
    /// `pthread_mutex_*` and so sees the happens-before each lock gives. This declaration
    /// shadows `Synchronization.Mutex` in files that import `Locking` (which re-exports the
    /// rest of Synchronization, such as `Atomic`) and not Synchronization itself.
    public final class Mutex<Value>: @unchecked Sendable {  // Sendable: `value` is only touched under `lock`.
        private var value: Value
        private let lock: UnsafeMutablePointer<pthread_mutex_t>

        /// A lock around `value`.
        public init(_ value: consuming sending Value) {
            self.value = value
            lock = .allocate(capacity: 1)
            lock.initialize(to: pthread_mutex_t())
            pthread_mutex_init(lock, nil)
        }

        deinit {
            pthread_mutex_destroy(lock)
            lock.deallocate()
        }

        /// Runs `body` with the value, holding the lock.
        public borrowing func withLock<Result: ~Copyable, E: Error>(_ body: (inout sending Value) throws(E) -> sending Result) throws(E) -> sending Result {
            pthread_mutex_lock(lock)
            defer { pthread_mutex_unlock(lock) }
            return try body(&value)
        }
    }
#else
    /// The lock every module uses: the standard library's `Synchronization.Mutex` (see the
    /// `SANITIZE_THREAD` branch above for the build in which it is replaced).
    public typealias Mutex = Synchronization.Mutex
#endif
