import HTTP

/// The app's one way to the IdP: its base URL, the API key, and one keep-alive pool that the
/// AuthKit grants (`AuthKitClient`) and the directory reads (`IdPDirectoryClient`) share, as an
/// app holding one WorkOS client does.
struct IdPConnection: Sendable {
    let baseURL: String
    let apiKey: String
    let http: HTTPClient

    init(configuration: SampleAppConfiguration) {
        baseURL = configuration.idpBaseURL
        apiKey = configuration.apiKey
        var clientConfiguration = HTTPClient.Configuration(
            connectTimeout: .milliseconds(min(configuration.idpTimeoutMilliseconds, 5_000)),
            readTimeout: .milliseconds(configuration.idpTimeoutMilliseconds))
        // A suite's racing first logins each hold a connection for their directory reads.
        clientConfiguration.maxIdleConnectionsPerHost = 64
        http = HTTPClient(configuration: clientConfiguration)
    }
}
