import CSyscalls
import Synchronization

/// Reactors that share the work of one server: each runs on its own thread, and a connection
/// is given to one of them in turn, which then both watches its socket and runs its task
/// (see `Reactor`). One reactor per core is the shape of nginx's workers: a request's reads,
/// writes and handling all happen on one thread, and the cores work side by side.
public final class ReactorGroup: Sendable {
    /// `Reactor.shared` and one more reactor for every other CPU this process may use
    /// (`availableCPUs`).
    public static let shared: ReactorGroup = {
        var reactors = [Reactor.shared]
        for _ in 1..<availableCPUs {
            do {
                reactors.append(try Reactor())
            } catch {
                break  // fewer threads than cores still works; one reactor is enough
            }
        }
        return ReactorGroup(reactors.removeFirst(), reactors)
    }()

    /// The CPUs this process may use: those it may run on (`taskset`, cpusets), capped by a
    /// container's CPU quota, which Kubernetes sets from a CPU limit. A pod limited to 2 CPUs
    /// on a 64-core node then runs 2 reactors, not 64 threads contending for 2 CPUs' time.
    public static var availableCPUs: Int {
        let cpus = max(1, Int(csyscalls_available_cpus()))
        let quota = cpuQuota()
        return quota > 0 ? min(cpus, quota) : cpus
    }

    /// The CPU limit set by the cgroup quota under `cgroupRoot` (v2 `cpu.max` or v1
    /// `cpu/cpu.cfs_quota_us` over `cpu.cfs_period_us`), rounded up; 0 when there is none.
    public static func cpuQuota(cgroupRoot: String = "/sys/fs/cgroup") -> Int {
        Int(csyscalls_cpu_quota(cgroupRoot))
    }

    /// A group of `count` reactors (at least one): the first of `shared`'s, and new ones past them.
    public static func sized(_ count: Int) throws(IOError) -> ReactorGroup {
        var reactors = Array(shared.reactors.prefix(max(1, count)))
        while reactors.count < count { reactors.append(try Reactor()) }
        return ReactorGroup(reactors.removeFirst(), reactors)
    }

    /// The reactors, the first one first. Never empty.
    public let reactors: [Reactor]
    private let turn = Atomic<Int>(0)

    /// A group of `first` and `others`.
    public init(_ first: Reactor, _ others: [Reactor] = []) {
        reactors = [first] + others
    }

    /// The reactor for the next connection: each in turn.
    public func next() -> Reactor {
        if reactors.count == 1 { return reactors[0] }
        let index = turn.wrappingAdd(1, ordering: .relaxed).oldValue
        return reactors[Int(UInt(bitPattern: index) % UInt(reactors.count))]
    }

    /// Which of the group's reactors runs the caller: its position, or nil when the caller
    /// is on none of their threads.
    public var currentIndex: Int? {
        guard let current = Reactor.current else { return nil }
        return reactors.firstIndex { $0 === current }
    }
}
