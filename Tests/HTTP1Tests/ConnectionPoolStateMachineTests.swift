import AsyncIO
import TestSupport
import Testing

@testable import HTTP1

/// The connection pool's decisions, without sockets: a "connection" is a numbered object.
@Suite struct ConnectionPoolStateMachineTests {
    final class FakeConnection: CustomStringConvertible {
        let number: Int
        init(_ number: Int) { self.number = number }
        var description: String { "connection \(number)" }
    }

    typealias Machine = ConnectionPoolStateMachine<FakeConnection>

    private let start = Deadline.now
    private func at(seconds: Int) -> Deadline { start.adding(.seconds(seconds)) }

    private func used(_ action: Machine.LeaseAction) -> FakeConnection? {
        if case .use(let connection) = action.lease { return connection }
        return nil
    }
    private func isOpen(_ action: Machine.LeaseAction) -> Bool {
        if case .open = action.lease { return true }
        return false
    }
    private func isWait(_ action: Machine.LeaseAction) -> Bool {
        if case .wait = action.lease { return true }
        return false
    }

    @Test func opensUpToTheLimitThenQueuesWaiters() {
        var machine = Machine(maxConnections: 2, idleTimeout: .seconds(60))
        let one = machine.lease(fresh: false, now: start, waiter: nil)
        let two = machine.lease(fresh: false, now: start, waiter: nil)
        #expect(isOpen(one) && isOpen(two))
        let full = machine.lease(fresh: false, now: start, waiter: nil)
        guard case .mustWait = full.lease else { Issue.record("expected mustWait, got \(full.lease)"); return }
        #expect(machine.waiterCount == 0, "without an id nobody is queued")
        let id = machine.makeWaiterID()
        let queued = machine.lease(fresh: false, now: start, waiter: id)
        #expect(isWait(queued))
        #expect(machine.waiterCount == 1 && machine.openCount == 2)
    }

    @Test func idleConnectionsAreReusedMostRecentFirst() {
        var machine = Machine(maxConnections: 4, idleTimeout: .seconds(60))
        let (a, b) = (FakeConnection(1), FakeConnection(2))
        _ = machine.lease(fresh: false, now: start, waiter: nil)
        _ = machine.lease(fresh: false, now: start, waiter: nil)
        guard case .keep = machine.release(a, now: at(seconds: 1)), case .keep = machine.release(b, now: at(seconds: 2)) else {
            Issue.record("an unawaited connection is kept idle"); return
        }
        let first = used(machine.lease(fresh: false, now: at(seconds: 3), waiter: nil))
        let second = used(machine.lease(fresh: false, now: at(seconds: 3), waiter: nil))
        #expect(first === b && second === a)
        #expect(machine.openCount == 2 && machine.idleCount == 0)
    }

    @Test func anExpiredIdleConnectionIsClosedNotHandedOut() {
        var machine = Machine(maxConnections: 1, idleTimeout: .seconds(60))
        let old = FakeConnection(1)
        _ = machine.lease(fresh: false, now: start, waiter: nil)
        _ = machine.release(old, now: start)
        // Past its expiry, whether the caller would wait or not, it is closed and a new one opened.
        for waiter in [nil, machine.makeWaiterID()] {
            var copy = machine
            let action = copy.lease(fresh: false, now: at(seconds: 61), waiter: waiter)
            #expect(isOpen(action))
            #expect(action.close.map(\.number) == [1])
            #expect(copy.openCount == 1 && copy.idleCount == 0)
        }
        // Just before its expiry it is reused.
        let reused = used(machine.lease(fresh: false, now: at(seconds: 59), waiter: nil))
        #expect(reused === old)
    }

    @Test func closeExpiredClosesOnlyTheExpired() {
        var machine = Machine(maxConnections: 3, idleTimeout: .seconds(10))
        for _ in 0..<3 { _ = machine.lease(fresh: false, now: start, waiter: nil) }
        for (number, second) in [(1, 0), (2, 5), (3, 9)] { _ = machine.release(FakeConnection(number), now: at(seconds: second)) }
        let expired = machine.closeExpired(now: at(seconds: 16))
        #expect(expired.map(\.number) == [1, 2])
        #expect(machine.openCount == 1 && machine.idleCount == 1)
    }

    @Test func aReturnedConnectionGoesToTheLongestWaiter() {
        var machine = Machine(maxConnections: 1, idleTimeout: .seconds(60))
        _ = machine.lease(fresh: false, now: start, waiter: nil)
        let first = machine.makeWaiterID(), second = machine.makeWaiterID()
        let firstLease = machine.lease(fresh: false, now: start, waiter: first)
        let secondLease = machine.lease(fresh: false, now: start, waiter: second)
        #expect(isWait(firstLease) && isWait(secondLease))
        let connection = FakeConnection(1)
        guard case .handOver(let given, to: let id) = machine.release(connection, now: start) else {
            Issue.record("expected a hand-over"); return
        }
        #expect(given === connection && id == first)
        #expect(machine.idleCount == 0 && machine.waiterCount == 1 && machine.openCount == 1)
    }

    @Test func aClosedConnectionsSlotGoesToTheNextWaiter() {
        var machine = Machine(maxConnections: 1, idleTimeout: .seconds(60))
        _ = machine.lease(fresh: false, now: start, waiter: nil)
        let waiter = machine.makeWaiterID()
        _ = machine.lease(fresh: false, now: start, waiter: waiter)
        let granted = machine.connectionClosed()
        #expect(granted == waiter)
        #expect(machine.openCount == 1, "the waiter opens a connection in the freed slot")
        let grantedAgain = machine.connectionClosed()
        #expect(grantedAgain == nil)
        #expect(machine.openCount == 0)
    }

    @Test func aCancelledWaiterIsSkipped() {
        var machine = Machine(maxConnections: 1, idleTimeout: .seconds(60))
        _ = machine.lease(fresh: false, now: start, waiter: nil)
        let gone = machine.makeWaiterID(), staying = machine.makeWaiterID()
        _ = machine.lease(fresh: false, now: start, waiter: gone)
        _ = machine.lease(fresh: false, now: start, waiter: staying)
        let cancelled = machine.cancelWaiter(gone)
        let cancelledAgain = machine.cancelWaiter(gone)
        #expect(cancelled)
        #expect(!cancelledAgain, "cancelling twice finds nothing")
        guard case .handOver(_, to: let id) = machine.release(FakeConnection(1), now: start) else {
            Issue.record("expected a hand-over"); return
        }
        #expect(id == staying)
    }

    @Test func aFreshLeaseSkipsIdleConnectionsAndMakesRoomWhenFull() {
        var machine = Machine(maxConnections: 2, idleTimeout: .seconds(60))
        _ = machine.lease(fresh: false, now: start, waiter: nil)
        _ = machine.lease(fresh: false, now: start, waiter: nil)
        _ = machine.release(FakeConnection(1), now: start)
        _ = machine.release(FakeConnection(2), now: at(seconds: 1))
        let action = machine.lease(fresh: true, now: at(seconds: 2), waiter: nil)
        #expect(isOpen(action))
        #expect(action.close.map(\.number) == [1], "the oldest idle connection makes room")
        #expect(machine.openCount == 2 && machine.idleCount == 1)
    }

    @Test func aWaiterForAFreshConnectionGetsASlotNotAReturnedConnection() {
        var machine = Machine(maxConnections: 1, idleTimeout: .seconds(60))
        _ = machine.lease(fresh: false, now: start, waiter: nil)
        let waiter = machine.makeWaiterID()
        let queued = machine.lease(fresh: true, now: start, waiter: waiter)
        #expect(isWait(queued))
        guard case .closeAndGrantOpen(let closed, to: let id) = machine.release(FakeConnection(7), now: start) else {
            Issue.record("expected close-and-grant"); return
        }
        #expect(closed.number == 7 && id == waiter && machine.openCount == 1)
    }

    @Test func shutDownClosesIdleCancelsWaitersAndClosesWhatComesBack() {
        var machine = Machine(maxConnections: 2, idleTimeout: .seconds(60))
        _ = machine.lease(fresh: false, now: start, waiter: nil)
        _ = machine.lease(fresh: false, now: start, waiter: nil)
        _ = machine.release(FakeConnection(1), now: start)
        _ = machine.lease(fresh: false, now: start, waiter: nil)  // takes 1 again
        let waiter = machine.makeWaiterID()
        _ = machine.lease(fresh: false, now: start, waiter: waiter)
        _ = machine.release(FakeConnection(1), now: start)  // handed to the waiter
        _ = machine.release(FakeConnection(1), now: start)  // back idle
        let (close, cancel) = machine.shutDown()
        #expect(close.map(\.number) == [1] && cancel.isEmpty)
        guard case .close(let closed) = machine.release(FakeConnection(2), now: start) else {
            Issue.record("a connection returned after shutdown is closed"); return
        }
        #expect(closed.number == 2 && machine.openCount == 0)
        guard case .shutDown = machine.lease(fresh: false, now: start, waiter: machine.makeWaiterID()).lease else {
            Issue.record("no lease after shutdown"); return
        }
    }

    @Test func shutDownTellsEveryWaiter() {
        var machine = Machine(maxConnections: 1, idleTimeout: .seconds(60))
        _ = machine.lease(fresh: false, now: start, waiter: nil)
        let ids = (0..<3).map { _ in machine.makeWaiterID() }
        for id in ids { _ = machine.lease(fresh: false, now: start, waiter: id) }
        let cancelled = machine.shutDown().cancel
        #expect(cancelled == ids)
        #expect(machine.waiterCount == 0)
    }

    /// Random operations against a simple model of the invariants: the limit is never
    /// exceeded, idle connections and waiters never coexist, every connection handed out
    /// was within its expiry, and the open count matches the connections known to exist.
    @Test(arguments: [1, 2, 3, 8])
    func randomOperationsKeepTheInvariants(maxConnections: Int) {
        var generator = SplitMix64(seed: UInt64(maxConnections) &* 0x9E37_79B9)
        var machine = Machine(maxConnections: maxConnections, idleTimeout: .seconds(10))
        var inUse: [FakeConnection] = []
        var opening = 0
        var idle: [FakeConnection: Deadline] = [:]
        var waiting: [Machine.WaiterID] = []
        var clock = 0
        var number = 0
        func settle(_ closed: [FakeConnection]) { for connection in closed { idle[connection] = nil } }
        for _ in 0..<5000 {
            clock += Int(generator.next() % 4)
            let now = at(seconds: clock)
            switch generator.next() % 6 {
            case 0, 1:
                let fresh = generator.next() % 5 == 0
                let id = machine.makeWaiterID()
                let action = machine.lease(fresh: fresh, now: now, waiter: id)
                settle(action.close)
                switch action.lease {
                case .use(let connection):
                    #expect(idle[connection].map { $0 > now } == true, "handed out past its expiry")
                    idle[connection] = nil
                    inUse.append(connection)
                case .open: opening += 1
                case .wait: waiting.append(id)
                case .mustWait, .shutDown: Issue.record("unexpected \(action.lease)")
                }
            case 2 where opening > 0:
                opening -= 1
                number += 1
                inUse.append(FakeConnection(number))
            case 3 where !inUse.isEmpty:
                let connection = inUse.remove(at: Int(generator.next() % UInt64(inUse.count)))
                switch machine.release(connection, now: now) {
                case .handOver(let given, to: let id):
                    #expect(waiting.first == id)
                    waiting.removeFirst()
                    inUse.append(given)
                case .closeAndGrantOpen(_, to: let id):
                    #expect(waiting.first == id)
                    waiting.removeFirst()
                    opening += 1
                case .keep: idle[connection] = now.adding(.seconds(10))
                case .close: Issue.record("not shut down")
                }
            case 4 where !inUse.isEmpty:
                inUse.removeLast()
                if let id = machine.connectionClosed() {
                    #expect(waiting.first == id)
                    waiting.removeFirst()
                    opening += 1
                }
            case 5 where !waiting.isEmpty:
                let id = waiting.remove(at: Int(generator.next() % UInt64(waiting.count)))
                let cancelled = machine.cancelWaiter(id)
                #expect(cancelled)
            default:
                settle(machine.closeExpired(now: now))
            }
            #expect(machine.openCount == inUse.count + opening + idle.count)
            #expect(machine.openCount <= maxConnections)
            #expect(machine.idleCount == idle.count && machine.waiterCount == waiting.count)
            #expect(idle.isEmpty || waiting.isEmpty)
        }
    }
}

extension ConnectionPoolStateMachineTests.FakeConnection: Hashable {
    static func == (a: ConnectionPoolStateMachineTests.FakeConnection, b: ConnectionPoolStateMachineTests.FakeConnection) -> Bool { a === b }
    func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}

/// The pool timeout and the sweep's deadline.
@Suite struct ConnectionPoolStateMachineTimeoutTests {
    typealias Machine = ConnectionPoolStateMachine<ConnectionPoolStateMachineTests.FakeConnection>
    private let start = Deadline.now
    private func at(milliseconds: Int) -> Deadline { start.adding(.milliseconds(milliseconds)) }

    @Test func waitersPastThePoolTimeoutAreTimedOutOldestFirstAndOnlyThem() {
        var machine = Machine(maxConnections: 1, idleTimeout: .seconds(60), poolTimeout: .milliseconds(300))
        _ = machine.lease(fresh: false, now: start, waiter: nil)
        let (early, late) = (machine.makeWaiterID(), machine.makeWaiterID())
        _ = machine.lease(fresh: false, now: at(milliseconds: 0), waiter: early)
        _ = machine.lease(fresh: false, now: at(milliseconds: 100), waiter: late)
        #expect(machine.nextDeadline == at(milliseconds: 300))
        #expect(machine.timeOutWaiters(now: at(milliseconds: 299)).isEmpty)
        #expect(machine.timeOutWaiters(now: at(milliseconds: 300)) == [early])
        #expect(machine.waiterCount == 1 && machine.nextDeadline == at(milliseconds: 400))
        #expect(machine.timeOutWaiters(now: at(milliseconds: 400)) == [late])
        #expect(machine.waiterCount == 0 && machine.nextDeadline == nil)
        #expect(machine.openCount == 1, "timing out a waiter frees no slot")
        // A returned connection, with no one left waiting, is kept idle.
        guard case .keep = machine.release(.init(1), now: at(milliseconds: 500)) else {
            Issue.record("the timed-out waiters must not be served")
            return
        }
    }

    @Test func theNextDeadlineIsTheOldestIdleConnectionsExpiry() {
        var machine = Machine(maxConnections: 4, idleTimeout: .seconds(10), poolTimeout: .seconds(30))
        #expect(machine.nextDeadline == nil)
        _ = machine.lease(fresh: false, now: start, waiter: nil)
        _ = machine.lease(fresh: false, now: start, waiter: nil)
        _ = machine.release(.init(1), now: at(milliseconds: 1000))
        _ = machine.release(.init(2), now: at(milliseconds: 2000))
        #expect(machine.nextDeadline == at(milliseconds: 11_000))
        #expect(machine.closeExpired(now: at(milliseconds: 11_000)).map(\.number) == [1])
        #expect(machine.nextDeadline == at(milliseconds: 12_000))
        #expect(machine.closeExpired(now: at(milliseconds: 12_000)).map(\.number) == [2])
        #expect(machine.nextDeadline == nil && machine.openCount == 0)
    }

    @Test func noLimitOpensAsManyAsAsked() {
        var machine = Machine(maxConnections: .max, idleTimeout: .seconds(60))
        for _ in 0..<10_000 {
            guard case .open = machine.lease(fresh: false, now: start, waiter: nil).lease else {
                Issue.record("refused a connection with no limit")
                return
            }
        }
        #expect(machine.openCount == 10_000 && machine.waiterCount == 0)
    }
}
