#include "core/pow.h"

#include <algorithm>

#include "core/engines/opensslengine.h"
#include "core/engines/proofmessage.h"

namespace Pow
{
int formatProof(std::uint64_t proof, char *out)
{
    char reversed[20];
    int length = 0;
    do {
        reversed[length++] = static_cast<char>('0' + proof % 10);
        proof /= 10;
    } while (proof);
    for (int i = 0; i < length; ++i)
        out[i] = reversed[length - 1 - i];
    return length;
}

QByteArray proofHash(const QByteArray &blockString, std::uint64_t proof)
{
    char digits[20];
    const int length = formatProof(proof, digits);
    return Sha256::hexDigest(blockString + QByteArray(digits, length));
}

std::uint64_t fastFirstProof(int tailLength, std::uint64_t random)
{
    // One block when tail + digits + 9 (0x80 and the length) <= 64; otherwise at least
    // three digits in the second block (tail + digits >= 67). Measured per tail with the
    // multi-lane engines: about 2x faster than the layouts in between.
    constexpr int MinDigits = 12;   // 9 * 10^11 proofs: a 6-zero block needs ~1.7 * 10^7
    int digits = MaxProofDigits;
    if (tailLength <= 55 - MinDigits)
        digits = std::min(16, 55 - tailLength);
    else if (tailLength <= 46)
        digits = 55 - tailLength;   // 9 to 11 digits, still one block
    else
        digits = std::clamp(67 - tailLength, MinDigits, MaxProofDigits);
    std::uint64_t lowest = 1;
    for (int i = 1; i < digits; ++i)
        lowest *= 10;
    // Start in the lower 80% of [10^(d-1), 10^d) (or of [10^18, 2^63)), so a search
    // rarely reaches the next digit count.
    const std::uint64_t highest = digits >= MaxProofDigits ? MaxProof : lowest * 10 - 1;
    const std::uint64_t span = (highest - lowest) / 5 * 4;
    return lowest + (span ? random % span : 0);
}

bool meetsDifficulty(const Sha256::State &digest, int difficulty)
{
    if (difficulty > MaxDifficulty)
        return false;
    int word = 0;
    for (; difficulty >= 8; difficulty -= 8, ++word) {
        if (digest[word] != 0)
            return false;
    }
    return difficulty == 0 || (digest[word] & firstWordMask(difficulty)) == 0;
}

bool validProof(const QByteArray &blockString, std::uint64_t proof, int difficulty)
{
    if (proof > MaxProof || difficulty < 0 || difficulty > MaxDifficulty)
        return false;
    const QByteArray hex = proofHash(blockString, proof);
    for (int i = 0; i < difficulty; ++i) {
        if (hex.at(i) != '0')
            return false;
    }
    return true;
}

bool validProof(const Sha256::Midstate &midstate, std::uint64_t proof, int difficulty)
{
    if (proof > MaxProof || difficulty < 0 || difficulty > MaxDifficulty)
        return false;
    const ProofMessage message(midstate, proof);
    Sha256::State state = midstate.state;
    for (int i = 0; i < message.blockCount(); ++i)
        Sha256::compress(state, message.block(i));
    return meetsDifficulty(state, difficulty);
}

std::optional<std::uint64_t> search(const QByteArray &blockString, int difficulty,
                                    std::uint64_t first, std::uint64_t count)
{
    const OpenSslEngine engine;
    return engine.search(Sha256::midstate(blockString), difficulty, first, count).proof;
}
}
