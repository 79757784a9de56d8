#pragma once

// The SHA-NI kernel of the shani engines, generic over the operations O it is built
// from, so that one source is compiled twice: with the SHA-NI intrinsics (in
// shaniengine.cpp, inside its #pragma GCC target region) and with a portable emulation
// of them (emulatedengines.cpp), which verifies this source on any CPU. Include it
// inside an unnamed namespace.
//
// O provides: using X (four 32-bit words, element 0 first); load(const u32 *); add;
// rnds2(cdgh, abef, wk) (sha256rnds2: two rounds with wk's low two words); msg1; msg2
// (sha256msg1/msg2); alignr4(hi, lo) (the middle four words of hi:lo, palignr by 4);
// high2(x) (words 2 and 3 moved to 0 and 1, pshufd 0x0e); wordAt<i>(u32) (a vector
// that is zero but in element i); element3(x); setr(w0, w1, w2, w3).
//
// Lanes take consecutive proofs, so the SHA unit works on Lanes independent hashes at
// once. Message words that are the same in every lane come precomputed by the driver
// (W + K for the rounds, W for the schedule that follows them), decided at compile time
// from where the digits sit (word A, and A + 1 when B): with the digits in word 8 (a
// 217-byte block string, 10-digit proofs), rounds 0-7 are shared per run of 1000
// proofs, W16..W22 per window of 2000, and an attempt costs 28 sha256rnds2 and 11
// sha256msg1/msg2 pairs.

#include <cstdint>
#include <utility>

#include "core/engines/lanekernel.h"
#include "core/engines/lanesearch.h"

template<class O>
struct ShaLane
{
    typename O::X abef;
    typename O::X cdgh;
    typename O::X msg[4];   // W[4q .. 4q + 3] of the last four groups q, at msg[q & 3]
};

template<class O>
[[gnu::always_inline]] inline void shaFourRounds(ShaLane<O> &lane, typename O::X wk)
{
    lane.cdgh = O::rnds2(lane.cdgh, lane.abef, wk);
    lane.abef = O::rnds2(lane.abef, lane.cdgh, O::high2(wk));
}

// Whether message words 4q .. 4q + 3 are the same in every lane.
constexpr bool shaSharedGroup(int a, bool b, int q)
{
    const LanePlan plan = lanePlan(a, b);
    return plan.terms[4 * q] == 0 && plan.terms[4 * q + 1] == 0 && plan.terms[4 * q + 2] == 0
        && plan.terms[4 * q + 3] == 0;
}

// Rounds 4q .. 4q + 3 on every lane. A group of words that is the same in every lane
// comes precomputed; any other is scheduled per lane (q >= 4) or holds the lanes'
// digits (q < 4).
template<class O, int q, int Lanes, int A, bool B>
[[gnu::always_inline]] inline void shaGroup(ShaLane<O> *lanes, const LaneSearch::Job &job)
{
    using X = typename O::X;
    if constexpr (shaSharedGroup(A, B, q)) {
        const X wk = O::load(job.wk + 4 * q);
        for (int l = 0; l < Lanes; ++l) {
            if constexpr (q >= 4)
                lanes[l].msg[q & 3] = O::load(job.schedule + 4 * q);
            shaFourRounds<O>(lanes[l], wk);
        }
    } else {
        const X k = O::load(LaneSearch::RoundConstants + 4 * q);
        for (int l = 0; l < Lanes; ++l) {
            X *m = lanes[l].msg;
            if constexpr (q >= 4) {
                const X w16 = O::msg1(m[q & 3], m[(q + 1) & 3]);
                const X w7 = O::alignr4(m[(q + 3) & 3], m[(q + 2) & 3]);
                m[q & 3] = O::msg2(O::add(w16, w7), m[(q + 3) & 3]);
            }
            shaFourRounds<O>(lanes[l], O::add(m[q & 3], k));
        }
    }
}

// Groups S .. 15.
template<class O, int Lanes, int A, bool B, int S, int... Q>
[[gnu::always_inline]] inline void shaGroupsFrom(ShaLane<O> *lanes, const LaneSearch::Job &job,
                                                 std::integer_sequence<int, Q...>)
{
    (shaGroup<O, S + Q, Lanes, A, B>(lanes, job), ...);
}

// a..h (a at index 0) as the ABEF / CDGH pair the SHA instructions use.
template<class O>
[[gnu::always_inline]] inline void shaLayout(const std::uint32_t *s, typename O::X &abef,
                                             typename O::X &cdgh)
{
    abef = O::setr(s[5], s[4], s[1], s[0]);
    cdgh = O::setr(s[7], s[6], s[3], s[2]);
}

[[gnu::always_inline]] inline std::uint32_t shaPackedDigits(std::uint32_t r)
{
    return ((r / 1000) << 24) | ((r / 100 % 10) << 16) | ((r / 10 % 10) << 8) | (r % 10);
}

// A second block shared by every lane (padding and length only): its W + K are
// precomputed. Returns the hit bits.
template<class O, int Lanes>
[[gnu::noinline]] std::uint32_t shaSecondBlock(ShaLane<O> *lanes, const LaneSearch::Job &job)
{
    using X = typename O::X;
    X feedAbef;
    X feedCdgh;
    shaLayout<O>(job.feed, feedAbef, feedCdgh);
    X start[Lanes];
    for (int l = 0; l < Lanes; ++l) {
        start[l] = lanes[l].abef = O::add(lanes[l].abef, feedAbef);
        lanes[l].cdgh = O::add(lanes[l].cdgh, feedCdgh);
    }
    for (int q = 0; q < 16; ++q) {
        const X wk = O::load(job.secondWK + 4 * q);
        for (int l = 0; l < Lanes; ++l)
            shaFourRounds<O>(lanes[l], wk);
    }
    std::uint32_t hits = 0;
    for (int l = 0; l < Lanes; ++l) {
        const std::uint32_t a = O::element3(O::add(lanes[l].abef, start[l]));
        hits |= static_cast<std::uint32_t>((a & job.mask) == 0) << l;
    }
    return hits;
}

// Lanes r + l from the shared state (abef, cdgh): their message words, with the digits.
template<class O, int Lanes, int A, bool B>
[[gnu::always_inline]] inline void shaStartLanes(ShaLane<O> *lanes, const LaneSearch::Job &job,
                                                 typename O::X abef, typename O::X cdgh,
                                                 std::uint32_t r)
{
    for (int l = 0; l < Lanes; ++l) {
        const std::uint32_t d = shaPackedDigits(r + static_cast<std::uint32_t>(l));
        for (int i = 0; i < 4; ++i)
            lanes[l].msg[i] = O::load(job.words + 4 * i);
        const std::uint32_t partA = (d >> job.shiftA) << job.shiftALeft;
        lanes[l].msg[A / 4] = O::add(lanes[l].msg[A / 4], O::template wordAt<A % 4>(partA));
        if constexpr (B)
            lanes[l].msg[(A + 1) / 4] = O::add(lanes[l].msg[(A + 1) / 4],
                                               O::template wordAt<(A + 1) % 4>(d << job.shiftB));
        lanes[l].abef = abef;
        lanes[l].cdgh = cdgh;
    }
}

// The hit bits of lanes whose one block is done (no second block).
template<class O, int Lanes>
[[gnu::always_inline]] inline std::uint32_t shaHits(const ShaLane<O> *lanes,
                                                    const LaneSearch::Job &job)
{
    std::uint32_t hits = 0;
    for (int l = 0; l < Lanes; ++l) {
        const std::uint32_t a = O::element3(lanes[l].abef) + job.feed[0];
        hits |= static_cast<std::uint32_t>((a & job.mask) == 0) << l;
    }
    return hits;
}

// A run of groups from the shared state after round 4S, up to the first with a hit.
template<class O, int Lanes, int A, bool B, int S>
LaneSearch::Hits shaRun(const LaneSearch::Job &job, std::uint32_t groupCount)
{
    using X = typename O::X;
    X abef;
    X cdgh;
    shaLayout<O>(job.state, abef, cdgh);
    for (std::uint32_t g = 0; g < groupCount; ++g) {
        ShaLane<O> lanes[Lanes];
        shaStartLanes<O, Lanes, A, B>(lanes, job, abef, cdgh, job.rBase + g * Lanes);
        shaGroupsFrom<O, Lanes, A, B, S>(lanes, job, std::make_integer_sequence<int, 16 - S>{});
        const std::uint32_t hits =
            job.secondBlock ? shaSecondBlock<O, Lanes>(lanes, job) : shaHits<O, Lanes>(lanes, job);
        if (hits)
            return {hits, g};
    }
    return {0, groupCount};
}

// The shared rounds end at a multiple of 4: before word A's group, or before word
// A + 1's when only its digits vary.
template<class O, int Lanes, int A, bool B>
LaneSearch::Hits shaKernelAt(const LaneSearch::Job &job, std::uint32_t groupCount)
{
    constexpr int low = A / 4;
    constexpr int high = (B ? A + 1 : A) / 4;
    if constexpr (high != low) {
        if (job.startRound == 4 * high)
            return shaRun<O, Lanes, A, B, high>(job, groupCount);
    }
    return shaRun<O, Lanes, A, B, low>(job, groupCount);
}

template<class O, int Lanes>
LaneSearch::Hits shaKernel(const LaneSearch::Job &job, std::uint32_t groupCount)
{
    const bool b = job.wordB >= 0;
    switch (job.wordA) {
#define BLOCKFORGE_SHA_WORD(n) \
    case n: \
        return b ? shaKernelAt<O, Lanes, n, true>(job, groupCount) \
                 : shaKernelAt<O, Lanes, n, false>(job, groupCount);
        BLOCKFORGE_SHA_WORD(0) BLOCKFORGE_SHA_WORD(1) BLOCKFORGE_SHA_WORD(2)
        BLOCKFORGE_SHA_WORD(3) BLOCKFORGE_SHA_WORD(4) BLOCKFORGE_SHA_WORD(5)
        BLOCKFORGE_SHA_WORD(6) BLOCKFORGE_SHA_WORD(7) BLOCKFORGE_SHA_WORD(8)
        BLOCKFORGE_SHA_WORD(9) BLOCKFORGE_SHA_WORD(10) BLOCKFORGE_SHA_WORD(11)
        BLOCKFORGE_SHA_WORD(12) BLOCKFORGE_SHA_WORD(13) BLOCKFORGE_SHA_WORD(14)
#undef BLOCKFORGE_SHA_WORD
    default:
        return shaKernelAt<O, Lanes, 15, false>(job, groupCount);
    }
}
