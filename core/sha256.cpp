#include "core/sha256.h"

// The midstate needs the low-level SHA256_CTX, deprecated (not removed) in OpenSSL 3.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>

namespace Sha256
{
QByteArray digest(const QByteArray &data)
{
    QByteArray out(32, Qt::Uninitialized);
    unsigned int length = 0;
    EVP_Digest(data.constData(), static_cast<std::size_t>(data.size()),
               reinterpret_cast<unsigned char *>(out.data()), &length, EVP_sha256(), nullptr);
    return out;
}

QByteArray hexDigest(const QByteArray &data)
{
    return digest(data).toHex();
}

Midstate midstate(const QByteArray &prefix)
{
    Midstate mid;
    const auto *bytes = reinterpret_cast<const std::uint8_t *>(prefix.constData());
    const qsizetype full = prefix.size() / 64 * 64;
    for (qsizetype offset = 0; offset < full; offset += 64)
        compress(mid.state, bytes + offset);
    mid.prefixBytes = static_cast<std::uint64_t>(full);
    mid.tail = prefix.mid(full);
    return mid;
}

void compress(State &state, const std::uint8_t *block)
{
    SHA256_CTX context;
    std::memcpy(context.h, state.data(), sizeof context.h);
    SHA256_Transform(&context, block);
    std::memcpy(state.data(), context.h, sizeof context.h);
}
}
