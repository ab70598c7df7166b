import AsyncIO
import CSyscalls
import Foundation
import Testing

/// How many reactors a process runs: the CPUs it may run on, capped by a container's quota.
@Suite struct ReactorCountTests {
    /// A cgroup tree in a temporary folder holding `files` (path → text), removed afterwards.
    func withCgroup(_ files: [String: String], _ body: (String) throws -> Void) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cgroup-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        for (path, text) in files {
            let file = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
        }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try body(root.path)
    }

    @Test(arguments: [
        ("200000 100000\n", 2), ("150000 100000\n", 2), ("50000 100000\n", 1), ("1600000 100000\n", 16), ("max 100000\n", 0),
    ])
    func cgroupV2QuotaIsRoundedUpToWholeCPUs(text: String, cpus: Int) throws {
        try withCgroup(["cpu.max": text]) { root in #expect(ReactorGroup.cpuQuota(cgroupRoot: root) == cpus) }
    }

    @Test func cgroupV1QuotaIsRead() throws {
        try withCgroup(["cpu/cpu.cfs_quota_us": "250000\n", "cpu/cpu.cfs_period_us": "100000\n"]) { root in
            #expect(ReactorGroup.cpuQuota(cgroupRoot: root) == 3)
        }
        try withCgroup(["cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"]) { root in
            #expect(ReactorGroup.cpuQuota(cgroupRoot: root) == 0)
        }
    }

    @Test func noCgroupFilesMeansNoLimit() throws {
        try withCgroup([:]) { root in #expect(ReactorGroup.cpuQuota(cgroupRoot: root) == 0) }
        try withCgroup(["cpu.max": "garbage"]) { root in #expect(ReactorGroup.cpuQuota(cgroupRoot: root) == 0) }
    }

    @Test func availableCPUsNeverExceedTheAffinityMask() {
        let affinity = Int(csyscalls_available_cpus())
        #expect(ReactorGroup.availableCPUs >= 1)
        #expect(ReactorGroup.availableCPUs <= affinity)
        #expect(ReactorGroup.shared.reactors.count == ReactorGroup.availableCPUs)
    }

    @Test func aSizedGroupStartsFromTheSharedReactors() throws {
        let one = try ReactorGroup.sized(1)
        #expect(one.reactors.count == 1 && one.reactors[0] === Reactor.shared)
        let three = try ReactorGroup.sized(3)
        #expect(three.reactors.count == 3 && three.reactors[0] === Reactor.shared)
        #expect(Set(three.reactors.map(ObjectIdentifier.init)).count == 3)
    }
}
