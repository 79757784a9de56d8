#include "core/engines/opensslengine.h"

#include <algorithm>

#include "core/engines/proofmessage.h"
#include "core/pow.h"

using namespace Qt::StringLiterals;

QString OpenSslEngine::name() const
{
    return u"openssl"_s;
}

SearchResult OpenSslEngine::search(const Sha256::Midstate &midstate, int difficulty,
                                   std::uint64_t first, std::uint64_t count) const
{
    SearchResult result;
    if (count == 0 || first > Pow::MaxProof)
        return result;
    const std::uint64_t last = std::min(Pow::MaxProof, first + std::min(count - 1, Pow::MaxProof - first));
    const std::uint32_t mask = Pow::firstWordMask(difficulty);
    ProofMessage message(midstate, first);
    for (std::uint64_t proof = first;; ++proof) {
        Sha256::State state = midstate.state;
        Sha256::compress(state, message.block(0));
        if (message.blockCount() == 2)
            Sha256::compress(state, message.block(1));
        ++result.attempts;
        if ((state[0] & mask) == 0 && Pow::meetsDifficulty(state, difficulty)) {
            result.proof = proof;
            return result;
        }
        if (proof == last)
            return result;
        message.increment();
    }
}
