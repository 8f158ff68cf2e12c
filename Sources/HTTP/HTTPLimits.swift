/// Named limits shared by the server's request parser and the client's response parser.
package struct HTTPLimits: Sendable, Hashable {
    /// Request line (or status line) plus all header lines, including CRLFs. Past it: 431.
    package var maxHeadSize: Int = 16 * 1024
    /// Header fields per message. Past it: 431.
    package var maxHeaderCount: Int = 100
    /// Decoded body bytes (Content-Length or the sum of chunks). Past it: 413.
    package var maxBodySize: Int = 1 << 20
    /// Method token length. Past it: 400 (nobody's real method is 33 bytes long).
    package var maxMethodLength: Int = 32
    /// Request-target length. Past it: 414.
    package var maxTargetLength: Int = 8 * 1024
    /// A chunk-size line (with extensions), and each trailer line.
    package var maxChunkLineLength: Int = 1024
    /// Accept `Transfer-Encoding: chunked` request bodies (always within `maxBodySize`).
    /// When false, a chunked request gets 411 Length Required.
    package var allowChunkedRequests: Bool = true

    package init() {}
}
