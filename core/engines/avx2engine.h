#pragma once

#include "core/engines/searchengine.h"

// 8 proofs per ymm register (AVX2), lanes sharing every message word but the last
// digits. x86-64 only; needs AVX2 and OS ymm state.
class Avx2Engine final : public SearchEngine
{
public:
    QString name() const override;
    SearchResult search(const Sha256::Midstate &midstate, int difficulty,
                        std::uint64_t first, std::uint64_t count) const override;

    static bool isSupported();
};
