#include "core/engines/shaniengine.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include <immintrin.h>

#include "core/engines/cpufeatures.h"
#include "core/engines/lanesearch.h"

using namespace Qt::StringLiterals;

// Only the kernel is compiled for SHA-NI (+ AVX, so the other vector operations are
// VEX-encoded and never mix with dirty ymm upper halves); the rest runs anywhere.
#pragma GCC push_options
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC target("sha,avx,sse4.1")
namespace
{
#include "core/engines/shaniops.h"
#include "core/engines/shanikernel.h"
}
#pragma GCC diagnostic pop
#pragma GCC pop_options

ShaNiEngine::ShaNiEngine(int lanes)
    : m_lanes{std::clamp(lanes, 3, 4)}
{
}

QString ShaNiEngine::name() const
{
    return u"shani-x%1"_s.arg(m_lanes);
}

bool ShaNiEngine::isSupported()
{
    const CpuFeatures &cpu = CpuFeatures::current();
    return cpu.shaNi && cpu.avx && cpu.sse41;
}

SearchResult ShaNiEngine::search(const Sha256::Midstate &midstate, int difficulty,
                                 std::uint64_t first, std::uint64_t count) const
{
    static constexpr LaneSearch::Spec Specs[] = {
        {3, 4, &shaKernel<ShaNi, 3>}, {4, 4, &shaKernel<ShaNi, 4>}};
    return LaneSearch::search(Specs[m_lanes - 3], midstate, difficulty, first, count);
}
