#pragma once

// The lane operations of lanekernel.h on ymm registers: 8 proofs per register (AVX2
// only, so no AVX-512 instruction sneaks in). Include it inside a #pragma GCC target
// region that enables avx2, and inside an unnamed namespace, so it is compiled for those
// instructions and stays local to its translation unit.

#include <cstdint>

#include <immintrin.h>

struct Ymm
{
    using T = __m256i;
    static constexpr std::uint32_t Lanes = 8;
    static T set(std::uint32_t x) { return _mm256_set1_epi32(static_cast<int>(x)); }
    static T laneIndex() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
    static T add(T a, T b) { return _mm256_add_epi32(a, b); }
    static T sub(T a, T b) { return _mm256_sub_epi32(a, b); }
    static T orv(T a, T b) { return _mm256_or_si256(a, b); }
    static T xor3(T a, T b, T c) { return _mm256_xor_si256(_mm256_xor_si256(a, b), c); }
    static T ch(T e, T f, T g)
    {
        return _mm256_xor_si256(g, _mm256_and_si256(e, _mm256_xor_si256(f, g)));
    }
    static T maj(T a, T b, T c)
    {
        return _mm256_or_si256(_mm256_and_si256(a, b), _mm256_and_si256(c, _mm256_or_si256(a, b)));
    }
    template<int n> static T ror(T x)
    {
        return _mm256_or_si256(_mm256_srli_epi32(x, n), _mm256_slli_epi32(x, 32 - n));
    }
    template<int n> static T shr(T x) { return _mm256_srli_epi32(x, n); }
    template<int n> static T shl(T x) { return _mm256_slli_epi32(x, n); }
    static T shrCount(T x, int n) { return _mm256_srl_epi32(x, _mm_cvtsi32_si128(n)); }
    static T shlCount(T x, int n) { return _mm256_sll_epi32(x, _mm_cvtsi32_si128(n)); }
    static T mulConst(T x, std::uint32_t m) { return _mm256_mullo_epi32(x, set(m)); }
    static std::uint32_t zeroBits(T x, std::uint32_t mask)
    {
        const T zero = _mm256_cmpeq_epi32(_mm256_and_si256(x, set(mask)), _mm256_setzero_si256());
        return static_cast<std::uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(zero)));
    }
};
