#pragma once

#include "core/engines/searchengine.h"

// SHA-NI (sha256rnds2) on three or four interleaved lanes, so the SHA unit's
// throughput, not one hash's latency, sets the pace. Which count is faster depends on
// the CPU (latency and throughput of sha256rnds2 and sha256msg2 against spilling the 16
// xmm registers); both are registered and calibration picks. The kernel is
// shanikernel.h. Compiled VEX-encoded (AVX) around the SHA instructions; x86-64 only.
class ShaNiEngine final : public SearchEngine
{
public:
    explicit ShaNiEngine(int lanes);   // 3 or 4

    QString name() const override;
    SearchResult search(const Sha256::Midstate &midstate, int difficulty,
                        std::uint64_t first, std::uint64_t count) const override;

    static bool isSupported();

private:
    int m_lanes = 4;
};
