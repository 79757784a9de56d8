#include <cstdio>

#include <QCoreApplication>

#include "app/options.h"
#include "app/run.h"

int runMiner(QCoreApplication &, const Options &)
{
    std::fputs("blockforge: --mine is not built yet\n", stderr);
    return 1;
}
