import FoundationEssentials
import Glibc

/// A report file that is either the whole new report or absent, never a half-written one or the
/// last run's: it is written to a temporary file beside the target and renamed over it, and a
/// run removes the old one before it starts (so a run killed with SIGKILL leaves no report that
/// CI could publish as this run's result).
package enum ReportFile {
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    /// Writes `bytes` to `path` atomically (temp file in the same directory, fsync, rename).
    package static func write(_ bytes: [UInt8], to path: String) throws(Failure) {
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot create \(temporary)") }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress.map { $0 + written }, bytes.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let problem = failure("cannot write \(temporary)")
                close(fd)
                unlink(temporary)
                throw problem
            }
            written += count
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced, rename(temporary, path) == 0 else {
            let problem = failure("cannot move \(temporary) to \(path)")
            unlink(temporary)
            throw problem
        }
    }

    /// Removes a report left by an earlier run; a missing file is fine.
    package static func removeStale(_ path: String) throws(Failure) {
        guard unlink(path) == 0 || errno == ENOENT else { throw failure("cannot remove the previous report \(path)") }
    }

    private static func failure(_ what: String) -> Failure { Failure(description: "\(what): \(String(cString: strerror(errno)))") }
}
