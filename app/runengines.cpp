#include <cstdio>

#include <QCoreApplication>
#include <QStringList>

#include "app/options.h"
#include "app/run.h"
#include "core/engines/cpufeatures.h"
#include "core/engines/engines.h"
#include "core/engines/searchengine.h"

int runEngines(QCoreApplication &, const Options &)
{
    const CpuFeatures &cpu = CpuFeatures::current();
    std::printf("CPU: %s\nflags: %s\n", qPrintable(cpu.model),
                qPrintable(cpu.flagNames().join(QLatin1Char(' '))));
    // The figures the choice was made from (every CPU at once, each engine's median
    // slice), so "(chosen)" stands beside the fastest or one within the tie band, never
    // below a figure measured some other way.
    const SearchEngine &best = Engines::best();
    std::printf("calibration: every CPU at once, median slice per thread\n");
    QStringList unsupported = Engines::builtNames();
    for (const SearchEngine *engine : Engines::available()) {
        unsupported.removeAll(engine->name());
        const QString failure = Engines::selfTestFailure(*engine);
        std::printf("%-13s %8.1f M attempts/s per thread%s%s\n", qPrintable(engine->name()),
                    Engines::rate(*engine) / 1e6, engine == &best ? "  (chosen)" : "",
                    failure.isEmpty() ? "" : qPrintable(u"  (" + failure + u")"));
    }
    for (const QString &name : std::as_const(unsupported))
        std::printf("%-13s built, but this CPU cannot run it\n", qPrintable(name));
    return 0;
}
