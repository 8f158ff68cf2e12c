import JOSE

/// The test keys in `keys/`, compiled in so `mockidp serve` works with no files. They are public
/// and never to be trusted (keys/README.md); a test keeps them identical to the files.
package enum DefaultKeys {
    package static let directory = "keys"

    /// `algorithm` lets a start skip decoding the PEMs it will not sign with (about a millisecond
    /// each); the key's own type still decides (a test checks they agree).
    package static let pems: [(kid: String, algorithm: JWSAlgorithm, pem: String)] = [
        (
            kid: "sso_oidc_key_pair_01KDVDRBN06CW62Y816HKPP6V9", algorithm: .rs256,
            pem: """
            -----BEGIN PRIVATE KEY-----
            MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDDGbtKWbVex1YQ
            oqtbkz8EKRuyABnuWvjzpCAGqlUEVr+3IiPXyXIQQS25MyIoRFNgmaTBV69DIYnJ
            3M/Wp78Lfm46Ry6G2BIuEccny/k4KR0vCM5ebcm9WuzMDJkjWSBa5PTNPg4sgvDk
            NaWc4/2MguWyXCKbFS73oT7NS88m5J310cJCB1GR8SePkR0wEMvttRwPIu3z1eqw
            kduPHAv06gkIUoOTAxQClyKhA2ZzOWhKLb/8s2IMJW7ZNy9NhDAJ1RRz6ekmgda5
            hn8f/a4akb1+d8UXo+YcEgtttZcGcTD+yAbQvITvamhgaXBMuGlDja3c5LJAtkb0
            n6o0kKMbAgMBAAECggEAGRDhQzgrWTX7FMARi/5rBjnR2RiyPDFr8sGPa8vOiHQs
            xXaZbEvxX61AFp8/MDU3ER4sULrXRaS1cz3vZgC/RtbDirFChQiVrV2TXMWUC2cc
            3MIg4XjxhmZ8Lesgca4tvf/Ug9oJMCbSlD9gO7v/A2J96GB2Ab7C/gW1b+Lhhnl3
            WIZVpspVvITITtLY/DaAaj7YCM8V6T9ojtyPSL7pKhuPPIn2FoDiZq9aMIa+mqca
            2aZRIQYTGEe0xfZCoyb0YTW3swpy07SwX6aH+8NSngiGDe8BNGtCLPKd2AvICa/B
            maFELq43nYsbfS4NtRRuFsgL7bOb8g7xeKnUvLePoQKBgQDtyAkX/Cfbc4uey2BI
            QplK6jvYgA3tHW6rWaU9YF/VauYi13O5a/QCxDDFs7GayGmFSG4EEMLgn5e1RKPy
            gPj6GkEw7Vhqye/7NDK1wN99bZXtIdz3MbcCD4W2dvLtHYyuq9cS5K8ZhFbujQzO
            M/L0SMwLLsYupDJSfyH93bO3fQKBgQDSDIgklWje3UGC0bc47IJuI/espR8DvwNY
            sCfmoCKtNGBJLsQymxxq4yKYw/EjTy8Q1TPKx1uF+UyB1HPXsZ5RiZmy20TRuWB6
            tGz42nTzdkhtx1nEL7tQhgSGQjvpWSZTGFtuwUrjGEuCVHhlMaMvze/jcqnVxcbb
            ii/MAN84dwKBgQCsRFgSQGS/4J4ulTlUIKveUoS4/U0ZlFExYukL5l6Hx8KjS2RT
            2ZoWxvxuvxjVAo0wOqE54MrO4dCPSwNcFYRL7el9APclptduLwruEqXXwST1f6sO
            i74CiCxfXR3yG45onaZb0cHpwq8YdKfqXEiQIo1xLJn4AI1UpzaBLbWeIQKBgBmR
            4PjjH1MSCCmOsglB8VbLFhl0OGRSWmvvdcwDbnU7TQVbphKrAziX0dxa7f3oY8he
            y+FBh4i1onSjkj6NpsIyR/2X57bIJFCLqkBZB6ejnImQnQLe9KSGzAI0CesMKTgw
            XOEMsrsWeAqzkbxv4HevUCaWDMqzOtP67HqfGI1dAoGBAKLG0NUt+R7gSiLrewvb
            Mwek4PvXORDTm9d+aHVKx+eMlfe7fj70GTR584Zzybmzih7E2bPiC2CC6HU0Tvrf
            qnjD/PG+fIUzWytNR0+0tHpSzB0fXtsoLbuY7nNh25sKLnEyTuI3u+gbd/a196vu
            RNN0dQ72J0/qNVRFYWY4AZ2c
            -----END PRIVATE KEY-----
            """
        ),
        (
            kid: "sso_oidc_key_pair_01KDVDVDA07BS2VHFX7PCQ9NTV", algorithm: .es256,
            pem: """
            -----BEGIN PRIVATE KEY-----
            MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgn7BSaKJKaUGW0rvh
            xsSP/3e31xfWOG1V3/kBOCi/AlGhRANCAATwkpowscIKnMjuiXstEQ2tr0VgFL8Y
            DK1klokvomFlTRtRN/HBhuVv427imL9stKZxGjgTSre56IfnGwx/2jBw
            -----END PRIVATE KEY-----
            """
        ),
    ]
}
