import Synchronization

/// The web shape's own origin (`http://127.0.0.1:PORT`): its redirect URI and logout
/// `return_to` name it, and with port 0 it is known only once the server is bound.
final class AppOrigin: Sendable {
    private let value = Mutex<String?>(nil)

    func set(_ origin: String) { value.withLock { $0 = origin } }

    /// Before `start` (an in-process responder) without a configured public URL there is no
    /// bound port; loopback is the guess.
    var current: String { value.withLock { $0 } ?? "http://127.0.0.1" }
}
