#include "core/engines/engines.h"

#include <algorithm>
#include <barrier>
#include <chrono>
#include <ctime>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>

using namespace Qt::StringLiterals;

#include <QStringList>
#include <QThread>

#include "core/engines/opensslengine.h"
#include "core/engines/searchengine.h"
#include "core/sha256.h"

#ifdef BLOCKFORGE_X86_ENGINES
#include "core/engines/avx2engine.h"
#include "core/engines/avx512engine.h"
#include "core/engines/shaniavx512engine.h"
#include "core/engines/shaniengine.h"
#endif

namespace
{
struct Entry
{
    const SearchEngine *engine;
    bool (*isSupported)();
};

const OpenSslEngine OpenSsl;
#ifdef BLOCKFORGE_X86_ENGINES
const Avx512Engine Avx512;
const Avx2Engine Avx2;
const ShaNiEngine ShaNi4{4};
const ShaNiEngine ShaNi3{3};
const ShaNiAvx512Engine ShaNiAvx512;
#endif

double threadSeconds()
{
#ifdef CLOCK_THREAD_CPUTIME_ID
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
#else
    const auto now = std::chrono::steady_clock::now().time_since_epoch();
    return std::chrono::duration<double>(now).count();
#endif
}

bool always()
{
    return true;
}

// Every built engine, the fastest kinds first (best() prefers the earlier of two
// engines within 1% of each other). The hybrid comes before avx512: on a Zen 5 it is
// 16% faster; on a Zen 4, 2-10% slower.
const std::vector<Entry> &built()
{
    static const std::vector<Entry> entries = {
#ifdef BLOCKFORGE_X86_ENGINES
        {&ShaNiAvx512, &ShaNiAvx512Engine::isSupported},
        {&Avx512, &Avx512Engine::isSupported},
        {&ShaNi4, &ShaNiEngine::isSupported},
        {&ShaNi3, &ShaNiEngine::isSupported},
        {&Avx2, &Avx2Engine::isSupported},
#endif
        {&OpenSsl, &always},
    };
    return entries;
}

// A block string of typical size for calibration.
const QByteArray CalibrationString =
    "{\"index\": 2, \"previous_hash\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
    " \"proof\": 8675309, \"timestamp\": 1732435201.123456, \"transactions\": [{\"amount\": 1,"
    " \"recipient\": \"alice\", \"sender\": \"0\"}]}";

// Known answers, from Python: the first p >= first whose
// sha256(prefix + "t" * tail + str(p)) starts with `zeros` hex zeros, where prefix is
// 128 bytes. The tails put the digits in one final block (0, 25), in the first of two
// with a shared second (50), straddling the 64-byte boundary (56), in the second (63),
// and the range crosses from 10 to 11 digits (40).
const QByteArray SelfTestPrefix = "{\"blockforge\": \"self-test\", \"pad\": \""
    + QByteArray(128 - 37, 'b') + '"';

struct KnownAnswer
{
    int tail;
    int zeros;
    std::uint64_t first;
    std::uint64_t proof;
};

constexpr KnownAnswer KnownAnswers[] = {
    {25, 4, 1'000'000'000, 1'000'052'340},
    {0, 3, 123'456'789, 123'457'598},
    {50, 3, 4'000'000'000'000, 4'000'000'004'250},
    {56, 3, 9'999'990'000, 9'999'990'730},
    {63, 3, 77'777'777'777'777'777, 77'777'777'777'780'148},
    {40, 3, 9'999'998'000, 10'000'008'780},
};

QString runSelfTest(const SearchEngine &engine)
{
    for (const KnownAnswer &known : KnownAnswers) {
        const Sha256::Midstate mid =
            Sha256::midstate(SelfTestPrefix + QByteArray(known.tail, 't'));
        const std::uint64_t count = known.proof - known.first + 1;
        const SearchResult found = engine.search(mid, known.zeros, known.first, count + 1000);
        if (found.proof != known.proof || found.attempts != count) {
            return u"engine %1 failed its self-test: tail %2, difficulty %3, from %4: found %5"
                   " after %6 attempts, expected %7 after %8"_s
                .arg(engine.name()).arg(known.tail).arg(known.zeros).arg(known.first)
                .arg(found.proof ? QString::number(*found.proof) : u"nothing"_s)
                .arg(found.attempts).arg(known.proof).arg(count);
        }
    }
    return {};
}
}

namespace Engines
{
std::vector<const SearchEngine *> available()
{
    std::vector<const SearchEngine *> engines;
    for (const Entry &entry : built()) {
        if (entry.isSupported())
            engines.push_back(entry.engine);
    }
    return engines;
}

const SearchEngine *find(const QString &name)
{
    // shani-x2 is gone (3 lanes beat 2 on every CPU measured); a saved setting or a
    // script that names it gets the 3-lane engine.
    const QString wanted = name == u"shani-x2"_s ? u"shani-x3"_s : name;
    for (const SearchEngine *engine : available()) {
        if (engine->name() == wanted)
            return engine;
    }
    return nullptr;
}

QStringList builtNames()
{
    QStringList names;
    for (const Entry &entry : built())
        names << entry.engine->name();
    return names;
}

double calibrate(const SearchEngine &engine, int milliseconds)
{
    // Measured in this thread's CPU time, so a preempted thread (a busy machine) does
    // not make an engine look slow.
    const Sha256::Midstate mid = Sha256::midstate(CalibrationString);
    const double budget = milliseconds / 1000.0;
    const double start = threadSeconds();
    std::uint64_t attempts = 0;
    const std::uint64_t chunk = 1 << 13;
    double elapsed = 0;
    do {
        attempts += engine.search(mid, 64, 1'000'000'000 + attempts, chunk).attempts;
        elapsed = threadSeconds() - start;
    } while (elapsed < budget);
    return static_cast<double>(attempts) / elapsed;
}

namespace
{
constexpr int Slices = 5;              // rate() alone: the best of five slices
constexpr int SliceMilliseconds = 4;
constexpr int RoundCount = 10;         // best(): every engine once per round
constexpr int RoundMilliseconds = 3;
constexpr double SameSpeed = 0.99;

std::mutex rateMutex;
std::map<const SearchEngine *, double> rates;   // guarded by rateMutex

std::mutex selfTestMutex;
std::map<const SearchEngine *, QString> selfTests;   // guarded by selfTestMutex

void remember(const SearchEngine &engine, double attemptsPerSecond)
{
    const std::lock_guard lock(rateMutex);
    rates.emplace(&engine, attemptsPerSecond);
}

// rounds[r][e]: engine e's rate in round r on one calibrating thread.
using Rounds = std::vector<std::vector<double>>;

// Every engine once per round on the calling thread, each round starting with a
// different engine (so none always follows the same one). Every calibrating thread
// starts each slice together with the others, so all of them run the same engine at
// once, as mining threads do.
Rounds calibrateInStep(const std::vector<const SearchEngine *> &engines, std::barrier<> &step)
{
    const std::size_t count = engines.size();
    Rounds found(RoundCount, std::vector<double>(count, 0.0));
    for (std::size_t round = 0; round < found.size(); ++round) {
        for (std::size_t k = 0; k < count; ++k) {
            const std::size_t e = (round + k) % count;
            step.arrive_and_wait();
            found[round][e] = calibrate(*engines[e], RoundMilliseconds);
        }
    }
    return found;
}

// The rounds of one calibrating thread per CPU (the calling thread and one more per
// further CPU), all of them together.
Rounds calibrateOnEveryCpu(const std::vector<const SearchEngine *> &engines)
{
    const int wanted = std::max(1, QThread::idealThreadCount());
    std::barrier<> step(wanted);
    std::vector<Rounds> perThread(static_cast<std::size_t>(wanted));
    {
        std::vector<std::jthread> others;
        for (int t = 1; t < wanted; ++t) {
            try {
                others.emplace_back([&engines, &step, &mine = perThread[static_cast<std::size_t>(t)]] {
                    mine = calibrateInStep(engines, step);
                });
            } catch (const std::system_error &) {
                // No thread for this CPU (a process limit): calibrate on fewer.
                step.arrive_and_drop();
            }
        }
        perThread[0] = calibrateInStep(engines, step);
    }   // joins the others
    Rounds all;
    for (const Rounds &rounds : perThread)
        all.insert(all.end(), rounds.begin(), rounds.end());
    return all;
}

double median(std::vector<double> values)
{
    const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
    std::nth_element(values.begin(), middle, values.end());
    return *middle;
}
}

double rate(const SearchEngine &engine)
{
    {
        const std::lock_guard lock(rateMutex);
        if (const auto it = rates.find(&engine); it != rates.end())
            return it->second;
    }
    double fastest = 0;
    for (int slice = 0; slice < Slices; ++slice)
        fastest = std::max(fastest, calibrate(engine, SliceMilliseconds));
    remember(engine, fastest);
    return fastest;
}

const SearchEngine &best()
{
    // Every CPU at once, one calibrating thread each, ten rounds of 3 ms slices with
    // every engine in each round. The miner runs on every CPU, and one CPU's figure can
    // mislead: CPUs that share a core share its SHA unit, and under a hypervisor one
    // vCPU can run some engines slower than the other.
    //
    // Engines are compared in pairs, slice against slice of the same round and thread,
    // and the median of those ratios decides. On a shared host the speed of every engine
    // drifts together by 10% within seconds (the host's clock and its other tenants),
    // more than two close engines differ, so figures measured at different moments
    // (even the best of five slices each) picked one engine one run and the other the
    // next; side by side, the drift cancels. Each engine's median slice is kept for
    // rate(), so no engine is measured twice.
    static const SearchEngine *const chosen = [] {
        const std::vector<const SearchEngine *> engines = available();
        const Rounds rounds = calibrateOnEveryCpu(engines);
        std::vector<double> figure(engines.size());
        for (std::size_t e = 0; e < engines.size(); ++e) {
            std::vector<double> slices;
            for (const std::vector<double> &round : rounds)
                slices.push_back(round[e]);
            figure[e] = median(slices);
            remember(*engines[e], figure[e]);
        }
        // Each engine's speed relative to the engine of the best median, side by side.
        const auto reference = static_cast<std::size_t>(
            std::max_element(figure.begin(), figure.end()) - figure.begin());
        std::vector<double> relative(engines.size());
        for (std::size_t e = 0; e < engines.size(); ++e) {
            std::vector<double> ratios;
            for (const std::vector<double> &round : rounds) {
                if (round[reference] > 0)
                    ratios.push_back(round[e] / round[reference]);
            }
            relative[e] = ratios.empty() ? 0.0 : median(ratios);
        }
        // Fastest first; among engines within 1% of the fastest, the built order.
        std::vector<std::size_t> order(engines.size());
        for (std::size_t i = 0; i < order.size(); ++i)
            order[i] = i;
        const double fastest = *std::max_element(relative.begin(), relative.end());
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            const bool aSame = relative[a] >= SameSpeed * fastest;
            const bool bSame = relative[b] >= SameSpeed * fastest;
            if (aSame != bSame)
                return aSame;
            return !aSame && relative[a] > relative[b];
        });
        for (const std::size_t i : order) {
            if (selfTestFailure(*engines[i]).isEmpty())
                return engines[i];
        }
        return &portable();
    }();
    return *chosen;
}

const SearchEngine &portable()
{
    return OpenSsl;
}

QString selfTestFailure(const SearchEngine &engine)
{
    {
        const std::lock_guard lock(selfTestMutex);
        if (const auto it = selfTests.find(&engine); it != selfTests.end())
            return it->second;
    }
    const QString failure = runSelfTest(engine);
    const std::lock_guard lock(selfTestMutex);
    return selfTests.emplace(&engine, failure).first->second;
}

const SearchEngine &checked(const SearchEngine &engine, QString *why)
{
    const QString failure = selfTestFailure(engine);
    if (failure.isEmpty())
        return engine;
    if (why)
        *why = u"%1; mining with %2 instead"_s.arg(failure, portable().name());
    return portable();
}
}
