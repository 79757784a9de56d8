#include "core/engines/avx512engine.h"

#include <cstdint>
#include <utility>

#include <immintrin.h>

#include "core/engines/cpufeatures.h"
#include "core/engines/lanesearch.h"

using namespace Qt::StringLiterals;

// Only the kernel is compiled for AVX-512; the rest of this file runs anywhere.
#pragma GCC push_options
#pragma GCC diagnostic push
// GCC 12 flags its own _mm512_undefined_* idiom in the intrinsics headers.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC target("avx512f,avx512vl")
namespace
{
#include "core/engines/lanekernel.h"
#include "core/engines/zmmops.h"

LaneSearch::Hits zmmKernel(const LaneSearch::Job &job, std::uint32_t groups)
{
    return laneKernel<Zmm>(job, groups);
}
}
#pragma GCC diagnostic pop
#pragma GCC pop_options

QString Avx512Engine::name() const
{
    return u"avx512"_s;
}

bool Avx512Engine::isSupported()
{
    const CpuFeatures &cpu = CpuFeatures::current();
    return cpu.avx512f && cpu.avx512vl;
}

SearchResult Avx512Engine::search(const Sha256::Midstate &midstate, int difficulty,
                                  std::uint64_t first, std::uint64_t count) const
{
    static constexpr LaneSearch::Spec Spec{16, 1, &zmmKernel};
    return LaneSearch::search(Spec, midstate, difficulty, first, count);
}
