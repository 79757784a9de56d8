#pragma once

// The SIMD kernel of the multi-lane engines, generic over a vector type V (one
// 32-bit lane per proof). Include it inside the target region of an engine's
// translation unit (#pragma GCC target) and inside an unnamed namespace, so every
// instantiation is compiled for that engine's instructions and stays local to it.
//
// V provides: using T; Lanes; set(u32); laneIndex(); add; sub; orv; xor3; ch; maj; ror<n>;
// shr<n>; shl<n>; shrCount(x, n); shlCount(x, n); mulConst(x, u32);
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

// Which message words vary across lanes when the lanes' digits sit in word A (and
// A + 1 when B): bit 0..3 of terms[t] (t >= 16) say which of sigma1(W[t-2]), W[t-7],
// sigma0(W[t-15]), W[t-16] vary; for t < 16, terms[t] != 0 when W[t] varies. It
// matches what LaneSearch puts in Job::terms, known here at compile time.
struct LanePlan
{
    unsigned char terms[64] = {};
};

constexpr LanePlan lanePlan(int a, bool b)
{
    LanePlan plan;
    bool varies[64] = {};
    for (int t = 0; t < 16; ++t) {
        varies[t] = t == a || (b && t == a + 1);
        plan.terms[t] = varies[t] ? 1 : 0;
    }
    for (int t = 16; t < 64; ++t) {
        const unsigned terms = (varies[t - 2] ? 1u : 0u) | (varies[t - 7] ? 2u : 0u)
            | (varies[t - 15] ? 4u : 0u) | (varies[t - 16] ? 8u : 0u);
        plan.terms[t] = static_cast<unsigned char>(terms);
        varies[t] = terms != 0;
    }
    return plan;
}

// Round t >= 16: a shared schedule word is one broadcast W + K; a varying one adds
// only its varying terms to the shared part.
template<class V, int t, int A, bool B>
[[gnu::always_inline]] inline void laneScheduledRound(typename V::T *v, typename V::T *w,
                                                      const LaneSearch::Job &job)
{
    using T = typename V::T;
    constexpr unsigned terms = lanePlan(A, B).terms[t];
    if constexpr (terms == 0) {
        laneRound<V, t>(v, V::set(job.wk[t]));
    } else {
        T x = V::set(job.partial[t]);
        if constexpr ((terms & 1) != 0) {
            const T &w2 = w[(t - 2) & 15];
            x = V::add(x, V::xor3(V::template ror<17>(w2), V::template ror<19>(w2),
                                  V::template shr<10>(w2)));
        }
        if constexpr ((terms & 2) != 0)
            x = V::add(x, w[(t - 7) & 15]);
        if constexpr ((terms & 4) != 0) {
            const T &w15 = w[(t - 15) & 15];
            x = V::add(x, V::xor3(V::template ror<7>(w15), V::template ror<18>(w15),
                                  V::template shr<3>(w15)));
        }
        if constexpr ((terms & 8) != 0)
            x = V::add(x, w[t & 15]);
        w[t & 15] = x;
        laneRound<V, t>(v, V::add(x, V::set(job.wk[t])));
    }
}

// Round t < 16: W[t] is a vector only when it holds the lanes' digits.
template<class V, int t, int A, bool B>
[[gnu::always_inline]] inline void laneEarlyRound(typename V::T *v, typename V::T *w,
                                                  const LaneSearch::Job &job)
{
    if constexpr (lanePlan(A, B).terms[t] != 0)
        laneRound<V, t>(v, V::add(w[t], V::set(job.wk[t])));
    else
        laneRound<V, t>(v, V::set(job.wk[t]));
}

// Rounds 16 - sizeof...(I) .. 15 (none when the digits are in the last words).
template<class V, int A, bool B, int... I>
[[gnu::always_inline]] inline void laneEarlyRounds([[maybe_unused]] typename V::T *v,
                                                   [[maybe_unused]] typename V::T *w,
                                                   [[maybe_unused]] const LaneSearch::Job &job,
                                                   std::integer_sequence<int, I...>)
{
    (laneEarlyRound<V, 16 - static_cast<int>(sizeof...(I)) + I, A, B>(v, w, job), ...);
}

template<class V, int A, bool B, int... I>
[[gnu::always_inline]] inline void laneScheduledRounds(typename V::T *v, typename V::T *w,
                                                       const LaneSearch::Job &job,
                                                       std::integer_sequence<int, I...>)
{
    (laneScheduledRound<V, 16 + I, A, B>(v, w, job), ...);
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

// The first round from the shared state s: everything but its W was folded by the
// driver (new a = firstA + W, new e = firstE + W), so it is two adds. Leaves the state
// of round t + 1 in v.
template<class V, int t>
[[gnu::always_inline]] inline void laneFirstRound(typename V::T *v, typename V::T wt,
                                                  const std::uint32_t *s, std::uint32_t firstA,
                                                  std::uint32_t firstE)
{
    constexpr int n = t + 1;
    v[(0 - n) & 7] = V::add(V::set(firstA), wt);
    v[(1 - n) & 7] = V::set(s[0]);
    v[(2 - n) & 7] = V::set(s[1]);
    v[(3 - n) & 7] = V::set(s[2]);
    v[(4 - n) & 7] = V::add(V::set(firstE), wt);
    v[(5 - n) & 7] = V::set(s[4]);
    v[(6 - n) & 7] = V::set(s[5]);
    v[(7 - n) & 7] = V::set(s[6]);
}

// A second block shared by every lane (padding and length only), from each lane's
// state after the first; returns the hit bits.
template<class V>
[[gnu::noinline]] std::uint32_t laneSecondBlock(typename V::T *v, const LaneSearch::Job &job)
{
    using T = typename V::T;
    T s[8];
    for (int i = 0; i < 8; ++i) {
        s[i] = V::add(v[i], V::set(job.feed[i]));
        v[i] = s[i];
    }
    laneConstantRounds<V>(v, job.secondWK, std::make_integer_sequence<int, 64>{});
    return V::zeroBits(V::add(v[0], s[0]), job.mask);
}

// The words that vary between the lanes rBase + i: w[A], and w[A + 1] when B. Every
// other word is folded into job.wk and job.partial.
template<class V, int A, bool B>
[[gnu::always_inline]] inline void laneDigitWords(typename V::T *w, const LaneSearch::Job &job,
                                                  std::uint32_t rBase)
{
    using T = typename V::T;
    // The lanes' last four digits: r = rBase + lane, split by multiply-shift division.
    const T r = V::add(V::set(rBase), V::laneIndex());
    const T q1 = laneDiv10<V>(r);
    const T q2 = laneDiv10<V>(q1);
    const T q3 = laneDiv10<V>(q2);
    const T d0 = V::sub(r, laneTimes10<V>(q1));
    const T d1 = V::sub(q1, laneTimes10<V>(q2));
    const T d2 = V::sub(q2, laneTimes10<V>(q3));
    const T packed = V::orv(V::orv(V::template shl<24>(q3), V::template shl<16>(d2)),
                            V::orv(V::template shl<8>(d1), d0));

    w[A] = V::add(V::set(job.words[A]),
                  V::shlCount(V::shrCount(packed, job.shiftA), job.shiftALeft));
    if constexpr (B)
        w[A + 1] = V::add(V::set(job.words[A + 1]), V::shlCount(packed, job.shiftB));
}

// One group: the lanes' digits in word A (and A + 1 when B). The rounds start at A or
// A + 1.
template<class V, int A, bool B>
[[gnu::always_inline]] inline std::uint32_t laneGroup(const LaneSearch::Job &job,
                                                      std::uint32_t rBase)
{
    using T = typename V::T;
    // Only the varying words are vectors.
    T w[16];
    laneDigitWords<V, A, B>(w, job, rBase);

    // State after the shared rounds: a..h of round startRound live at
    // v[(i - startRound) & 7].
    // Round startRound is A, or A + 1 when only the second word's digits vary.
    T v[8];
    if (job.startRound == A) {
        laneFirstRound<V, A>(v, w[A], job.state, job.firstA, job.firstE);
        laneEarlyRounds<V, A, B>(v, w, job, std::make_integer_sequence<int, 15 - A>{});
    } else if constexpr (B) {
        laneFirstRound<V, A + 1>(v, w[A + 1], job.state, job.firstA, job.firstE);
        laneEarlyRounds<V, A, B>(v, w, job, std::make_integer_sequence<int, 14 - A>{});
    }
    laneScheduledRounds<V, A, B>(v, w, job, std::make_integer_sequence<int, 48>{});

    // After 64 rounds a..h are at v[0..7].
    if (job.secondBlock)
        return laneSecondBlock<V>(v, job);
    return V::zeroBits(V::add(v[0], V::set(job.feed[0])), job.mask);
}

// A run of groups, up to the first with a hit.
template<class V, int A, bool B>
LaneSearch::Hits laneKernelAt(const LaneSearch::Job &job, std::uint32_t groups)
{
    for (std::uint32_t g = 0; g < groups; ++g) {
        const std::uint32_t bits = laneGroup<V, A, B>(job, job.rBase + g * V::Lanes);
        if (bits)
            return {bits, g};
    }
    return {0, groups};
}

template<class V>
LaneSearch::Hits laneKernel(const LaneSearch::Job &job, std::uint32_t groups)
{
    const bool b = job.wordB >= 0;
    switch (job.wordA) {
#define BLOCKFORGE_LANE_WORD(n) \
    case n: \
        return b ? laneKernelAt<V, n, true>(job, groups) : laneKernelAt<V, n, false>(job, groups);
        BLOCKFORGE_LANE_WORD(0) BLOCKFORGE_LANE_WORD(1) BLOCKFORGE_LANE_WORD(2)
        BLOCKFORGE_LANE_WORD(3) BLOCKFORGE_LANE_WORD(4) BLOCKFORGE_LANE_WORD(5)
        BLOCKFORGE_LANE_WORD(6) BLOCKFORGE_LANE_WORD(7) BLOCKFORGE_LANE_WORD(8)
        BLOCKFORGE_LANE_WORD(9) BLOCKFORGE_LANE_WORD(10) BLOCKFORGE_LANE_WORD(11)
        BLOCKFORGE_LANE_WORD(12) BLOCKFORGE_LANE_WORD(13) BLOCKFORGE_LANE_WORD(14)
#undef BLOCKFORGE_LANE_WORD
    default:
        return laneKernelAt<V, 15, false>(job, groups);
    }
}
