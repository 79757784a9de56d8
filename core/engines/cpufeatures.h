#pragma once

#include <QString>
#include <QStringList>

// What this CPU and its OS let us run: CPUID feature bits, and XGETBV for the
// register state the OS saves (ymm for AVX/AVX2, zmm and opmasks for AVX-512).
// On other architectures every flag is false.
struct CpuFeatures
{
    bool sse41 = false;
    bool avx = false;       // AVX with the OS saving ymm
    bool avx2 = false;
    bool shaNi = false;
    bool avx512f = false;   // AVX-512 with the OS saving zmm and k registers
    bool avx512vl = false;
    bool avx512bw = false;
    QString model;          // the CPUID brand string, trimmed

    static const CpuFeatures &current();   // detected once

    QStringList flagNames() const;
};
