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
/// locks and makes system calls) looks every `interval` and trims when the free bytes have
/// grown by more than `minimumFreeBytes` over the least seen since the last trim. Trimming
/// does not lower that figure (the freed chunks stay in malloc's bins, only their pages go),
/// so a plain "more than 1 MiB free" test would trim an idle proxy every tick for ever; this
/// one trims once after a burst, and again only after memory was reused and freed anew.
/// The executable's policy, not the library's: an embedder keeps its own.
final class HeapTrimmer {
    private let timer: any DispatchSourceTimer

    init(interval: DispatchTimeInterval = .seconds(2), minimumFreeBytes: Int = 1 << 20) {
        timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(500))
        let leastFreeSinceTrim = Mutex(0)
        timer.setEventHandler {
            let free = Int(csyscalls_malloc_free_bytes())
            let due = leastFreeSinceTrim.withLock { least in
                least = min(least, free)
                return free > least + minimumFreeBytes
            }
            guard due else { return }
            _ = csyscalls_malloc_trim()
            let afterTrim = Int(csyscalls_malloc_free_bytes())
            leastFreeSinceTrim.withLock { $0 = afterTrim }
        }
        timer.resume()
    }

    deinit {
        timer.cancel()
    }
}
