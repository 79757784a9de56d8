#include <cstdio>

#include <QApplication>
#include <QIcon>
#include <QLoggingCategory>

#include "app/mineroptions.h"
#include "app/options.h"
#include "app/run.h"
#include "core/miningmodel.h"
#include "core/settings.h"
#include "ui/mainwindow.h"

using namespace Qt::StringLiterals;

namespace
{
QIcon applicationIcon()
{
    QIcon icon;
    for (int size : {16, 32, 48, 64, 128, 256})
        icon.addFile(u":/icons/blockforge-%1.png"_s.arg(size), QSize(size, size));
    return icon;
}
}

int runGui(QApplication &app, const Options &options)
{
    // The window shows what matters; debug diagnostics only on request
    // (QT_LOGGING_RULES="blockforge.*.debug=true" overrides this).
    QLoggingCategory::setFilterRules(u"blockforge.*.debug=false"_s);
    QApplication::setWindowIcon(applicationIcon());
    QGuiApplication::setDesktopFileName(u"blockforge"_s);

    // --url, --threads, --id-file and --engine override the saved settings, and the
    // window saves what it then uses. Every value is checked before any is applied, so
    // a bad command line changes nothing.
    const Result<MinerOptions> chosen = MinerOptions::read(options);
    if (!chosen) {
        std::fprintf(stderr, "blockforge: %s\nTry 'blockforge --help'.\n",
                     qUtf8Printable(chosen.errorMessage()));
        return 2;
    }
    Settings settings;
    if (chosen->url)
        settings.setServerUrl(chosen->url->toString());
    if (chosen->threads)
        settings.setThreads(*chosen->threads);
    if (chosen->idFile)
        settings.setIdFile(*chosen->idFile);
    if (chosen->engine)
        settings.setEngine(*chosen->engine);

    MiningModel model;   // workers at low priority: the desktop stays responsive
    model.setPushAllowed(!options.parser.isSet(options.noPush));
    MainWindow window(settings, model);
    window.show();
    return app.exec();
}
