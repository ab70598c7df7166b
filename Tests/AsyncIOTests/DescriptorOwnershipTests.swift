import Glibc
import Testing

@testable import AsyncIO

/// Exactly one owner closes a descriptor, also when registering it with epoll fails.
@Suite struct DescriptorOwnershipTests {
    /// A descriptor epoll refuses (EPERM): a regular file.
    private func regularFile() throws -> Int32 {
        var template = Array("/tmp/descriptor-ownership-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        try #require(fd >= 0)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return fd
    }

    private func isOpen(_ fd: Int32) -> Bool { fcntl(fd, F_GETFD) != -1 }

    @Test func aFailedRegistrationLeavesTheDescriptorToItsCaller() throws {
        let fd = try regularFile()
        #expect(throws: IOError.self) { _ = try Reactor.shared.register(fd) }
        // Before: the discarded Registration closed it in deinit, and the caller closed it
        // again (possibly a number just reused by another connection).
        #expect(isOpen(fd), "the caller still owns the descriptor and closes it once")
        close(fd)
    }

    @Test func aConnectionThatCannotBeRegisteredClosesItsDescriptorOnce() throws {
        let fd = try regularFile()
        #expect(throws: IOError.self) { _ = try TCPConnection(adopting: fd, remoteAddress: nil) }
        #expect(!isOpen(fd))
    }
}
