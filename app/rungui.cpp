#include <cstdio>

#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QIcon>
#include <QLoggingCategory>

#include "app/mineroptions.h"
#include "app/options.h"
#include "app/run.h"
#include "app/singleinstance.h"
#include "app/stopsignal.h"
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

    // One window per user: a second launch raises the first and changes nothing
    // (neither the settings nor the local server's database).
    SingleInstance instance(
        QFileInfo(settings.fileName()).absoluteDir().filePath(u"blockforge.lock"_s));
    QString message;
    switch (instance.claim(&message)) {
    case SingleInstance::Role::Primary:
        break;
    case SingleInstance::Role::Unguarded:
        std::fprintf(stderr, "blockforge: warning: %s\n", qUtf8Printable(message));
        break;
    case SingleInstance::Role::Secondary:
        std::fprintf(stderr, "blockforge: %s\n", qUtf8Printable(message));
        return 0;
    case SingleInstance::Role::Failed:
        std::fprintf(stderr, "blockforge: %s\n", qUtf8Printable(message));
        return 1;
    }

    if (chosen->nodes)
        settings.setServerUrl(*chosen->nodes);
    if (chosen->threads)
        settings.setThreads(*chosen->threads);
    if (chosen->idFile)
        settings.setIdFile(QFileInfo(*chosen->idFile).absoluteFilePath());
    if (chosen->engine)
        settings.setEngine(*chosen->engine);

    // SIGINT/SIGTERM close the window as the user would: the settings are saved. Watched
    // before the window starts the local server, so that a signal right after it says
    // "Listening on" is not fatal; it is handled once the event loop runs, with the window.
    QObject watching;   // the signals are watched as long as this lives
    MainWindow *shown = nullptr;
    onStopSignal(&watching, [&shown] {
        if (shown)
            shown->close();
    });
    MiningModel model;   // workers at low priority: the desktop stays responsive
    model.setPushAllowed(!options.parser.isSet(options.noPush));
    MainWindow window(settings, model);
    shown = &window;
    QObject::connect(&instance, &SingleInstance::activationRequested, &window, [&window] {
        window.showNormal();
        window.raise();
        window.activateWindow();
    });
    window.show();
    return app.exec();
}
