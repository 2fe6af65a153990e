/// A binary max-heap ordered by `isHigherPriority`, for the byte-pair merge agendas.
struct BinaryHeap<Element> {
    private var elements: [Element] = []
    private let isHigherPriority: (Element, Element) -> Bool

    init(capacity: Int = 0, isHigherPriority: @escaping (Element, Element) -> Bool) {
        self.isHigherPriority = isHigherPriority
        elements.reserveCapacity(capacity)
    }

    var isEmpty: Bool { elements.isEmpty }

    mutating func push(_ element: Element) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard isHigherPriority(elements[child], elements[parent]) else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard !elements.isEmpty else { return nil }
        elements.swapAt(0, elements.count - 1)
        let top = elements.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var candidate = parent
            if left < elements.count, isHigherPriority(elements[left], elements[candidate]) { candidate = left }
            if right < elements.count, isHigherPriority(elements[right], elements[candidate]) { candidate = right }
            guard candidate != parent else { break }
            elements.swapAt(parent, candidate)
            parent = candidate
        }
        return top
    }
}
