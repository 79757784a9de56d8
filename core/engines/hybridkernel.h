#pragma once

// The kernel of the hybrid engines (shani-avx512, shani-avx2): one group is V::Lanes
// lanes in vector registers (lanekernel.h) followed by ShaLanes lanes on the SHA unit
// (shanikernel.h), and one loop body runs both, four rounds of the SHA lanes next to
// the same four rounds of the vector lanes, so that the SHA unit and the vector ALUs
// have work at the same time (a call of one kernel after the other would not overlap:
// a kernel's group is far longer than the out-of-order window). Generic over V and O as
// those two are; include it inside a target region that enables both, and inside an
// unnamed namespace.
//
// The SHA lanes start at a multiple of 4 (the driver's round step), the vector lanes at
// the word that holds the digits: the rounds in between are shared, computed once per
// run (LaneSearch::startAt).

#include <cstdint>
#include <utility>

#include "core/engines/lanekernel.h"
#include "core/engines/lanesearch.h"
#include "core/engines/shanikernel.h"

// Round t of the vector lanes, which start at round VS.
template<class V, int t, int A, bool B, int VS>
[[gnu::always_inline]] inline void hybridVectorRound(typename V::T *v, typename V::T *w,
                                                     const LaneSearch::Job &job,
                                                     const LaneSearch::Start &start)
{
    if constexpr (t == VS)
        laneFirstRound<V, t>(v, w[t], start.state, start.firstA, start.firstE);
    else if constexpr (t > VS && t < 16)
        laneEarlyRound<V, t, A, B>(v, w, job);
    else if constexpr (t >= 16)
        laneScheduledRound<V, t, A, B>(v, w, job);
}

// Rounds 4q .. 4q + 3 of both kinds of lanes.
template<class V, class O, int ShaLanes, int A, bool B, int VS, int q>
[[gnu::always_inline]] inline void hybridQuad(typename V::T *v, typename V::T *w,
                                              ShaLane<O> *lanes, const LaneSearch::Job &job,
                                              const LaneSearch::Start &start)
{
    shaGroup<O, q, ShaLanes, A, B>(lanes, job);
    hybridVectorRound<V, 4 * q, A, B, VS>(v, w, job, start);
    hybridVectorRound<V, 4 * q + 1, A, B, VS>(v, w, job, start);
    hybridVectorRound<V, 4 * q + 2, A, B, VS>(v, w, job, start);
    hybridVectorRound<V, 4 * q + 3, A, B, VS>(v, w, job, start);
}

template<class V, class O, int ShaLanes, int A, bool B, int VS, int S, int... Q>
[[gnu::always_inline]] inline void hybridQuads(typename V::T *v, typename V::T *w,
                                               ShaLane<O> *lanes, const LaneSearch::Job &job,
                                               const LaneSearch::Start &start,
                                               std::integer_sequence<int, Q...>)
{
    (hybridQuad<V, O, ShaLanes, A, B, VS, S + Q>(v, w, lanes, job, start), ...);
}

// Rounds 4q .. 4q + 3 of a second block that every lane shares (W + K precomputed).
template<class V, class O, int ShaLanes, int q>
[[gnu::always_inline]] inline void hybridSecondQuad(typename V::T *v, ShaLane<O> *lanes,
                                                    const LaneSearch::Job &job)
{
    const typename O::X wk = O::load(job.secondWK + 4 * q);
    for (int l = 0; l < ShaLanes; ++l)
        shaFourRounds<O>(lanes[l], wk);
    laneRound<V, 4 * q>(v, V::set(job.secondWK[4 * q]));
    laneRound<V, 4 * q + 1>(v, V::set(job.secondWK[4 * q + 1]));
    laneRound<V, 4 * q + 2>(v, V::set(job.secondWK[4 * q + 2]));
    laneRound<V, 4 * q + 3>(v, V::set(job.secondWK[4 * q + 3]));
}

// A second block shared by every lane (padding and length only), both kinds of lanes
// together; returns the hit bits (the SHA lanes' above the vector lanes').
template<class V, class O, int ShaLanes, int... Q>
[[gnu::noinline]] std::uint32_t hybridSecondBlock(typename V::T *v, ShaLane<O> *lanes,
                                                  const LaneSearch::Job &job,
                                                  std::integer_sequence<int, Q...>)
{
    using T = typename V::T;
    using X = typename O::X;
    T s[8];
    for (int i = 0; i < 8; ++i) {
        s[i] = V::add(v[i], V::set(job.feed[i]));
        v[i] = s[i];
    }
    X feedAbef;
    X feedCdgh;
    shaLayout<O>(job.feed, feedAbef, feedCdgh);
    X first[ShaLanes];
    for (int l = 0; l < ShaLanes; ++l) {
        first[l] = lanes[l].abef = O::add(lanes[l].abef, feedAbef);
        lanes[l].cdgh = O::add(lanes[l].cdgh, feedCdgh);
    }
    (hybridSecondQuad<V, O, ShaLanes, Q>(v, lanes, job), ...);
    std::uint32_t hits = V::zeroBits(V::add(v[0], s[0]), job.mask);
    for (int l = 0; l < ShaLanes; ++l) {
        const std::uint32_t a = O::element3(O::add(lanes[l].abef, first[l]));
        hits |= static_cast<std::uint32_t>((a & job.mask) == 0) << (V::Lanes + l);
    }
    return hits;
}

// A run of groups: the SHA lanes from the shared state after round 4S, the vector lanes
// from round VS (A, or A + 1 = 4S when only the second word's digits vary).
template<class V, class O, int ShaLanes, int A, bool B, int S, int VS>
LaneSearch::Hits hybridRun(const LaneSearch::Job &job, std::uint32_t groupCount)
{
    using T = typename V::T;
    using X = typename O::X;
    constexpr std::uint32_t Lanes = V::Lanes + ShaLanes;
    const LaneSearch::Start start = LaneSearch::startAt(job, VS);
    X abef;
    X cdgh;
    shaLayout<O>(job.state, abef, cdgh);
    for (std::uint32_t g = 0; g < groupCount; ++g) {
        const std::uint32_t r = job.rBase + g * Lanes;
        T w[16];
        laneDigitWords<V, A, B>(w, job, r);
        ShaLane<O> lanes[ShaLanes];
        shaStartLanes<O, ShaLanes, A, B>(lanes, job, abef, cdgh, r + V::Lanes);
        // a..h of round t at v[(i - t) & 7]; after 64 rounds at v[0..7].
        T v[8];
        hybridQuads<V, O, ShaLanes, A, B, VS, S>(v, w, lanes, job, start,
                                                 std::make_integer_sequence<int, 16 - S>{});
        std::uint32_t hits = 0;
        if (job.secondBlock) {
            hits = hybridSecondBlock<V, O, ShaLanes>(v, lanes, job,
                                                     std::make_integer_sequence<int, 16>{});
        } else {
            hits = V::zeroBits(V::add(v[0], V::set(job.feed[0])), job.mask)
                | shaHits<O, ShaLanes>(lanes, job) << V::Lanes;
        }
        if (hits)
            return {hits, g};
    }
    return {0, groupCount};
}

template<class V, class O, int ShaLanes, int A, bool B>
LaneSearch::Hits hybridKernelAt(const LaneSearch::Job &job, std::uint32_t groupCount)
{
    constexpr int low = A / 4;
    constexpr int high = (B ? A + 1 : A) / 4;
    if constexpr (high != low) {
        if (job.startRound == 4 * high)
            return hybridRun<V, O, ShaLanes, A, B, high, A + 1>(job, groupCount);
    }
    return hybridRun<V, O, ShaLanes, A, B, low, A>(job, groupCount);
}

template<class V, class O, int ShaLanes>
LaneSearch::Hits hybridKernel(const LaneSearch::Job &job, std::uint32_t groupCount)
{
    static_assert(V::Lanes + ShaLanes <= 32, "a group's hit bits fit one word");
    const bool b = job.wordB >= 0;
    switch (job.wordA) {
#define BLOCKFORGE_HYBRID_WORD(n) \
    case n: \
        return b ? hybridKernelAt<V, O, ShaLanes, n, true>(job, groupCount) \
                 : hybridKernelAt<V, O, ShaLanes, n, false>(job, groupCount);
        BLOCKFORGE_HYBRID_WORD(0) BLOCKFORGE_HYBRID_WORD(1) BLOCKFORGE_HYBRID_WORD(2)
        BLOCKFORGE_HYBRID_WORD(3) BLOCKFORGE_HYBRID_WORD(4) BLOCKFORGE_HYBRID_WORD(5)
        BLOCKFORGE_HYBRID_WORD(6) BLOCKFORGE_HYBRID_WORD(7) BLOCKFORGE_HYBRID_WORD(8)
        BLOCKFORGE_HYBRID_WORD(9) BLOCKFORGE_HYBRID_WORD(10) BLOCKFORGE_HYBRID_WORD(11)
        BLOCKFORGE_HYBRID_WORD(12) BLOCKFORGE_HYBRID_WORD(13) BLOCKFORGE_HYBRID_WORD(14)
#undef BLOCKFORGE_HYBRID_WORD
    default:
        return hybridKernelAt<V, O, ShaLanes, 15, false>(job, groupCount);
    }
}
