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
#include "core/engines/shanikernel.h"

struct ShaNi
{
    using X = __m128i;
    static X load(const std::uint32_t *words)
    {
        return _mm_loadu_si128(reinterpret_cast<const __m128i *>(words));
    }
    static X add(X a, X b) { return _mm_add_epi32(a, b); }
    static X rnds2(X cdgh, X abef, X wk) { return _mm_sha256rnds2_epu32(cdgh, abef, wk); }
    static X msg1(X a, X b) { return _mm_sha256msg1_epu32(a, b); }
    static X msg2(X a, X b) { return _mm_sha256msg2_epu32(a, b); }
    static X alignr4(X hi, X lo) { return _mm_alignr_epi8(hi, lo, 4); }
    static X high2(X x) { return _mm_shuffle_epi32(x, 0x0e); }
    template<int index> static X wordAt(std::uint32_t x)
    {
        return _mm_slli_si128(_mm_cvtsi32_si128(static_cast<int>(x)), 4 * index);
    }
    static std::uint32_t element3(X x)
    {
        return static_cast<std::uint32_t>(_mm_extract_epi32(x, 3));
    }
    static X setr(std::uint32_t w0, std::uint32_t w1, std::uint32_t w2, std::uint32_t w3)
    {
        return _mm_setr_epi32(static_cast<int>(w0), static_cast<int>(w1), static_cast<int>(w2),
                              static_cast<int>(w3));
    }
};
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
