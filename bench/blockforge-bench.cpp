// blockforge-bench: proof-search rates on this machine, bounded in time.
#include <chrono>
#include <cstdio>

#include <QByteArray>

#include "core/engines/opensslengine.h"
#include "core/pow.h"
#include "core/sha256.h"

namespace
{
using Clock = std::chrono::steady_clock;

// A block string of typical size (one reward transaction).
const QByteArray BlockString =
    "{\"index\": 2, \"previous_hash\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
    " \"proof\": 8675309, \"timestamp\": 1732435201.123456, \"transactions\": [{\"amount\": 1,"
    " \"recipient\": \"alice\", \"sender\": \"0\"}]}";

template<typename Step>
double rate(double seconds, Step step)
{
    const auto start = Clock::now();
    std::uint64_t done = 0;
    double elapsed = 0;
    do {
        done += step(done);
        elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    } while (elapsed < seconds);
    return static_cast<double>(done) / elapsed;
}
}

int main()
{
    const Sha256::Midstate mid = Sha256::midstate(BlockString);
    const OpenSslEngine engine;
    const double engineRate = rate(2.0, [&](std::uint64_t done) {
        return engine.search(mid, 64, 1'000'000 + done, 1 << 20).attempts;
    });
    const double naiveRate = rate(1.0, [&](std::uint64_t done) {
        std::uint64_t hits = 0;
        for (std::uint64_t p = done; p < done + 4096; ++p)
            hits += Pow::proofHash(BlockString, 1'000'000 + p).startsWith("000000000");
        return 4096 + hits * 0;
    });
    std::printf("engine %-8s 1 thread: %12.0f attempts/s\n", qPrintable(engine.name()), engineRate);
    std::printf("naive (format, one-shot SHA-256, hex compare): %12.0f attempts/s\n", naiveRate);
    std::printf("summary: engine=%s threads=1 rate_1t=%.0f naive_1t=%.0f\n",
                qPrintable(engine.name()), engineRate, naiveRate);
    return 0;
}
