#include <cstdio>

#include <QCoreApplication>

#include "app/options.h"
#include "app/run.h"
#include "core/engines/engines.h"
#include "core/engines/searchengine.h"

int runEngines(QCoreApplication &, const Options &)
{
    const SearchEngine &best = Engines::best();
    for (const SearchEngine *engine : Engines::available()) {
        std::printf("%-10s %8.1f M attempts/s per thread%s\n", qPrintable(engine->name()),
                    Engines::calibrate(*engine, 100) / 1e6, engine == &best ? "  (chosen)" : "");
    }
    return 0;
}
