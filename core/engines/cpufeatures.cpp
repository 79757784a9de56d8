#include "core/engines/cpufeatures.h"

#include <cstdint>
#include <cstring>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define BLOCKFORGE_X86 1
#endif

using namespace Qt::StringLiterals;

namespace
{
#ifdef BLOCKFORGE_X86
struct Registers
{
    unsigned int a = 0;
    unsigned int b = 0;
    unsigned int c = 0;
    unsigned int d = 0;
};

Registers cpuid(unsigned int leaf, unsigned int subleaf = 0)
{
    Registers r;
    __cpuid_count(leaf, subleaf, r.a, r.b, r.c, r.d);
    return r;
}

std::uint64_t xgetbv0()
{
    std::uint32_t low = 0;
    std::uint32_t high = 0;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return (static_cast<std::uint64_t>(high) << 32) | low;
}

CpuFeatures detect()
{
    CpuFeatures f;
    const unsigned int maxLeaf = __get_cpuid_max(0, nullptr);
    if (maxLeaf < 1)
        return f;
    const Registers leaf1 = cpuid(1);
    f.sse41 = leaf1.c & (1u << 19);
    const bool osxsave = leaf1.c & (1u << 27);
    const bool avxBit = leaf1.c & (1u << 28);
    const std::uint64_t xcr0 = osxsave ? xgetbv0() : 0;
    const bool osYmm = (xcr0 & 0x6) == 0x6;            // xmm and ymm state
    const bool osZmm = (xcr0 & 0xe6) == 0xe6;          // + opmask, zmm hi256, hi16 zmm
    f.avx = avxBit && osYmm;
    if (maxLeaf >= 7) {
        const Registers leaf7 = cpuid(7);
        f.avx2 = f.avx && (leaf7.b & (1u << 5));
        f.shaNi = f.sse41 && (leaf7.b & (1u << 29));
        f.avx512f = f.avx2 && osZmm && (leaf7.b & (1u << 16));
        f.avx512bw = f.avx512f && (leaf7.b & (1u << 30));
        f.avx512vl = f.avx512f && (leaf7.b & (1u << 31));
    }
    const unsigned int maxExtended = __get_cpuid_max(0x80000000, nullptr);
    if (maxExtended >= 0x80000004) {
        char brand[49] = {};
        for (unsigned int i = 0; i < 3; ++i) {
            const Registers r = cpuid(0x80000002 + i);
            std::memcpy(brand + 16 * i, &r.a, 4);
            std::memcpy(brand + 16 * i + 4, &r.b, 4);
            std::memcpy(brand + 16 * i + 8, &r.c, 4);
            std::memcpy(brand + 16 * i + 12, &r.d, 4);
        }
        f.model = QString::fromLatin1(brand).simplified();
    }
    const Registers vendor = cpuid(0);
    if (maxLeaf >= 1 && f.model.isEmpty()) {
        char name[13] = {};
        std::memcpy(name, &vendor.b, 4);
        std::memcpy(name + 4, &vendor.d, 4);
        std::memcpy(name + 8, &vendor.c, 4);
        f.model = QString::fromLatin1(name);
    }
    const unsigned int family = ((leaf1.a >> 8) & 0xf) + ((leaf1.a >> 20) & 0xff);
    const unsigned int model = ((leaf1.a >> 4) & 0xf) | ((leaf1.a >> 12) & 0xf0);
    f.model += u" (family %1 model %2)"_s.arg(family).arg(model);
    return f;
}
#else
CpuFeatures detect()
{
    CpuFeatures f;
    f.model = u"unknown (not x86)"_s;
    return f;
}
#endif
}

const CpuFeatures &CpuFeatures::current()
{
    static const CpuFeatures features = detect();
    return features;
}

QStringList CpuFeatures::flagNames() const
{
    QStringList names;
    const std::pair<bool, const char16_t *> flags[] = {
        {sse41, u"sse4.1"}, {avx, u"avx"}, {avx2, u"avx2"}, {shaNi, u"sha_ni"},
        {avx512f, u"avx512f"}, {avx512vl, u"avx512vl"}, {avx512bw, u"avx512bw"}};
    for (const auto &[on, name] : flags) {
        if (on)
            names << QString::fromUtf16(name);
    }
    return names;
}
