/// The parser's stack of finished members or elements of the containers still open, nested
/// ones on top. When a container closes, its slice is moved (not copied) into an array of
/// exactly its size: no retain, release or destroy per element, as `Array`'s
/// `Array(stack[base...])` followed by `removeSubrange(base...)` would do. A class, so the
/// parser (which `JSONReader` holds and copies) stays copyable; one parse uses it on one
/// thread.
final class JSONParseStack<Element> {
    private var storage: UnsafeMutablePointer<Element>
    private var capacity: Int
    /// How many elements the stack holds.
    private(set) var count = 0

    init(capacity: Int = 32) {
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    @inline(__always)
    func push(_ element: consuming Element) {
        if count == capacity { grow() }
        (storage + count).initialize(to: element)
        count += 1
    }

    private func grow() {
        let larger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
        larger.moveInitialize(from: storage, count: count)
        storage.deallocate()
        storage = larger
        capacity *= 2
    }

    /// Moves the elements from `base` to the top into a new array, leaving `base` elements.
    func popArray(from base: Int) -> [Element] {
        let taken = count - base
        let source = storage + base
        var array: [Element] = []
        array.reserveCapacity(taken)
        for index in 0..<taken { array.append((source + index).move()) }
        count = base
        return array
    }
}
