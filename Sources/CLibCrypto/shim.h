/* SHA-256's own functions: unlike the EVP interface they need no provider
   or configuration loaded first, which costs a short command more than the
   hashing. OpenSSL 3 marks them deprecated; they remain part of its API. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
