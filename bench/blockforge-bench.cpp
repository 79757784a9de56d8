// blockforge-bench: proof-search rates on this machine, bounded in time (about 4 s
// per engine plus 5 s, well under 2 minutes). Prints, per engine this CPU supports,
// attempts/s on 1 thread and on all threads, OpenSSL's 16 KiB SHA-256 compression
// rate measured in the same run, the naive approach and the CPU. The last line is
// machine-readable. Rates are wall-clock; the rate per CPU-second beside them shows
// how much a busy machine (other processes on the same cores) took away.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <thread>
#include <vector>

#include <openssl/evp.h>

#include <QByteArray>
#include <QStringList>

#include "core/engines/cpufeatures.h"
#include "core/engines/engines.h"
#include "core/engines/searchengine.h"
#include "core/pow.h"
#include "core/sha256.h"

namespace
{
using Clock = std::chrono::steady_clock;

// A block string of typical size (one reward transaction); its final block holds
// the tail, the digits and the padding.
const QByteArray BlockString =
    "{\"index\": 2, \"previous_hash\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
    " \"proof\": 8675309, \"timestamp\": 1732435201.123456, \"transactions\": [{\"amount\": 1,"
    " \"recipient\": \"alice\", \"sender\": \"0\"}]}";

constexpr std::uint64_t FirstProof = 1'000'000'000;   // 10 digits, like a long search
constexpr std::uint64_t Chunk = 1 << 16;

double seconds(Clock::time_point since)
{
    return std::chrono::duration<double>(Clock::now() - since).count();
}

double threadCpuSeconds()
{
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

struct Rate
{
    double wall = 0;      // attempts per wall-clock second, all workers together
    double perCpu = 0;    // attempts per second of the workers' own CPU time
};

// Attempts/s of one engine on `threads` workers pulling chunks from one counter.
Rate engineRate(const SearchEngine &engine, const Sha256::Midstate &mid, int threads,
                double duration)
{
    std::atomic<std::uint64_t> next{0};
    std::vector<std::uint64_t> attempts(static_cast<std::size_t>(threads), 0);
    std::vector<double> cpu(static_cast<std::size_t>(threads), 0.0);
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(duration));
    const auto work = [&](std::size_t index) {
        const double cpuStart = threadCpuSeconds();
        std::uint64_t mine = 0;
        while (Clock::now() < deadline) {
            const std::uint64_t first = FirstProof + next.fetch_add(Chunk);
            mine += engine.search(mid, Pow::MaxDifficulty, first, Chunk).attempts;
        }
        attempts[index] = mine;
        cpu[index] = threadCpuSeconds() - cpuStart;
    };
    std::vector<std::thread> workers;
    for (int i = 1; i < threads; ++i)
        workers.emplace_back(work, static_cast<std::size_t>(i));
    work(0);
    for (std::thread &worker : workers)
        worker.join();
    const double elapsed = seconds(start);
    double total = 0;
    double cpuTotal = 0;
    for (std::size_t i = 0; i < attempts.size(); ++i) {
        total += static_cast<double>(attempts[i]);
        cpuTotal += cpu[i];
    }
    return {total / elapsed, total / cpuTotal};
}

// OpenSSL's SHA-256 over 16 KiB buffers (like `openssl speed -bytes 16384 sha256`),
// in compressions (64 bytes) per second on this thread.
double opensslCompressionRate(double duration)
{
    const std::vector<unsigned char> buffer(16384, 0x5a);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    std::uint64_t bytes = 0;
    const auto start = Clock::now();
    do {
        for (int i = 0; i < 64; ++i) {
            EVP_Digest(buffer.data(), buffer.size(), digest, &length, EVP_sha256(), nullptr);
            bytes += buffer.size();
        }
    } while (seconds(start) < duration);
    return static_cast<double>(bytes) / 64 / seconds(start);
}

// The naive search: format block_string + str(proof), one-shot SHA-256, hex compare.
double naiveRate(double duration)
{
    std::uint64_t proof = FirstProof;
    std::uint64_t hits = 0;
    const auto start = Clock::now();
    do {
        for (int i = 0; i < 4096; ++i, ++proof)
            hits += Pow::proofHash(BlockString, proof).startsWith("000000000");
    } while (seconds(start) < duration);
    if (hits > proof)
        std::puts("");   // keeps the hashing observable
    return static_cast<double>(proof - FirstProof) / seconds(start);
}
}

int main(int argc, char *argv[])
{
    // Optional: seconds per measurement (default 1.5, at most 5).
    const double duration = std::clamp(argc > 1 ? std::atof(argv[1]) : 1.5, 0.1, 5.0);
    const int threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    const CpuFeatures &cpu = CpuFeatures::current();
    const Sha256::Midstate mid = Sha256::midstate(BlockString);

    std::printf("CPU: %s\n", qPrintable(cpu.model));
    std::printf("flags: %s\n", qPrintable(cpu.flagNames().join(QLatin1Char(' '))));
    std::printf("threads: %d, block string %lld bytes (tail %lld), proofs from %llu\n", threads,
                static_cast<long long>(BlockString.size()), static_cast<long long>(mid.tail.size()),
                static_cast<unsigned long long>(FirstProof));

    const double openssl = opensslCompressionRate(duration);
    std::printf("openssl sha256 16 KiB: %.2f M compressions/s per thread\n", openssl / 1e6);
    const double naive = naiveRate(duration);
    std::printf("naive (format, one-shot SHA-256, hex compare): %.2f M attempts/s per thread\n",
                naive / 1e6);

    const SearchEngine *best = nullptr;
    double best1 = 0;
    double bestAll = 0;
    std::printf("%-8s %12s %12s %7s %9s %9s   %s\n", "engine", "1 thread", "all threads",
                "all/1", "x openssl", "x naive", "(per CPU-second: 1 thread, all threads)");
    for (const SearchEngine *engine : Engines::available()) {
        const Rate one = engineRate(*engine, mid, 1, duration);
        const Rate all = threads > 1 ? engineRate(*engine, mid, threads, duration) : one;
        std::printf("%-8s %10.2f M %10.2f M %7.2f %9.2f %9.1f   (%.2f M, %.2f M)\n",
                    qPrintable(engine->name()), one.wall / 1e6, all.wall / 1e6,
                    all.wall / one.wall, one.wall / openssl, one.wall / naive, one.perCpu / 1e6,
                    all.perCpu / 1e6);
        std::fflush(stdout);
        if (one.wall > best1) {
            best = engine;
            best1 = one.wall;
            bestAll = all.wall;
        }
    }
    for (const QString &name : Engines::builtNames()) {
        if (!Engines::find(name))
            std::printf("%-8s built, but this CPU cannot run it\n", qPrintable(name));
    }
    // Real block strings end anywhere in their last 64-byte block: some tails push the
    // length (or the digits) into a second final block. The best engine over every tail:
    const double perTail = std::min(0.03, duration / 32);
    double mixed = 0;
    double slowest = 0;
    int slowestTail = 0;
    for (int tail = 0; tail < 64; ++tail) {
        const QByteArray s = BlockString.left(192) + QByteArray(tail, 'x');
        // Per CPU-second: 30 ms slices are too short to ride out preemption.
        const double rate = engineRate(*best, Sha256::midstate(s), 1, perTail).perCpu;
        mixed += rate / 64;
        if (tail == 0 || rate < slowest) {
            slowest = rate;
            slowestTail = tail;
        }
    }
    std::printf("%s, 1 thread, mean over tail lengths 0..63: %.2f M per CPU-second"
                " (slowest: tail %d, %.2f M)\n",
                qPrintable(best->name()), mixed / 1e6, slowestTail, slowest / 1e6);
    std::printf("registry's calibrated choice: %s\n", qPrintable(Engines::best().name()));
    std::printf("summary: engine=%s threads=%d rate_1t=%.0f rate_all=%.0f openssl_cps=%.0f"
                " ratio_1t=%.3f naive_1t=%.0f\n",
                qPrintable(best->name()), threads, best1, bestAll, openssl, best1 / openssl, naive);
    return 0;
}
