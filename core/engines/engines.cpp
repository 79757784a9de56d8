#include "core/engines/engines.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <mutex>

#include <QStringList>

#include "core/engines/opensslengine.h"
#include "core/engines/searchengine.h"
#include "core/sha256.h"

#ifdef BLOCKFORGE_X86_ENGINES
#include "core/engines/avx2engine.h"
#include "core/engines/avx512engine.h"
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
const ShaNiEngine ShaNi2{2};
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

// Every built engine, the fastest kinds first.
const std::vector<Entry> &built()
{
    static const std::vector<Entry> entries = {
#ifdef BLOCKFORGE_X86_ENGINES
        {&Avx512, &Avx512Engine::isSupported},
        {&ShaNi4, &ShaNiEngine::isSupported},
        {&ShaNi2, &ShaNiEngine::isSupported},
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
    for (const SearchEngine *engine : available()) {
        if (engine->name() == name)
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
constexpr int Slices = 3;
constexpr int SliceMilliseconds = 5;

std::mutex rateMutex;
std::map<const SearchEngine *, double> rates;   // guarded by rateMutex

void remember(const SearchEngine &engine, double attemptsPerSecond)
{
    const std::lock_guard lock(rateMutex);
    rates.emplace(&engine, attemptsPerSecond);
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
    // Three interleaved 5 ms slices per engine, best slice wins: about 60 ms in all.
    // The rates are kept for rate(), so no engine is measured twice.
    static const SearchEngine *const chosen = [] {
        const std::vector<const SearchEngine *> engines = available();
        std::vector<double> found(engines.size(), 0.0);
        for (int slice = 0; slice < Slices; ++slice) {
            for (std::size_t i = 0; i < engines.size(); ++i)
                found[i] = std::max(found[i], calibrate(*engines[i], SliceMilliseconds));
        }
        for (std::size_t i = 0; i < engines.size(); ++i)
            remember(*engines[i], found[i]);
        const auto fastest = std::max_element(found.begin(), found.end()) - found.begin();
        return engines[static_cast<std::size_t>(fastest)];
    }();
    return *chosen;
}
}
