#include "core/engines/avx2engine.h"

#include <cstdint>
#include <utility>

#include <immintrin.h>

#include "core/engines/cpufeatures.h"
#include "core/engines/lanesearch.h"

using namespace Qt::StringLiterals;

// Only the kernel is compiled for AVX2; the rest of this file runs anywhere.
#pragma GCC push_options
#pragma GCC diagnostic push
// GCC 12 flags its own _mm512_undefined_* idiom in the intrinsics headers.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC target("avx2")
namespace
{
#include "core/engines/lanekernel.h"
#include "core/engines/ymmops.h"

LaneSearch::Hits ymmKernel(const LaneSearch::Job &job, std::uint32_t groups)
{
    const LaneSearch::Hits hits = laneKernel<Ymm>(job, groups);
    _mm256_zeroupper();
    return hits;
}
}
#pragma GCC diagnostic pop
#pragma GCC pop_options

QString Avx2Engine::name() const
{
    return u"avx2"_s;
}

bool Avx2Engine::isSupported()
{
    return CpuFeatures::current().avx2;
}

SearchResult Avx2Engine::search(const Sha256::Midstate &midstate, int difficulty,
                                std::uint64_t first, std::uint64_t count) const
{
    static constexpr LaneSearch::Spec Spec{8, 1, &ymmKernel};
    return LaneSearch::search(Spec, midstate, difficulty, first, count);
}
