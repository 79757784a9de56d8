#include "core/pow.h"

#include "core/engines/opensslengine.h"

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

std::optional<std::uint64_t> search(const QByteArray &blockString, int difficulty,
                                    std::uint64_t first, std::uint64_t count)
{
    const OpenSslEngine engine;
    return engine.search(Sha256::midstate(blockString), difficulty, first, count).proof;
}
}
