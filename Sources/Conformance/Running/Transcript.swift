/// One scenario's exchanges, bounded by bytes so a long scenario's memory stays bounded: the
/// first exchanges (how it began) and the latest (how it ended) are kept, half the budget each,
/// and those in between are dropped, a marker standing where they were.
struct Transcript {
    let budget: Int
    private var head: [Exchange] = []
    private var headBytes = 0
    /// The latest exchanges; a dropped one leaves nil until the array is compacted.
    private var tail: [(exchange: Exchange, bytes: Int)?] = []
    private var tailStart = 0
    private var tailBytes = 0
    private(set) var droppedCount = 0
    private var droppedBytes = 0

    init(budget: Int = ScenarioBudget.maxTranscriptBytes) {
        self.budget = budget
    }

    /// What a report shows: the first exchanges, the marker if any were dropped, the latest.
    var exchanges: [Exchange] {
        var all = head
        if droppedCount > 0 { all.append(.droppedMarker(count: droppedCount, bytes: droppedBytes, budget: budget)) }
        all.append(contentsOf: tail[tailStart...].compactMap { $0?.exchange })
        return all
    }

    mutating func append(_ exchange: Exchange) {
        let bytes = exchange.approximateBytes
        if droppedCount == 0, tailStart == tail.count, headBytes + bytes <= budget / 2 {
            head.append(exchange)
            headBytes += bytes
            return
        }
        tail.append((exchange, bytes))
        tailBytes += bytes
        // The latest exchange stays whatever its size: it is usually the one a failure is about.
        while tailBytes > budget / 2, tail.count - tailStart > 1, let oldest = tail[tailStart] {
            tail[tailStart] = nil
            tailStart += 1
            tailBytes -= oldest.bytes
            droppedCount += 1
            droppedBytes += oldest.bytes
        }
        if tailStart > 64, tailStart * 2 > tail.count {
            tail.removeFirst(tailStart)
            tailStart = 0
        }
    }

    mutating func removeAll() {
        self = Transcript(budget: budget)
    }
}

extension Exchange {
    /// Stands where a long scenario's transcript dropped exchanges (see `Transcript`).
    static func droppedMarker(count: Int, bytes: Int, budget: Int) -> Exchange {
        var marker = Exchange(
            step: "\(count) exchange(s) (\(bytes) bytes) dropped here: a scenario's transcript keeps its first and its latest "
                + "exchanges, \(budget) bytes in all", method: "", url: "", requestHeaders: [], requestBody: "")
        marker.dropped = count
        return marker
    }

    /// What keeping this exchange costs, near enough to bound a transcript by.
    var approximateBytes: Int {
        let headers = (requestHeaders + responseHeaders).reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 32 }
        return 256 + step.utf8.count + method.utf8.count + url.utf8.count + requestBody.utf8.count + responseBytes.count + headers
            + (tokenText?.utf8.count ?? 0) + (error?.utf8.count ?? 0) + idpAnswers.reduce(0) { $0 + $1.utf8.count + 16 }
    }
}
