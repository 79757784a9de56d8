#include <cstdio>

#include <QApplication>
#include <QIcon>
#include <QLoggingCategory>
#include <QThread>
#include <QUrl>

#include "app/options.h"
#include "app/run.h"
#include "core/engines/engines.h"
#include "core/settings.h"
#include "ui/mainwindow.h"

using namespace Qt::StringLiterals;

namespace
{
int badOption(const QString &message)
{
    std::fprintf(stderr, "blockforge: %s\nTry 'blockforge --help'.\n", qUtf8Printable(message));
    return 2;
}

// The window's defaults from the command line (--url, --threads, --id-file, --engine):
// they override the saved settings, and the window saves what it then uses.
std::optional<QString> applyOptions(const Options &options, Settings &settings)
{
    const QCommandLineParser &parser = options.parser;
    if (parser.isSet(options.url)) {
        const QUrl url = QUrl::fromUserInput(parser.value(options.url));
        if (!url.isValid() || url.host().isEmpty()
            || (url.scheme() != u"http"_s && url.scheme() != u"https"_s))
            return u"--url: '%1' is not an http:// or https:// URL"_s.arg(parser.value(options.url));
        settings.setServerUrl(url.toString());
    }
    if (parser.isSet(options.threads)) {
        bool ok = false;
        const int threads = parser.value(options.threads).toInt(&ok);
        if (!ok || threads < 1 || threads > Settings::MaxThreads)
            return u"--threads: '%1' is not a number from 1 to %2"_s.arg(parser.value(options.threads))
                .arg(Settings::MaxThreads);
        settings.setThreads(threads);
    }
    if (parser.isSet(options.idFile)) {
        if (parser.value(options.idFile).isEmpty())
            return u"--id-file: the path is empty"_s;
        settings.setIdFile(parser.value(options.idFile));
    }
    if (parser.isSet(options.engine)) {
        const QString name = parser.value(options.engine);
        if (name != Settings::autoEngine() && !Engines::find(name))
            return u"--engine: '%1' is not available here (see --engines)"_s.arg(name);
        settings.setEngine(name);
    }
    return std::nullopt;
}

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

    Settings settings;
    if (const std::optional<QString> problem = applyOptions(options, settings))
        return badOption(*problem);

    MainWindow window(settings);
    window.show();
    return app.exec();
}
