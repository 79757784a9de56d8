#include "core/engines/engines.h"

#include <chrono>

#include <QStringList>

#include "core/engines/opensslengine.h"
#include "core/engines/searchengine.h"
#include "core/sha256.h"

namespace
{
const OpenSslEngine OpenSsl;

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
    return {&OpenSsl};
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
    return {OpenSsl.name()};
}

double calibrate(const SearchEngine &engine, int milliseconds)
{
    using Clock = std::chrono::steady_clock;
    const Sha256::Midstate mid = Sha256::midstate(CalibrationString);
    const auto start = Clock::now();
    const auto budget = std::chrono::milliseconds(milliseconds);
    std::uint64_t attempts = 0;
    std::uint64_t chunk = 1 << 14;
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
            const double rate = calibrate(*engine);
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
