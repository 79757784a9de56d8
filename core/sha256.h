#pragma once

#include <array>
#include <cstdint>

#include <QByteArray>

// SHA-256 through OpenSSL: one-shot digests (EVP) and the midstate of a long prefix,
// so a proof search pays for the block string once and one compression per attempt.
namespace Sha256
{
using State = std::array<std::uint32_t, 8>;

constexpr State InitialState = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

// The hash state after every full 64-byte block of a message, and the bytes left over.
struct Midstate
{
    State state = InitialState;
    QByteArray tail;              // fewer than 64 bytes
    std::uint64_t prefixBytes = 0; // bytes already compressed into state (a multiple of 64)
};

QByteArray digest(const QByteArray &data);      // 32 raw bytes
QByteArray hexDigest(const QByteArray &data);   // 64 lowercase hex characters

Midstate midstate(const QByteArray &prefix);

// One SHA-256 compression of a 64-byte block into state (OpenSSL's, SHA-NI where the CPU has it).
void compress(State &state, const std::uint8_t *block);
}
