#pragma once

// The SIMD kernel of the multi-lane engines, generic over a vector type V (one
// 32-bit lane per proof). Include it inside the target region of an engine's
// translation unit (#pragma GCC target) and inside an unnamed namespace, so every
// instantiation is compiled for that engine's instructions and stays local to it.
//
// V provides: using T; set(u32); laneIndex(); add; andv; orv; xorv; xor3; ch; maj;
// ror<n>; shr<n>; shl<n>; shrCount(x, n); shlCount(x, n); mulConst(x, u32);
// zeroBits(x, mask) -> bit i set when (lane i & mask) == 0.

#include <cstdint>
#include <utility>

#include "core/engines/lanesearch.h"

template<class V, int t>
[[gnu::always_inline]] inline void laneRound(typename V::T *v, typename V::T wk)
{
    using T = typename V::T;
    T &a = v[(0 - t) & 7];
    T &b = v[(1 - t) & 7];
    T &c = v[(2 - t) & 7];
    T &d = v[(3 - t) & 7];
    T &e = v[(4 - t) & 7];
    T &f = v[(5 - t) & 7];
    T &g = v[(6 - t) & 7];
    T &h = v[(7 - t) & 7];
    const T s1 = V::xor3(V::template ror<6>(e), V::template ror<11>(e), V::template ror<25>(e));
    const T t1 = V::add(V::add(h, s1), V::add(V::ch(e, f, g), wk));
    const T s0 = V::xor3(V::template ror<2>(a), V::template ror<13>(a), V::template ror<22>(a));
    const T t2 = V::add(s0, V::maj(a, b, c));
    d = V::add(d, t1);
    h = V::add(t1, t2);
}

// Round t >= 16: a shared schedule word costs nothing; a varying one adds only its
// varying terms to the shared part (the branches follow the window, so predict well).
template<class V, int t>
[[gnu::always_inline]] inline void laneScheduledRound(typename V::T *v, typename V::T *w,
                                                      const LaneSearch::Job &job)
{
    using T = typename V::T;
    const unsigned terms = job.terms[t];
    if (terms == 0) {
        laneRound<V, t>(v, V::set(job.wk[t]));
        return;
    }
    T x = V::set(job.partial[t]);
    if (terms & 1) {
        const T &w2 = w[(t - 2) & 15];
        x = V::add(x, V::xor3(V::template ror<17>(w2), V::template ror<19>(w2), V::template shr<10>(w2)));
    }
    if (terms & 2)
        x = V::add(x, w[(t - 7) & 15]);
    if (terms & 4) {
        const T &w15 = w[(t - 15) & 15];
        x = V::add(x, V::xor3(V::template ror<7>(w15), V::template ror<18>(w15), V::template shr<3>(w15)));
    }
    if (terms & 8)
        x = V::add(x, w[t & 15]);
    w[t & 15] = x;
    laneRound<V, t>(v, V::add(x, V::set(job.wk[t])));
}

template<class V, int... I>
[[gnu::always_inline]] inline void laneScheduledRounds(typename V::T *v, typename V::T *w,
                                                       const LaneSearch::Job &job,
                                                       std::integer_sequence<int, I...>)
{
    (laneScheduledRound<V, 16 + I>(v, w, job), ...);
}

template<class V, int... I>
[[gnu::always_inline]] inline void laneConstantRounds(typename V::T *v, const std::uint32_t *wk,
                                                      std::integer_sequence<int, I...>)
{
    (laneRound<V, I>(v, V::set(wk[I])), ...);
}

template<class V>
[[gnu::always_inline]] inline typename V::T laneDiv10(typename V::T x)
{
    return V::template shr<19>(V::mulConst(x, 52429));   // exact below 81920
}

template<class V>
[[gnu::always_inline]] inline typename V::T laneTimes10(typename V::T x)
{
    return V::add(V::template shl<3>(x), V::template shl<1>(x));
}

template<class V, int shift>
[[gnu::always_inline]] inline void lanePlace(typename V::T *v, const std::uint32_t *state)
{
    for (int i = 0; i < 8; ++i)
        v[(i - shift) & 7] = V::set(state[i]);
}

template<class V>
std::uint32_t laneKernel(const LaneSearch::Job &job)
{
    using T = typename V::T;
    // The lanes' last four digits: r = rBase + lane, split by multiply-shift division.
    const T r = V::add(V::set(job.rBase), V::laneIndex());
    const T q1 = laneDiv10<V>(r);
    const T q2 = laneDiv10<V>(q1);
    const T q3 = laneDiv10<V>(q2);
    const T d0 = V::sub(r, laneTimes10<V>(q1));
    const T d1 = V::sub(q1, laneTimes10<V>(q2));
    const T d2 = V::sub(q2, laneTimes10<V>(q3));
    const T packed = V::orv(V::orv(V::template shl<24>(q3), V::template shl<16>(d2)),
                            V::orv(V::template shl<8>(d1), d0));

    T w[16];
    for (int i = 0; i < 16; ++i)
        w[i] = V::set(job.words[i]);
    // Constant indices below keep w[] in registers: switch over the possible words.
    const T partA = V::shrCount(packed, job.shiftA);
    const T partB = V::shlCount(packed, job.shiftB);
    switch (job.wordA) {
#define BLOCKFORGE_LANE_WORD(n) \
    case n: \
        w[n] = V::add(w[n], partA); \
        if constexpr (n < 15) { \
            if (job.wordB >= 0) \
                w[n + 1] = V::add(w[n + 1], partB); \
        } \
        break;
        BLOCKFORGE_LANE_WORD(0) BLOCKFORGE_LANE_WORD(1) BLOCKFORGE_LANE_WORD(2)
        BLOCKFORGE_LANE_WORD(3) BLOCKFORGE_LANE_WORD(4) BLOCKFORGE_LANE_WORD(5)
        BLOCKFORGE_LANE_WORD(6) BLOCKFORGE_LANE_WORD(7) BLOCKFORGE_LANE_WORD(8)
        BLOCKFORGE_LANE_WORD(9) BLOCKFORGE_LANE_WORD(10) BLOCKFORGE_LANE_WORD(11)
        BLOCKFORGE_LANE_WORD(12) BLOCKFORGE_LANE_WORD(13) BLOCKFORGE_LANE_WORD(14)
        BLOCKFORGE_LANE_WORD(15)
#undef BLOCKFORGE_LANE_WORD
    default:
        break;
    }

    // State after startRound shared rounds: a..h of round startRound live at
    // v[(i - startRound) & 7]; set them with constant indices.
    T v[8];
    switch (job.startRound & 7) {
    case 0: lanePlace<V, 0>(v, job.state); break;
    case 1: lanePlace<V, 1>(v, job.state); break;
    case 2: lanePlace<V, 2>(v, job.state); break;
    case 3: lanePlace<V, 3>(v, job.state); break;
    case 4: lanePlace<V, 4>(v, job.state); break;
    case 5: lanePlace<V, 5>(v, job.state); break;
    case 6: lanePlace<V, 6>(v, job.state); break;
    default: lanePlace<V, 7>(v, job.state); break;
    }

    switch (job.startRound) {
#define BLOCKFORGE_LANE_ROUND(n) \
    case n: \
        laneRound<V, n>(v, job.terms[n] ? V::add(w[n], V::set(job.wk[n])) : V::set(job.wk[n])); \
        [[fallthrough]];
        BLOCKFORGE_LANE_ROUND(0) BLOCKFORGE_LANE_ROUND(1) BLOCKFORGE_LANE_ROUND(2)
        BLOCKFORGE_LANE_ROUND(3) BLOCKFORGE_LANE_ROUND(4) BLOCKFORGE_LANE_ROUND(5)
        BLOCKFORGE_LANE_ROUND(6) BLOCKFORGE_LANE_ROUND(7) BLOCKFORGE_LANE_ROUND(8)
        BLOCKFORGE_LANE_ROUND(9) BLOCKFORGE_LANE_ROUND(10) BLOCKFORGE_LANE_ROUND(11)
        BLOCKFORGE_LANE_ROUND(12) BLOCKFORGE_LANE_ROUND(13) BLOCKFORGE_LANE_ROUND(14)
        BLOCKFORGE_LANE_ROUND(15)
#undef BLOCKFORGE_LANE_ROUND
    default:
        break;
    }
    laneScheduledRounds<V>(v, w, job, std::make_integer_sequence<int, 48>{});

    // After 64 rounds a..h are at v[0..7].
    if (!job.secondBlock)
        return V::zeroBits(V::add(v[0], V::set(job.feed[0])), job.mask);
    T s[8];
    for (int i = 0; i < 8; ++i) {
        s[i] = V::add(v[i], V::set(job.feed[i]));
        v[i] = s[i];
    }
    laneConstantRounds<V>(v, job.secondWK, std::make_integer_sequence<int, 64>{});
    return V::zeroBits(V::add(v[0], s[0]), job.mask);
}
