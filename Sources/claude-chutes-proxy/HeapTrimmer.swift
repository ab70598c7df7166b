import CSyscalls
import Dispatch
import Locking

/// Gives heap memory that the proxy freed back to the system.
///
/// glibc's malloc keeps freed memory inside its heaps (one arena per thread that allocated),
/// returning only a free block at the very top of a heap. After a burst of 48 KB requests
/// that was about 11 MB of free but resident memory per proxy (30 MB resident against 19 MB
/// once trimmed), and it stayed until the next burst. `malloc_trim(0)` hands the free pages
/// back (`MADV_DONTNEED`); what is still in use is untouched.
///
/// A timer on a utility dispatch queue (never the cooperative pool: the call takes the arenas'
/// locks and makes system calls) looks every `interval` and trims when more than
/// `minimumFreeBytes` is free and the heap has moved by more than that since the last trim
/// (the sum of how much the free bytes, the separately mapped bytes and the resident bytes
/// changed from tick to tick) but by less than that since the last tick: once a burst is over.
/// Trimming under steady load gave back pages that the next requests faulted in again: the
/// 1,000-delta stream benchmark ran 13 % slower (5 runs of 6). Trimming does not lower the
/// free figure (the freed chunks stay in malloc's bins, only their pages go), so "more than
/// 1 MiB free" alone would trim an idle proxy every tick for ever. The free figure's growth
/// alone (the rule before) missed a burst's tail in 4 runs of 12 on a loaded machine (one malloc arena), keeping 5 to 13 MB
/// that a `malloc_trim` by hand then gave back: after a trim, the last requests took trimmed
/// chunks again (their pages resident again) and gave them back, while their separately
/// mapped bodies were unmapped, so free and resident bytes ended where the trim left them;
/// the mapped bytes moved.
///
/// What a trim cannot reach is the free block at the top of a thread arena's heap (glibc trims
/// only the main arena's); with the rule before, 3.0 to 3.8 MB of it stayed resident in each
/// of one or two thread arenas after such a burst (malloc_info). With this rule 9 such
/// loaded runs ended within 0.5 MB of where they began. `MALLOC_ARENA_MAX=1` (every thread in
/// the main arena) would make it certain, at 10 to 15 % of the throughput of non-streaming
/// requests (docs/performance.md), so it is left to the operator.
///
/// The executable's policy, not the library's: an embedder keeps its own.
final class HeapTrimmer {
    private let timer: any DispatchSourceTimer

    init(interval: DispatchTimeInterval = .seconds(2), minimumFreeBytes: Int = 1 << 20) {
        timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(500))
        // The figures at the last tick, and how far they have moved in all since the last trim.
        let state = Mutex((last: HeapFigures.zero, movedSinceTrim: 0))
        timer.setEventHandler {
            let now = HeapFigures.current()
            let due = state.withLock { state in
                let movedThisTick = now.distance(from: state.last)
                state.movedSinceTrim += movedThisTick
                state.last = now
                let settled = movedThisTick <= minimumFreeBytes
                return settled && state.movedSinceTrim > minimumFreeBytes && now.free > minimumFreeBytes
            }
            guard due else { return }
            _ = csyscalls_malloc_trim()
            let afterTrim = HeapFigures.current()
            state.withLock { $0 = (afterTrim, 0) }
        }
        timer.resume()
    }

    deinit {
        timer.cancel()
    }
}

/// What the trimmer watches of the heap, in bytes.
private struct HeapFigures {
    var free: Int
    var mapped: Int
    var resident: Int

    static let zero = HeapFigures(free: 0, mapped: 0, resident: 0)

    static func current() -> HeapFigures {
        HeapFigures(
            free: Int(csyscalls_malloc_free_bytes()), mapped: Int(csyscalls_malloc_mapped_bytes()),
            resident: Int(csyscalls_resident_bytes()))
    }

    /// How far the heap moved between two readings: the changes of all three added up.
    func distance(from other: HeapFigures) -> Int {
        abs(free - other.free) + abs(mapped - other.mapped) + abs(resident - other.resident)
    }
}
