#include "core/engines/lanesearch.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "core/engines/opensslengine.h"
#include "core/engines/proofmessage.h"
#include "core/pow.h"

namespace LaneSearch
{
namespace
{
constexpr std::uint64_t WindowSize = 2000;     // divides 10^k for k >= 4
constexpr std::uint64_t FirstWindowed = 10000;

const OpenSslEngine Portable;

constexpr std::uint32_t ror(std::uint32_t x, int n)
{
    return (x >> n) | (x << (32 - n));
}

void scalarRound(std::uint32_t *s, std::uint32_t wk)
{
    const std::uint32_t t1 = s[7] + (ror(s[4], 6) ^ ror(s[4], 11) ^ ror(s[4], 25))
        + ((s[4] & s[5]) ^ (~s[4] & s[6])) + wk;
    const std::uint32_t t2 = (ror(s[0], 2) ^ ror(s[0], 13) ^ ror(s[0], 22))
        + ((s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]));
    s[7] = s[6];
    s[6] = s[5];
    s[5] = s[4];
    s[4] = s[3] + t1;
    s[3] = s[2];
    s[2] = s[1];
    s[1] = s[0];
    s[0] = t1 + t2;
}

constexpr std::uint32_t sigma0(std::uint32_t x)
{
    return ror(x, 7) ^ ror(x, 18) ^ (x >> 3);
}

constexpr std::uint32_t sigma1(std::uint32_t x)
{
    return ror(x, 17) ^ ror(x, 19) ^ (x >> 10);
}

// Fills the job's shared schedule (wk, partial, terms) from its words and varying words.
void shareSchedule(Job &job)
{
    std::uint32_t w[64];
    bool varies[64];
    for (int t = 0; t < 16; ++t) {
        w[t] = job.words[t];
        varies[t] = t == job.wordA || t == job.wordB;
        job.terms[t] = varies[t] ? 1 : 0;
        job.partial[t] = 0;
    }
    for (int t = 16; t < 64; ++t) {
        const std::uint32_t values[4] = {sigma1(w[t - 2]), w[t - 7], sigma0(w[t - 15]), w[t - 16]};
        const bool termVaries[4] = {varies[t - 2], varies[t - 7], varies[t - 15], varies[t - 16]};
        std::uint8_t terms = 0;
        std::uint32_t partial = 0;
        for (int i = 0; i < 4; ++i) {
            if (termVaries[i])
                terms |= static_cast<std::uint8_t>(1u << i);
            else
                partial += values[i];
        }
        job.terms[t] = terms;
        job.partial[t] = partial;
        varies[t] = terms != 0;
        w[t] = values[0] + values[1] + values[2] + values[3];   // right when shared
    }
    for (int t = 0; t < 64; ++t) {
        job.schedule[t] = varies[t] ? 0 : w[t];
        job.wk[t] = RoundConstants[t] + job.schedule[t];
    }
}

int decimalDigits(std::uint64_t proof)
{
    int digits = 1;
    for (; proof >= 10; proof /= 10)
        ++digits;
    return digits;
}

std::uint32_t powerOfTen(int exponent)
{
    std::uint32_t power = 1;
    for (int i = 0; i < exponent; ++i)
        power *= 10;
    return power;
}

std::uint32_t bigEndianWord(const std::uint8_t *p)
{
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8)
        | p[3];
}

std::uint32_t packedDigits(std::uint32_t r)
{
    return ((r / 1000) << 24) | ((r / 100 % 10) << 16) | ((r / 10 % 10) << 8) | (r % 10);
}

// State after each of the first rounds of lane 0's block, reused while its words match.
struct PrefixCache
{
    std::uint32_t words[16] = {};
    std::uint32_t states[17][8] = {};
    int valid = 0;   // states[0..valid] are right for words[0..valid)

    void reset(const std::uint32_t *state)
    {
        std::memcpy(states[0], state, sizeof states[0]);
        valid = 0;
    }

    const std::uint32_t *stateAfter(const std::uint32_t *w, int rounds)
    {
        for (int i = 0; i < rounds; ++i) {
            if (words[i] != w[i]) {
                words[i] = w[i];
                valid = std::min(valid, i);
            }
        }
        for (; valid < rounds; ++valid) {
            std::memcpy(states[valid + 1], states[valid], sizeof states[0]);
            scalarRound(states[valid + 1], words[valid] + RoundConstants[valid]);
        }
        return states[rounds];
    }
};

// The shared part of round `round` from state s, whose W varies between lanes: new a =
// firstA + W, new e = firstE + W.
void foldFirstRound(const std::uint32_t *s, int round, std::uint32_t &firstA,
                    std::uint32_t &firstE)
{
    const std::uint32_t shared = s[7] + (ror(s[4], 6) ^ ror(s[4], 11) ^ ror(s[4], 25))
        + ((s[4] & s[5]) ^ (~s[4] & s[6])) + RoundConstants[round];
    const std::uint32_t t2 = (ror(s[0], 2) ^ ror(s[0], 13) ^ ror(s[0], 22))
        + ((s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]));
    firstA = shared + t2;
    firstE = s[3] + shared;
}

bool confirm(const Sha256::Midstate &midstate, int difficulty, std::uint64_t proof)
{
    const ProofMessage message(midstate, proof);
    Sha256::State state = midstate.state;
    for (int b = 0; b < message.blockCount(); ++b)
        Sha256::compress(state, message.block(b));
    return Pow::meetsDifficulty(state, difficulty);
}
}

Start startAt(const Job &job, int round)
{
    Start start;
    std::memcpy(start.state, job.state, sizeof start.state);
    for (int t = job.startRound; t < round; ++t)
        scalarRound(start.state, job.wk[t]);
    foldFirstRound(start.state, round, start.firstA, start.firstE);
    return start;
}

SearchResult search(const Spec &spec, const Sha256::Midstate &midstate, int difficulty,
                    std::uint64_t first, std::uint64_t count)
{
    SearchResult result;
    if (count == 0 || first > Pow::MaxProof)
        return result;
    if (difficulty <= 0 || difficulty > Pow::MaxDifficulty)
        return Portable.search(midstate, difficulty, first, count);
    const std::uint64_t last = first + std::min(count - 1, Pow::MaxProof - first);
    const auto lanes = static_cast<std::uint64_t>(spec.lanes);
    const auto finish = [&](std::optional<std::uint64_t> proof) {
        result.proof = proof;
        result.attempts = (proof ? *proof : last) - first + 1;
        return result;
    };

    Job job;
    job.mask = Pow::firstWordMask(difficulty);
    PrefixCache cache;
    const int tail = static_cast<int>(midstate.tail.size());

    std::uint64_t p = first;
    while (true) {
        if (p < FirstWindowed) {
            const std::uint64_t end = std::min(last, FirstWindowed - 1);
            const SearchResult small = Portable.search(midstate, difficulty, p, end - p + 1);
            if (small.proof || end == last)
                return finish(small.proof);
            p = end + 1;
            continue;
        }
        // The window: proofs sharing every digit but the last `windowDigits`, which the
        // lanes fill in. Four digits (windows of 2000) unless those four straddle the
        // 64-byte boundary; then only the digits in the second block, so the first is
        // shared.
        const int digitsEnd = tail + decimalDigits(p);
        int windowDigits = 4;
        if (digitsEnd > 64 && digitsEnd - 4 < 64)
            windowDigits = digitsEnd - 64;
        const std::uint32_t modulus = windowDigits == 4 ? 10000 : powerOfTen(windowDigits);
        const std::uint64_t windowSize = windowDigits == 4 ? WindowSize : modulus;
        const std::uint64_t windowStart = p - p % windowSize;
        const std::uint64_t windowEnd = std::min(windowStart + windowSize - 1, last);

        const ProofMessage message(midstate, windowStart);
        int position = digitsEnd - windowDigits;   // of the lanes' digits, in the lanes' block
        const std::uint8_t *laneBlock = message.block(0);
        Sha256::State base = midstate.state;
        job.secondBlock = false;
        if (message.blockCount() == 2) {
            if (digitsEnd <= 64) {
                // The lanes differ in block 0; block 1 (padding, length) is shared.
                job.secondBlock = true;
                std::uint32_t w[64];
                for (int i = 0; i < 16; ++i)
                    w[i] = bigEndianWord(message.block(1) + 4 * i);
                for (int i = 16; i < 64; ++i)
                    w[i] = sigma1(w[i - 2]) + w[i - 7] + sigma0(w[i - 15]) + w[i - 16];
                for (int i = 0; i < 64; ++i)
                    job.secondWK[i] = w[i] + RoundConstants[i];
            } else {
                // Block 0 holds only shared digits: compress it once per window.
                Sha256::compress(base, message.block(0));
                laneBlock = message.block(1);
                position -= 64;
            }
        }
        std::uint8_t bytes[64];
        std::memcpy(bytes, laneBlock, 64);
        std::memset(bytes + position, '0', static_cast<std::size_t>(windowDigits));
        for (int i = 0; i < 16; ++i)
            job.words[i] = bigEndianWord(bytes + 4 * i);
        job.wordA = position / 4;
        const int offset = position % 4;
        if (windowDigits == 4) {
            job.shiftA = 8 * offset;
            job.shiftALeft = 0;
            job.wordB = offset ? job.wordA + 1 : -1;
            job.shiftB = 8 * (4 - offset);
        } else {
            // Fewer digits, at the start of the block: D's top bytes are zero.
            job.shiftA = 0;
            job.shiftALeft = 8 * (4 - windowDigits);
            job.wordB = -1;
            job.shiftB = 0;
        }
        shareSchedule(job);
        std::memcpy(job.feed, base.data(), sizeof job.feed);
        cache.reset(base.data());
        job.startRound = -1;
        std::uint32_t sharedKey = 0;

        std::uint32_t lane0[16];
        const int startLow = job.wordA / spec.roundStep * spec.roundStep;
        const int startHigh =
            (job.wordB >= 0 ? job.wordA + 1 : job.wordA) / spec.roundStep * spec.roundStep;
        std::uint64_t group = p - (p - windowStart) % lanes;
        while (group <= windowEnd) {
            const auto r = static_cast<std::uint32_t>(group % modulus);
            const std::uint32_t lastR = r + static_cast<std::uint32_t>(lanes) - 1;
            int varying = 1;
            std::uint32_t scale = 10;
            for (; r / scale != lastR / scale; scale *= 10)
                ++varying;
            // The lanes' digits sit in words wordA and wordB, so the shared rounds end at
            // one of two starts: the later one when only wordB's digits vary.
            const int firstVarying = std::max(0, position + windowDigits - varying) / 4;
            const int start = firstVarying >= startHigh ? startHigh : startLow;

            // The shared rounds depend only on the digits before word `start`: the
            // following groups that keep them form one run, one kernel call.
            const int inKernel = std::clamp(position + windowDigits - 4 * start, 0, windowDigits);
            const std::uint32_t runScale = powerOfTen(inKernel);
            const std::uint32_t key = r / runScale;
            if (start != job.startRound || key != sharedKey) {
                std::memcpy(lane0, job.words, sizeof lane0);
                const std::uint32_t d = packedDigits(r);
                lane0[job.wordA] += (d >> job.shiftA) << job.shiftALeft;
                if (job.wordB >= 0)
                    lane0[job.wordB] += d << job.shiftB;
                std::memcpy(job.state, cache.stateAfter(lane0, start), sizeof job.state);
                foldFirstRound(job.state, start, job.firstA, job.firstE);
                job.startRound = start;
                sharedKey = key;
            }
            job.rBase = r;
            // Whole groups up to the end of the key's digits and of the window (at least
            // this one, whose last lanes may lie beyond both and are masked below).
            const std::uint64_t runEnd = std::min<std::uint64_t>(
                windowEnd, group + (std::uint64_t{key + 1} * runScale - 1 - r));
            const auto groups = static_cast<std::uint32_t>(
                std::max<std::uint64_t>(1, (runEnd + 1 - group) / lanes));

            const Hits found = spec.kernel(job, groups);
            if (!found.bits) {
                group += groups * lanes;
                continue;
            }
            group += found.group * lanes;
            std::uint32_t hits = found.bits;
            if (group < first)
                hits &= ~0u << (first - group);
            if (windowEnd - group < lanes - 1)
                hits &= (2u << (windowEnd - group)) - 1;
            while (hits) {
                const std::uint64_t proof = group + static_cast<unsigned>(std::countr_zero(hits));
                if (confirm(midstate, difficulty, proof))
                    return finish(proof);
                hits &= hits - 1;
            }
            group += lanes;
        }
        if (windowEnd == last)
            return finish(std::nullopt);
        p = windowEnd + 1;
    }
}
}
