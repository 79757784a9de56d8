#pragma once

#include <cstdint>

#include "core/engines/searchengine.h"
#include "core/sha256.h"

// The shared driver of the multi-lane engines (AVX-512, AVX2, SHA-NI).
//
// Proofs are taken in windows of 2000 (aligned, from 10000 up): inside a window the
// digit count and every digit but the last four are the same, so the final block is
// one template plus, per lane, the last four digits. When those four digits straddle
// the 64-byte boundary, windows are 10, 100 or 1000 proofs and the lanes fill in only
// the digits of the second block. Lanes take consecutive proofs (aligned groups of
// `lanes`), so they differ only in the last digit(s): the rounds before the first
// word that differs are computed once per prefix (cached), the schedule words that
// are the same in every lane once per window, and the kernel does the rest. Proofs
// below 10000 go through the portable path.
namespace LaneSearch
{
inline constexpr std::uint32_t RoundConstants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

// One group of lanes for a kernel. Lane i tries the proof whose last four digits are
// r = rBase + i; with D = the four digit values packed big-endian (d3 << 24 | ... | d0),
// its block is `words` with words[wordA] += D >> shiftA and, when wordB >= 0,
// words[wordB] += D << shiftB (the digit bytes of `words` there are '0').
struct alignas(64) Job
{
    std::uint32_t words[16];
    std::uint32_t state[8];      // after `startRound` rounds of this block (same for all lanes)
    // Round startRound without its W: new a = firstA + W, new e = firstE + W.
    std::uint32_t firstA = 0;
    std::uint32_t firstE = 0;
    std::uint32_t feed[8];       // the state this block started from (added at the end)
    std::uint32_t secondWK[64];  // W[t] + K[t] of a second block that every lane shares
    // The schedule as far as it is the same for every lane (per window): word t varies
    // when terms[t] != 0. For t < 16 only wordA and wordB vary; for t >= 16 bit 0..3 say
    // which of sigma1(W[t-2]), W[t-7], sigma0(W[t-15]), W[t-16] vary, and partial[t]
    // is the sum of the others. wk[t] is W[t] + K[t] when it is shared, else K[t].
    std::uint32_t wk[64];
    std::uint32_t schedule[64];  // W[t] where it is shared (0 where it varies)
    std::uint32_t partial[64];
    std::uint8_t terms[64];
    std::uint32_t rBase = 0;     // the first group's last four digits; group g adds g * lanes
    std::uint32_t mask = 0;      // Pow::firstWordMask
    int startRound = 0;
    int wordA = 0;
    int shiftA = 0;
    int shiftALeft = 0;          // then words[wordA] += (D >> shiftA) << shiftALeft
    int wordB = -1;
    int shiftB = 0;
    bool secondBlock = false;
};

// What a kernel call found: the hit bits of group `group` (bit i: lane i's first digest
// word has (word & mask) == 0), or no bits and `group` = the groups it was given.
struct Hits
{
    std::uint32_t bits = 0;
    std::uint32_t group = 0;
};

// Runs `groups` consecutive groups of lanes (group g from rBase + g * lanes) that all
// share the state at startRound, and stops at the first group with a hit. Lanes beyond
// the range are ignored by the caller. One call covers a run of up to 1000 proofs, so
// the call and the driver cost nothing per group.
using Kernel = Hits (*)(const Job &job, std::uint32_t groups);

// The lanes' start at a later round than the job's: the shared state after `round`
// rounds (job.startRound <= round <= job.wordA, so the rounds in between use only words
// that every lane shares) and round `round` folded as in Job::firstA and firstE. For a
// kernel whose lanes can start at any round beside one that needs a multiple of 4.
struct Start
{
    std::uint32_t state[8];
    std::uint32_t firstA = 0;
    std::uint32_t firstE = 0;
};

Start startAt(const Job &job, int round);

struct Spec
{
    int lanes = 16;       // at most 32
    int roundStep = 1;    // startRound is a multiple of this (SHA-NI: 4)
    Kernel kernel = nullptr;
};

SearchResult search(const Spec &spec, const Sha256::Midstate &midstate, int difficulty,
                    std::uint64_t first, std::uint64_t count);
}
