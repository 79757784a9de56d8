#include "core/engines/shaniengine.h"

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
struct Lane
{
    __m128i abef;
    __m128i cdgh;
    __m128i msg[4];
};

[[gnu::always_inline]] inline __m128i roundConstants(int group)
{
    const std::uint32_t *k = LaneSearch::RoundConstants + 4 * group;
    return _mm_loadu_si128(reinterpret_cast<const __m128i *>(k));
}

[[gnu::always_inline]] inline void fourRounds(Lane &lane, __m128i wk)
{
    lane.cdgh = _mm_sha256rnds2_epu32(lane.cdgh, lane.abef, wk);
    lane.abef = _mm_sha256rnds2_epu32(lane.abef, lane.cdgh, _mm_shuffle_epi32(wk, 0x0e));
}

// Rounds 4g .. 4g + 3 on every lane, scheduling W[4g..4g+3] first when g >= 4.
template<int g, int Lanes>
[[gnu::always_inline]] inline void group(Lane *lanes)
{
    const __m128i k = roundConstants(g);
    for (int l = 0; l < Lanes; ++l) {
        __m128i *m = lanes[l].msg;
        if constexpr (g >= 4) {
            const __m128i w16 = _mm_sha256msg1_epu32(m[g & 3], m[(g + 1) & 3]);
            const __m128i w7 = _mm_alignr_epi8(m[(g + 3) & 3], m[(g + 2) & 3], 4);
            m[g & 3] = _mm_sha256msg2_epu32(_mm_add_epi32(w16, w7), m[(g + 3) & 3]);
        }
        fourRounds(lanes[l], _mm_add_epi32(m[g & 3], k));
    }
}

template<int Lanes, int... G>
[[gnu::always_inline]] inline void scheduledGroups(Lane *lanes, std::integer_sequence<int, G...>)
{
    (group<4 + G, Lanes>(lanes), ...);
}

// a..h (a at index 0) as the ABEF / CDGH pair the SHA instructions use.
[[gnu::always_inline]] inline void toShaLayout(const std::uint32_t *s, __m128i &abef, __m128i &cdgh)
{
    abef = _mm_setr_epi32(static_cast<int>(s[5]), static_cast<int>(s[4]), static_cast<int>(s[1]),
                          static_cast<int>(s[0]));
    cdgh = _mm_setr_epi32(static_cast<int>(s[7]), static_cast<int>(s[6]), static_cast<int>(s[3]),
                          static_cast<int>(s[2]));
}

[[gnu::always_inline]] inline __m128i wordAt(std::uint32_t x, int index)
{
    switch (index & 3) {
    case 0: return _mm_cvtsi32_si128(static_cast<int>(x));
    case 1: return _mm_insert_epi32(_mm_setzero_si128(), static_cast<int>(x), 1);
    case 2: return _mm_insert_epi32(_mm_setzero_si128(), static_cast<int>(x), 2);
    default: return _mm_insert_epi32(_mm_setzero_si128(), static_cast<int>(x), 3);
    }
}

std::uint32_t packedDigits(std::uint32_t r)
{
    return ((r / 1000) << 24) | ((r / 100 % 10) << 16) | ((r / 10 % 10) << 8) | (r % 10);
}

template<int Lanes>
std::uint32_t shaNiKernel(const LaneSearch::Job &job)
{
    __m128i shared[4];
    for (int i = 0; i < 4; ++i)
        shared[i] = _mm_loadu_si128(reinterpret_cast<const __m128i *>(job.words + 4 * i));
    __m128i abef;
    __m128i cdgh;
    toShaLayout(job.state, abef, cdgh);

    Lane lanes[Lanes];
    for (int l = 0; l < Lanes; ++l) {
        const std::uint32_t d = packedDigits(job.rBase + static_cast<std::uint32_t>(l));
        const __m128i partA = wordAt((d >> job.shiftA) << job.shiftALeft, job.wordA);
        const __m128i partB =
            job.wordB >= 0 ? wordAt(d << job.shiftB, job.wordB) : _mm_setzero_si128();
        for (int i = 0; i < 4; ++i) {
            __m128i m = shared[i];
            if (job.wordA / 4 == i)
                m = _mm_add_epi32(m, partA);
            if (job.wordB / 4 == i)
                m = _mm_add_epi32(m, partB);
            lanes[l].msg[i] = m;
        }
        lanes[l].abef = abef;
        lanes[l].cdgh = cdgh;
    }

    switch (job.startRound / 4) {
    case 0: group<0, Lanes>(lanes); [[fallthrough]];
    case 1: group<1, Lanes>(lanes); [[fallthrough]];
    case 2: group<2, Lanes>(lanes); [[fallthrough]];
    default: group<3, Lanes>(lanes); break;
    }
    scheduledGroups<Lanes>(lanes, std::make_integer_sequence<int, 12>{});

    __m128i feedAbef;
    __m128i feedCdgh;
    toShaLayout(job.feed, feedAbef, feedCdgh);
    std::uint32_t hits = 0;
    if (!job.secondBlock) {
        for (int l = 0; l < Lanes; ++l) {
            const auto a =
                static_cast<std::uint32_t>(_mm_extract_epi32(lanes[l].abef, 3)) + job.feed[0];
            hits |= static_cast<std::uint32_t>((a & job.mask) == 0) << l;
        }
        return hits;
    }
    // A second block shared by every lane: its W + K are precomputed.
    __m128i start[Lanes][2];
    for (int l = 0; l < Lanes; ++l) {
        start[l][0] = lanes[l].abef = _mm_add_epi32(lanes[l].abef, feedAbef);
        start[l][1] = lanes[l].cdgh = _mm_add_epi32(lanes[l].cdgh, feedCdgh);
    }
    for (int g = 0; g < 16; ++g) {
        const __m128i wk = _mm_loadu_si128(reinterpret_cast<const __m128i *>(job.secondWK + 4 * g));
        for (int l = 0; l < Lanes; ++l)
            fourRounds(lanes[l], wk);
    }
    for (int l = 0; l < Lanes; ++l) {
        const __m128i finalAbef = _mm_add_epi32(lanes[l].abef, start[l][0]);
        const auto a = static_cast<std::uint32_t>(_mm_extract_epi32(finalAbef, 3));
        hits |= static_cast<std::uint32_t>((a & job.mask) == 0) << l;
    }
    return hits;
}
}
#pragma GCC diagnostic pop
#pragma GCC pop_options

ShaNiEngine::ShaNiEngine(int lanes)
    : m_lanes{lanes == 2 ? 2 : 4}
{
}

QString ShaNiEngine::name() const
{
    return m_lanes == 2 ? u"shani-x2"_s : u"shani-x4"_s;
}

bool ShaNiEngine::isSupported()
{
    const CpuFeatures &cpu = CpuFeatures::current();
    return cpu.shaNi && cpu.avx && cpu.sse41;
}

SearchResult ShaNiEngine::search(const Sha256::Midstate &midstate, int difficulty,
                                 std::uint64_t first, std::uint64_t count) const
{
    static constexpr LaneSearch::Spec TwoLanes{2, 4, &shaNiKernel<2>};
    static constexpr LaneSearch::Spec FourLanes{4, 4, &shaNiKernel<4>};
    return LaneSearch::search(m_lanes == 2 ? TwoLanes : FourLanes, midstate, difficulty, first,
                              count);
}
