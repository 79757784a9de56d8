#pragma once

// The operations of shanikernel.h as SHA-NI intrinsics (sha256rnds2, sha256msg1/msg2;
// the rest SSE4.1, VEX-encoded where the target region enables AVX). Include it inside a
// #pragma GCC target region that enables sha and sse4.1, and inside an unnamed
// namespace, so it is compiled for those instructions and stays local to its
// translation unit.

#include <cstdint>

#include <immintrin.h>

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
