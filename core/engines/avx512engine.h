#pragma once

#include "core/engines/searchengine.h"

// 16 proofs per zmm register (AVX-512F, vprord + vpternlogd), lanes sharing every
// message word but the last digits. x86-64 only; needs AVX-512F/VL and OS zmm state.
class Avx512Engine final : public SearchEngine
{
public:
    QString name() const override;
    SearchResult search(const Sha256::Midstate &midstate, int difficulty,
                        std::uint64_t first, std::uint64_t count) const override;

    static bool isSupported();
};
