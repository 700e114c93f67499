import CLibCrypto

/// SHA-256 through OpenSSL's libcrypto (its SHA-256 functions, which use
/// the CPU's SHA instructions where there are some).
public enum SHA256 {
    /// Lower-case hex digest of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        var context = SHA256_CTX()
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        let ok = bytes.withUnsafeBytes { buffer in
            SHA256_Init(&context) == 1 && SHA256_Update(&context, buffer.baseAddress, buffer.count) == 1
                && SHA256_Final(&digest, &context) == 1
        }
        precondition(ok, "SHA-256 failed")
        let hexDigits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: digest.count * 2) { text in
            hexDigits.withUTF8Buffer { digits in
                for (index, byte) in digest.enumerated() {
                    text[index * 2] = digits[Int(byte >> 4)]
                    text[index * 2 + 1] = digits[Int(byte & 0x0F)]
                }
            }
            return digest.count * 2
        }
    }
}
