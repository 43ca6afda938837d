// igsim — the self-signed TLS certificate generated at startup.
#pragma once

#include <string>

namespace igsim {

struct CertificatePair {
    std::string certificate_pem;
    std::string private_key_pem;
};

/// A fresh EC P-256 key and a self-signed X.509 v3 certificate for
/// CN=localhost with subjectAltName DNS:localhost, IP:127.0.0.1 (valid from
/// an hour ago for 30 days), so clients can verify igsim against the PEM
/// with hostname checks on. Throws std::runtime_error on OpenSSL failure.
CertificatePair generate_self_signed_certificate();

}  // namespace igsim
