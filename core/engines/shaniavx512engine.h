#pragma once

#include "core/engines/searchengine.h"

// SHA-NI and AVX-512 in one loop body (hybridkernel.h), so the SHA unit and the vector
// ALUs work at once: a group is 16 proofs in a zmm register plus 4 on the SHA unit.
// x86-64 only; needs what both avx512 and shani need.
class ShaNiAvx512Engine final : public SearchEngine
{
public:
    QString name() const override;
    SearchResult search(const Sha256::Midstate &midstate, int difficulty,
                        std::uint64_t first, std::uint64_t count) const override;

    static bool isSupported();
};
