import COpenSSL

/// Builds the self-signed X.509 v3 certificate published in `x5c`, so clients that insist on a
/// certificate chain (some .NET and Java stacks) find one for the same key.
enum SelfSignedCertificate {
    static let subjectCommonName = "MockIdP test key"
    static let validitySeconds: Int64 = 3652 * 86_400  // ten years, leap days included

    /// `issuerURL`: an Authority Information Access `caIssuers` URL (RFC 5280 §4.2.2.1), where
    /// a chain builder would fetch the issuer's certificate; the forger points it at a canary.
    static func der(for key: PrivateKey, serial: [UInt8], notBefore: Int64, issuerURL: String? = nil) throws(JOSEError) -> [UInt8] {
        guard let certificate = X509_new() else { throw OpenSSL.error("X509_new") }
        defer { X509_free(certificate) }
        guard X509_set_version(certificate, 2) == 1 else { throw OpenSSL.error("X509_set_version") }

        guard let serialNumber = OpenSSL.bigNum(serial) else { throw OpenSSL.error("serial BN_bin2bn") }
        defer { BN_free(serialNumber) }
        guard let asn1Serial = BN_to_ASN1_INTEGER(serialNumber, nil) else { throw OpenSSL.error("BN_to_ASN1_INTEGER") }
        defer { ASN1_INTEGER_free(asn1Serial) }
        guard X509_set_serialNumber(certificate, asn1Serial) == 1 else { throw OpenSSL.error("X509_set_serialNumber") }

        guard ASN1_TIME_set(X509_getm_notBefore(certificate), time_t(notBefore)) != nil,
            ASN1_TIME_set(X509_getm_notAfter(certificate), time_t(notBefore + validitySeconds)) != nil
        else { throw OpenSSL.error("setting validity") }

        guard let name = X509_get_subject_name(certificate) else { throw OpenSSL.error("X509_get_subject_name") }
        let commonName = Array(subjectCommonName.utf8)
        // MBSTRING_ASC is an OR-ed macro Swift cannot import: MBSTRING_FLAG (0x1000) | 1.
        let mbstringASCII: Int32 = 0x1001
        guard X509_NAME_add_entry_by_txt(name, "CN", mbstringASCII, commonName, Int32(commonName.count), -1, 0) == 1,
            X509_set_issuer_name(certificate, name) == 1,
            X509_set_pubkey(certificate, key.pkey) == 1
        else { throw OpenSSL.error("setting names and key") }
        if let issuerURL {
            guard let ext = X509V3_EXT_conf_nid(nil, nil, NID_info_access, "caIssuers;URI:\(issuerURL)") else {
                throw OpenSSL.error("the caIssuers extension for \(issuerURL)")
            }
            defer { X509_EXTENSION_free(ext) }
            guard X509_add_ext(certificate, ext, -1) == 1 else { throw OpenSSL.error("X509_add_ext") }
        }

        guard X509_sign(certificate, key.pkey, EVP_sha256()) > 0 else { throw OpenSSL.error("X509_sign") }
        let length = i2d_X509(certificate, nil)
        guard length > 0 else { throw OpenSSL.error("i2d_X509") }
        var der = [UInt8](repeating: 0, count: Int(length))
        der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            _ = i2d_X509(certificate, &cursor)
        }
        return der
    }

    /// A positive 16-byte serial (RFC 5280 §4.1.2.2 allows at most 20 octets).
    static func randomSerial() throws(JOSEError) -> [UInt8] {
        var serial = [UInt8](repeating: 0, count: 16)
        guard serial.withUnsafeMutableBufferPointer({ RAND_bytes($0.baseAddress, 16) }) == 1 else { throw OpenSSL.error("RAND_bytes") }
        serial[0] = serial[0] & 0x7F | 0x40
        return serial
    }
}
