/// A FIFO queue holding at most `capacity` elements: appending to a full queue evicts the oldest.
/// A ring buffer that grows on demand (up to `capacity`), so a large bound costs nothing until used.
struct BoundedQueue<Element> {
    let capacity: Int
    private var storage: [Element?] = []
    private var head = 0
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
    }

    var isEmpty: Bool { count == 0 }

    /// Appends `element`; returns true when the oldest element was evicted to make room.
    @discardableResult
    mutating func append(_ element: Element) -> Bool {
        if count == capacity {
            storage[head] = element
            head = (head + 1) % storage.count
            return true
        }
        if count == storage.count { grow() }
        storage[(head + count) % storage.count] = element
        count += 1
        return false
    }

    /// Every element, oldest first.
    var elements: [Element] {
        (0..<count).compactMap { storage[(head + $0) % storage.count] }
    }

    /// The oldest element.
    var first: Element? { count == 0 ? nil : storage[head] }

    /// Removes and returns up to `maximum` elements from the front, oldest first, stopping at the
    /// first element that does not satisfy `predicate`.
    mutating func removeFirst(upTo maximum: Int, while predicate: (Element) -> Bool = { _ in true }) -> [Element] {
        var result: [Element] = []
        while result.count < maximum, count > 0, let element = storage[head], predicate(element) {
            result.append(element)
            storage[head] = nil
            head = (head + 1) % storage.count
            count -= 1
        }
        if count == 0 { head = 0 }
        return result
    }

    /// Puts `elements` back at the front (in their order) ahead of everything queued; when that
    /// exceeds the capacity the oldest go. Returns how many were evicted.
    mutating func prepend(_ elements: [Element]) -> Int {
        var evicted = 0
        for element in elements.reversed() {
            if count == capacity {
                // Full: the element about to go in front would be the oldest, so it is the one dropped.
                evicted += 1
                continue
            }
            if count == storage.count { grow() }
            head = (head - 1 + storage.count) % storage.count
            storage[head] = element
            count += 1
        }
        return evicted
    }

    private mutating func grow() {
        let newSize = min(max(storage.count * 2, 16), capacity)
        var grown: [Element?] = []
        grown.reserveCapacity(newSize)
        for offset in 0..<count { grown.append(storage[(head + offset) % storage.count]) }
        grown.append(contentsOf: repeatElement(nil, count: newSize - count))
        storage = grown
        head = 0
    }
}
