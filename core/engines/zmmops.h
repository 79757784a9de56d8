#pragma once

// The lane operations of lanekernel.h on zmm registers: 16 proofs per register
// (AVX-512F, vprord and vpternlogd). Include it inside a #pragma GCC target region that
// enables avx512f and avx512vl, and inside an unnamed namespace, so it is compiled for
// those instructions and stays local to its translation unit.

#include <cstdint>

#include <immintrin.h>

struct Zmm
{
    using T = __m512i;
    static constexpr std::uint32_t Lanes = 16;
    static T set(std::uint32_t x) { return _mm512_set1_epi32(static_cast<int>(x)); }
    static T laneIndex()
    {
        return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    }
    static T add(T a, T b) { return _mm512_add_epi32(a, b); }
    static T sub(T a, T b) { return _mm512_sub_epi32(a, b); }
    static T orv(T a, T b) { return _mm512_or_si512(a, b); }
    static T xor3(T a, T b, T c) { return _mm512_ternarylogic_epi32(a, b, c, 0x96); }
    static T ch(T e, T f, T g) { return _mm512_ternarylogic_epi32(e, f, g, 0xca); }
    static T maj(T a, T b, T c) { return _mm512_ternarylogic_epi32(a, b, c, 0xe8); }
    template<int n> static T ror(T x) { return _mm512_ror_epi32(x, n); }
    template<int n> static T shr(T x) { return _mm512_srli_epi32(x, n); }
    template<int n> static T shl(T x) { return _mm512_slli_epi32(x, n); }
    static T shrCount(T x, int n) { return _mm512_srl_epi32(x, _mm_cvtsi32_si128(n)); }
    static T shlCount(T x, int n) { return _mm512_sll_epi32(x, _mm_cvtsi32_si128(n)); }
    static T mulConst(T x, std::uint32_t m) { return _mm512_mullo_epi32(x, set(m)); }
    static std::uint32_t zeroBits(T x, std::uint32_t mask)
    {
        return _mm512_testn_epi32_mask(x, set(mask));
    }
};
