import CLibCrypto

/// SHA-256 through OpenSSL's libcrypto.
public enum SHA256 {
    /// The algorithm, fetched once: `EVP_sha256()` makes OpenSSL 3 look it up on every digest.
    nonisolated(unsafe) private static let algorithm: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)  // immutable once fetched; OpenSSL allows sharing it between threads

    /// Lower-case hex digest of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { hex($0) }
    }

    /// Lower-case hex digest of the bytes in `buffer`.
    public static func hex(_ buffer: UnsafeRawBufferPointer) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = EVP_Digest(buffer.baseAddress, buffer.count, &digest, &length, algorithm ?? EVP_sha256(), nil)
        precondition(ok == 1, "EVP_Digest(SHA-256) failed")
        let hexDigits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: Int(length) * 2) { text in
            hexDigits.withUTF8Buffer { digits in
                for (index, byte) in digest.prefix(Int(length)).enumerated() {
                    text[index * 2] = digits[Int(byte >> 4)]
                    text[index * 2 + 1] = digits[Int(byte & 0x0F)]
                }
            }
            return Int(length) * 2
        }
    }
}
