#include "core/engines/proofmessage.h"

#include <cstring>

#include "core/pow.h"

ProofMessage::ProofMessage(const Sha256::Midstate &midstate, std::uint64_t proof)
    : m_prefixBytes{midstate.prefixBytes}
    , m_tailLength{static_cast<int>(midstate.tail.size())}
{
    std::memcpy(m_bytes, midstate.tail.constData(), static_cast<std::size_t>(m_tailLength));
    set(proof);
}

void ProofMessage::set(std::uint64_t proof)
{
    m_proof = proof;
    m_digitCount = Pow::formatProof(proof, reinterpret_cast<char *>(m_bytes) + m_tailLength);
    const int used = m_tailLength + m_digitCount;
    m_blockCount = used + 9 <= 64 ? 1 : 2;
    const int total = 64 * m_blockCount;
    m_bytes[used] = 0x80;
    std::memset(m_bytes + used + 1, 0, static_cast<std::size_t>(total - used - 1));
    const std::uint64_t bits = (m_prefixBytes + static_cast<std::uint64_t>(used)) * 8;
    for (int i = 0; i < 8; ++i)
        m_bytes[total - 1 - i] = static_cast<std::uint8_t>(bits >> (8 * i));
}

bool ProofMessage::increment()
{
    ++m_proof;
    for (int i = m_tailLength + m_digitCount - 1; i >= m_tailLength; --i) {
        if (m_bytes[i] != '9') {
            ++m_bytes[i];
            return false;
        }
        m_bytes[i] = '0';
    }
    set(m_proof);   // 99..9 -> 100..0: one more digit
    return true;
}
