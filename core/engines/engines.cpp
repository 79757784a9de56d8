#include "core/engines/engines.h"

#include <chrono>

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
const ShaNiEngine ShaNi;
#endif

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
        {&ShaNi, &ShaNiEngine::isSupported},
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
    using Clock = std::chrono::steady_clock;
    const Sha256::Midstate mid = Sha256::midstate(CalibrationString);
    const auto start = Clock::now();
    const auto budget = std::chrono::milliseconds(milliseconds);
    std::uint64_t attempts = 0;
    const std::uint64_t chunk = 1 << 14;
    do {
        attempts += engine.search(mid, 64, 1'000'000'000 + attempts, chunk).attempts;
    } while (Clock::now() - start < budget);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return static_cast<double>(attempts) / seconds;
}

const SearchEngine &best()
{
    static const SearchEngine *const chosen = [] {
        const SearchEngine *fastest = nullptr;
        double fastestRate = 0;
        for (const SearchEngine *engine : available()) {
            const double rate = calibrate(*engine, 15);
            if (rate > fastestRate) {
                fastest = engine;
                fastestRate = rate;
            }
        }
        return fastest;
    }();
    return *chosen;
}
}
