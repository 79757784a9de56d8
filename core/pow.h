#pragma once

#include <cstdint>
#include <optional>

#include <QByteArray>

#include "core/sha256.h"

// Proof of work as the classic chain defines it: the lowercase hex SHA-256 of
// block_string + str(proof) starts with `difficulty` zero characters.
namespace Pow
{
constexpr int DefaultDifficulty = 6;
constexpr int MaxDifficulty = 64;
constexpr std::uint64_t MaxProof = 0x7fffffffffffffffULL;   // proofs are below 2^63
constexpr int MaxProofDigits = 19;

QByteArray proofHash(const QByteArray &blockString, std::uint64_t proof);   // hex
bool validProof(const QByteArray &blockString, std::uint64_t proof, int difficulty);
// The same from the block string's midstate: one or two compressions.
bool validProof(const Sha256::Midstate &midstate, std::uint64_t proof, int difficulty);

// Whether a final hash state (the digest as eight big-endian words) has `difficulty`
// leading zero hex digits.
bool meetsDifficulty(const Sha256::State &digest, int difficulty);

// Mask over the first digest word: a candidate needs (word0 & mask) == 0.
constexpr std::uint32_t firstWordMask(int difficulty)
{
    return difficulty <= 0 ? 0u : difficulty >= 8 ? 0xffffffffu : ~(0xffffffffu >> (4 * difficulty));
}

// Decimal digits of a proof, written to out (at least 20 bytes); returns the length.
int formatProof(std::uint64_t proof, char *out);

// A first proof for a search over a block string whose midstate tail is tailLength
// bytes, drawn from `random`, whose digit count keeps each attempt cheap: the digits
// and padding fit the final block (tail <= 46), or at least three digits spill into a
// second block whose first is then shared by every attempt. The range after it holds
// billions of proofs of the same digit count.
std::uint64_t fastFirstProof(int tailLength, std::uint64_t random);

// The smallest valid proof in [first, first + count) with the portable engine,
// on the calling thread. Multi-threaded search lives in ProofSearch.
std::optional<std::uint64_t> search(const QByteArray &blockString, int difficulty,
                                    std::uint64_t first, std::uint64_t count);
}
