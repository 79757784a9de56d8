#include "core/engines/emulatedengines.h"

#include <cstdint>
#include <utility>

#include <QString>

#include "core/engines/lanesearch.h"
#include "core/engines/searchengine.h"

using namespace Qt::StringLiterals;

namespace
{
#include "core/engines/hybridkernel.h"
#include "core/engines/lanekernel.h"
#include "core/engines/shanikernel.h"

constexpr std::uint32_t ror(std::uint32_t x, int n)
{
    return (x >> n) | (x << (32 - n));
}

// N 32-bit lanes, the operations lanekernel.h asks of a vector type. Each operation is
// a function of its own (noinline): the kernels inline every round, and inlined loops
// would make this file take minutes to compile.
template<std::uint32_t N>
struct Words
{
    struct T
    {
        std::uint32_t w[N];
    };
    static constexpr std::uint32_t Lanes = N;

    template<class F> [[gnu::always_inline]] static T each(F f)
    {
        T r;
        for (std::uint32_t i = 0; i < N; ++i)
            r.w[i] = f(i);
        return r;
    }
    [[gnu::noinline]] static T set(std::uint32_t x)
    {
        return each([x](std::uint32_t) { return x; });
    }
    [[gnu::noinline]] static T laneIndex() { return each([](std::uint32_t i) { return i; }); }
    [[gnu::noinline]] static T add(T a, T b)
    {
        return each([&](std::uint32_t i) { return a.w[i] + b.w[i]; });
    }
    [[gnu::noinline]] static T sub(T a, T b)
    {
        return each([&](std::uint32_t i) { return a.w[i] - b.w[i]; });
    }
    [[gnu::noinline]] static T orv(T a, T b)
    {
        return each([&](std::uint32_t i) { return a.w[i] | b.w[i]; });
    }
    [[gnu::noinline]] static T xor3(T a, T b, T c)
    {
        return each([&](std::uint32_t i) { return a.w[i] ^ b.w[i] ^ c.w[i]; });
    }
    [[gnu::noinline]] static T ch(T e, T f, T g)
    {
        return each([&](std::uint32_t i) { return (e.w[i] & f.w[i]) ^ (~e.w[i] & g.w[i]); });
    }
    [[gnu::noinline]] static T maj(T a, T b, T c)
    {
        return each([&](std::uint32_t i) {
            return (a.w[i] & b.w[i]) ^ (a.w[i] & c.w[i]) ^ (b.w[i] & c.w[i]);
        });
    }
    template<int n> [[gnu::noinline]] static T ror(T x)
    {
        return each([&](std::uint32_t i) { return ::ror(x.w[i], n); });
    }
    template<int n> static T shr(T x) { return shrCount(x, n); }
    template<int n> static T shl(T x) { return shlCount(x, n); }
    // Like vpsrld/vpslld with a count register: 32 and more give 0.
    [[gnu::noinline]] static T shrCount(T x, int n)
    {
        return each([&](std::uint32_t i) { return n >= 32 ? 0 : x.w[i] >> n; });
    }
    [[gnu::noinline]] static T shlCount(T x, int n)
    {
        return each([&](std::uint32_t i) { return n >= 32 ? 0 : x.w[i] << n; });
    }
    [[gnu::noinline]] static T mulConst(T x, std::uint32_t m)
    {
        return each([&](std::uint32_t i) { return x.w[i] * m; });
    }
    [[gnu::noinline]] static std::uint32_t zeroBits(T x, std::uint32_t mask)
    {
        std::uint32_t bits = 0;
        for (std::uint32_t i = 0; i < N; ++i)
            bits |= static_cast<std::uint32_t>((x.w[i] & mask) == 0) << i;
        return bits;
    }
};

// The SHA-NI operations shanikernel.h asks for, as the Intel SDM defines SHA256RNDS2,
// SHA256MSG1, SHA256MSG2, PALIGNR and PSHUFD (element 0 is bits 31:0).
struct ShaOps
{
    struct X
    {
        std::uint32_t w[4];
    };

    [[gnu::noinline]] static std::uint32_t sigma0(std::uint32_t x)
    {
        return ::ror(x, 7) ^ ::ror(x, 18) ^ (x >> 3);
    }
    [[gnu::noinline]] static std::uint32_t sigma1(std::uint32_t x)
    {
        return ::ror(x, 17) ^ ::ror(x, 19) ^ (x >> 10);
    }

    [[gnu::noinline]] static X load(const std::uint32_t *words)
    {
        return {{words[0], words[1], words[2], words[3]}};
    }
    [[gnu::noinline]] static X add(X a, X b)
    {
        return {{a.w[0] + b.w[0], a.w[1] + b.w[1], a.w[2] + b.w[2], a.w[3] + b.w[3]}};
    }
    [[gnu::noinline]] static X rnds2(X cdgh, X abef, X wk)
    {
        std::uint32_t a = abef.w[3], b = abef.w[2], e = abef.w[1], f = abef.w[0];
        std::uint32_t c = cdgh.w[3], d = cdgh.w[2], g = cdgh.w[1], h = cdgh.w[0];
        for (int i = 0; i < 2; ++i) {
            const std::uint32_t t = ((e & f) ^ (~e & g))
                + (::ror(e, 6) ^ ::ror(e, 11) ^ ::ror(e, 25)) + wk.w[i] + h;
            const std::uint32_t newA =
                t + ((a & b) ^ (a & c) ^ (b & c)) + (::ror(a, 2) ^ ::ror(a, 13) ^ ::ror(a, 22));
            const std::uint32_t newE = t + d;
            h = g;
            g = f;
            f = e;
            e = newE;
            d = c;
            c = b;
            b = a;
            a = newA;
        }
        return {{f, e, b, a}};
    }
    [[gnu::noinline]] static X msg1(X a, X b)
    {
        return {{a.w[0] + sigma0(a.w[1]), a.w[1] + sigma0(a.w[2]), a.w[2] + sigma0(a.w[3]),
                 a.w[3] + sigma0(b.w[0])}};
    }
    [[gnu::noinline]] static X msg2(X a, X b)
    {
        const std::uint32_t w16 = a.w[0] + sigma1(b.w[2]);
        const std::uint32_t w17 = a.w[1] + sigma1(b.w[3]);
        const std::uint32_t w18 = a.w[2] + sigma1(w16);
        const std::uint32_t w19 = a.w[3] + sigma1(w17);
        return {{w16, w17, w18, w19}};
    }
    [[gnu::noinline]] static X alignr4(X hi, X lo)
    {
        return {{lo.w[1], lo.w[2], lo.w[3], hi.w[0]}};
    }
    [[gnu::noinline]] static X high2(X x) { return {{x.w[2], x.w[3], x.w[0], x.w[0]}}; }
    template<int index> [[gnu::noinline]] static X wordAt(std::uint32_t x)
    {
        X r{{0, 0, 0, 0}};
        r.w[index] = x;
        return r;
    }
    [[gnu::noinline]] static std::uint32_t element3(X x) { return x.w[3]; }
    [[gnu::noinline]] static X setr(std::uint32_t w0, std::uint32_t w1, std::uint32_t w2,
                                    std::uint32_t w3)
    {
        return {{w0, w1, w2, w3}};
    }
};

class EmulatedEngine final : public SearchEngine
{
public:
    EmulatedEngine(QString name, LaneSearch::Spec spec)
        : m_name{std::move(name)}
        , m_spec{spec}
    {
    }

    QString name() const override { return m_name; }
    SearchResult search(const Sha256::Midstate &midstate, int difficulty, std::uint64_t first,
                        std::uint64_t count) const override
    {
        return LaneSearch::search(m_spec, midstate, difficulty, first, count);
    }

private:
    QString m_name;
    LaneSearch::Spec m_spec;
};
}

namespace EmulatedEngines
{
std::vector<const SearchEngine *> all()
{
    // The same lane counts and round steps as the real engines.
    static const EmulatedEngine Avx512{u"avx512-emulated"_s, {16, 1, &laneKernel<Words<16>>}};
    static const EmulatedEngine Avx2{u"avx2-emulated"_s, {8, 1, &laneKernel<Words<8>>}};
    static const EmulatedEngine ShaNi3{u"shani-x3-emulated"_s, {3, 4, &shaKernel<ShaOps, 3>}};
    static const EmulatedEngine ShaNi4{u"shani-x4-emulated"_s, {4, 4, &shaKernel<ShaOps, 4>}};
    static const EmulatedEngine ShaNiAvx512{u"shani-avx512-emulated"_s,
                                            {20, 4, &hybridKernel<Words<16>, ShaOps, 4>}};
    return {&Avx512, &ShaNiAvx512, &ShaNi4, &ShaNi3, &Avx2};
}
}
