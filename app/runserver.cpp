#include <cstdio>

#include <QCoreApplication>

#include "app/options.h"
#include "app/run.h"

int runServer(QCoreApplication &, const Options &)
{
    std::fputs("blockforge: --server is not built yet\n", stderr);
    return 1;
}
