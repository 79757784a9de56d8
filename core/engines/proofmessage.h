#pragma once

#include <cstdint>

#include "core/sha256.h"

// The final one or two padded SHA-256 blocks of block_string + str(proof): the
// midstate's tail, the proof's decimal digits, 0x80, zeros and the bit length.
// increment() bumps the digits in place; only a change of digit count rebuilds.
class ProofMessage
{
public:
    ProofMessage(const Sha256::Midstate &midstate, std::uint64_t proof);

    void set(std::uint64_t proof);
    // Moves to proof + 1; returns true when the digit count changed (blocks rebuilt).
    bool increment();

    std::uint64_t proof() const { return m_proof; }
    int blockCount() const { return m_blockCount; }
    const std::uint8_t *block(int i) const { return m_bytes + 64 * i; }
    int digitOffset() const { return m_tailLength; }
    int digitCount() const { return m_digitCount; }

private:
    alignas(64) std::uint8_t m_bytes[128] = {};
    std::uint64_t m_prefixBytes = 0;
    std::uint64_t m_proof = 0;
    int m_tailLength = 0;
    int m_digitCount = 0;
    int m_blockCount = 1;
};
