#include "core/engines/shaniavx512engine.h"

#include <cstdint>
#include <utility>

#include <immintrin.h>

#include "core/engines/cpufeatures.h"
#include "core/engines/lanesearch.h"

using namespace Qt::StringLiterals;

// Only the kernel is compiled for SHA-NI and AVX-512; the rest of this file runs
// anywhere.
#pragma GCC push_options
#pragma GCC diagnostic push
// GCC 12 flags its own _mm512_undefined_* idiom in the intrinsics headers.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC target("sha,avx512f,avx512vl")
namespace
{
#include "core/engines/hybridkernel.h"
#include "core/engines/shaniops.h"
#include "core/engines/zmmops.h"
}
#pragma GCC diagnostic pop
#pragma GCC pop_options

QString ShaNiAvx512Engine::name() const
{
    return u"shani-avx512"_s;
}

bool ShaNiAvx512Engine::isSupported()
{
    const CpuFeatures &cpu = CpuFeatures::current();
    return cpu.shaNi && cpu.sse41 && cpu.avx512f && cpu.avx512vl;
}

SearchResult ShaNiAvx512Engine::search(const Sha256::Midstate &midstate, int difficulty,
                                       std::uint64_t first, std::uint64_t count) const
{
    // 4 SHA-NI lanes beat 2 and 3 on a Zen 5 (README, "Hybrid engines").
    static constexpr LaneSearch::Spec Spec{16 + 4, 4, &hybridKernel<Zmm, ShaNi, 4>};
    return LaneSearch::search(Spec, midstate, difficulty, first, count);
}
