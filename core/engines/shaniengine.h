#pragma once

#include "core/engines/searchengine.h"

// SHA-NI (sha256rnds2) on four interleaved lanes, so the SHA unit's throughput, not
// one hash's latency, sets the pace. Lanes share every message word but the last
// digits; the rounds before the first varying word are computed once per prefix.
// Compiled VEX-encoded (AVX) around the SHA instructions; x86-64 only.
class ShaNiEngine final : public SearchEngine
{
public:
    QString name() const override;
    SearchResult search(const Sha256::Midstate &midstate, int difficulty,
                        std::uint64_t first, std::uint64_t count) const override;

    static bool isSupported();
};
