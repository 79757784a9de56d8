#include <cstdio>
#include <optional>

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
// they override the saved settings, and the window saves what it then uses. Every
// value is checked before any is applied, so a bad command line changes nothing.
std::optional<QString> applyOptions(const Options &options, Settings &settings)
{
    const QCommandLineParser &parser = options.parser;
    std::optional<QString> url;
    std::optional<int> threads;
    std::optional<QString> idFile;
    std::optional<QString> engine;
    if (parser.isSet(options.url)) {
        const QUrl value = QUrl::fromUserInput(parser.value(options.url));
        if (!value.isValid() || value.host().isEmpty()
            || (value.scheme() != u"http"_s && value.scheme() != u"https"_s))
            return u"--url: '%1' is not an http:// or https:// URL"_s.arg(
                parser.value(options.url));
        url = value.toString();
    }
    if (parser.isSet(options.threads)) {
        bool ok = false;
        threads = parser.value(options.threads).toInt(&ok);
        if (!ok || *threads < 1 || *threads > Settings::MaxThreads)
            return u"--threads: '%1' is not a number from 1 to %2"_s
                .arg(parser.value(options.threads))
                .arg(Settings::MaxThreads);
    }
    if (parser.isSet(options.idFile)) {
        idFile = parser.value(options.idFile);
        if (idFile->isEmpty())
            return u"--id-file: the path is empty"_s;
    }
    if (parser.isSet(options.engine)) {
        engine = parser.value(options.engine);
        if (*engine != Settings::autoEngine() && !Engines::find(*engine))
            return u"--engine: '%1' is not available here (see --engines)"_s.arg(*engine);
    }
    if (url)
        settings.setServerUrl(*url);
    if (threads)
        settings.setThreads(*threads);
    if (idFile)
        settings.setIdFile(*idFile);
    if (engine)
        settings.setEngine(*engine);
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
