#include <cstdio>
#include <exception>

#include <QApplication>
#include <QCoreApplication>
#include <QStringList>

#include "app/options.h"
#include "app/run.h"
#include "core/version.h"

using namespace Qt::StringLiterals;

namespace
{
void setNames()
{
    QCoreApplication::setOrganizationName(u"blockforge"_s);
    QCoreApplication::setApplicationName(u"blockforge"_s);
    QCoreApplication::setApplicationVersion(QString(Version::Text));
}

bool hasDisplay()
{
    return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")
        || !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
}

int run(int argc, char *argv[])
{
    setNames();
    QStringList arguments;
    arguments << u"blockforge"_s;   // "Usage: blockforge" in --help, whatever the path
    for (int i = 1; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);

    // The command line is checked before any application object exists, so a bad
    // option or --help never needs a display.
    Options options;
    int exitCode = 0;
    if (!options.process(arguments, &exitCode))
        return exitCode;

    if (options.parser.isSet(options.engines)) {
        QCoreApplication app(argc, argv);
        return runEngines(app, options);
    }
    if (options.parser.isSet(options.server)) {
        QCoreApplication app(argc, argv);
        return runServer(app, options);
    }
    if (options.parser.isSet(options.mine)) {
        QCoreApplication app(argc, argv);
        return runMiner(app, options);
    }
    if (!hasDisplay()) {
        std::fputs("blockforge: no display to open the window on (DISPLAY is not set).\n"
                   "Run 'blockforge --server' or 'blockforge --mine' headless, or see --help.\n",
                   stderr);
        return 1;
    }
    QApplication app(argc, argv);
    return runGui(app, options);
}
}

int main(int argc, char *argv[])
{
    qSetMessagePattern(u"%{time hh:mm:ss.zzz} %{category} %{type}: %{message}"_s);
    try {
        return run(argc, argv);
    } catch (const std::exception &ex) {
        qCritical("blockforge: fatal: %s", ex.what());
    } catch (...) {
        qCritical("blockforge: fatal: unknown exception");
    }
    return 1;
}
