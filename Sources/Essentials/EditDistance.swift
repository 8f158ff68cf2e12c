/// Levenshtein distance, for "did you mean" hints on mistyped options, commands and fields.
package func editDistance(_ a: String, _ b: String) -> Int {
    let left = Array(a)
    let right = Array(b)
    if left.isEmpty { return right.count }
    if right.isEmpty { return left.count }
    var previous = Array(0...right.count)
    for (i, x) in left.enumerated() {
        var current = [i + 1] + Array(repeating: 0, count: right.count)
        for (j, y) in right.enumerated() {
            current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
        }
        previous = current
    }
    return previous[right.count]
}
