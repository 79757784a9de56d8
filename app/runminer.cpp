#include <cstdio>
#include <memory>

#include <QCoreApplication>
#include <QDateTime>
#include <QLoggingCategory>
#include <QTimer>

#include "app/jsonevents.h"
#include "app/mineroptions.h"
#include "app/options.h"
#include "app/run.h"
#include "app/stopsignal.h"
#include "core/minerid.h"
#include "core/miningmodel.h"
#include "core/miningtext.h"
#include "core/settings.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr int HashRateLineMs = 10'000;

void say(const QDateTime &time, const QString &line)
{
    std::printf("[%s] %s\n", qPrintable(time.toString(u"hh:mm:ss"_s)), qUtf8Printable(line));
    std::fflush(stdout);
}

int badOption(const QString &message)
{
    std::fprintf(stderr, "blockforge: %s\nTry 'blockforge --help'.\n", qUtf8Printable(message));
    return 2;
}

// --mine's options that are not shared with the window.
Result<ProofSearch::Priority> readPriority(const Options &options)
{
    const QCommandLineParser &parser = options.parser;
    if (!parser.isSet(options.priority))
        return ProofSearch::Priority::Low;
    const Result<ProofSearch::Priority> priority =
        ProofSearch::priorityFromName(parser.value(options.priority));
    if (!priority)
        return Error{u"--priority: %1"_s.arg(priority.errorMessage())};
    return priority;
}
}

int runMiner(QCoreApplication &app, const Options &options)
{
    // The terminal lines come from the model's log; debug diagnostics only on request
    // (QT_LOGGING_RULES="blockforge.*.debug=true" overrides this).
    QLoggingCategory::setFilterRules(u"blockforge.*.debug=false"_s);
    const Result<MinerOptions> chosen = MinerOptions::read(options);
    if (!chosen)
        return badOption(chosen.errorMessage());
    const Result<ProofSearch::Priority> priority = readPriority(options);
    if (!priority)
        return badOption(priority.errorMessage());

    // The id is checked before anything is sent, and before a thread starts.
    const Result<QString> id = MinerId::read(chosen->idFile.value_or(MinerId::defaultFileName()));
    if (!id) {
        std::fprintf(stderr, "blockforge: %s\n", qUtf8Printable(id.errorMessage()));
        return 1;
    }

    MiningModel model(*priority);
    model.setPushAllowed(!options.parser.isSet(options.noPush));
    const bool json = options.parser.isSet(options.json);
    std::unique_ptr<JsonEvents> events;
    if (json) {
        events = std::make_unique<JsonEvents>(&model, stdout);
    } else {
        QObject::connect(&model, &MiningModel::logged, &model, [](const LogEntry &entry) {
            say(entry.time, entry.kind == LogEntry::Kind::Error ? u"Error: "_s + entry.text
                                                                : entry.text);
        });
    }
    QObject::connect(&model, &MiningModel::miningStopped, &app, [&app, &events] {
        if (events)
            events->stopped();
        app.quit();
    });
    const bool watching = onStopSignal(&model, [&model, json] {
        if (!json)
            std::fputs("\n", stdout);
        model.stopMining();
    });
    if (!watching) {
        std::perror("blockforge: cannot watch SIGINT/SIGTERM");
        return 1;
    }

    // A hash-rate line every few seconds, from the same figures the window shows.
    QTimer rateLine;
    rateLine.setInterval(HashRateLineMs);
    QObject::connect(&rateLine, &QTimer::timeout, &model, [&model, &events] {
        if (events) {
            events->hashRate();
            return;
        }
        const MiningSnapshot s = model.snapshot();
        say(QDateTime::currentDateTime(),
            u"Hash rate %1 (10 s), %2 (60 s), %3 (15 min) on %4 (%5 accepted, %6 coins)"_s
                .arg(MiningText::hashRate(s.hashRate10s), MiningText::hashRate(s.hashRate60s),
                     MiningText::hashRate(s.hashRate15m), MiningText::threads(s.threads))
                .arg(s.accepted)
                .arg(s.coins));
    });

    MiningModel::MinerSetup setup;
    setup.nodeUrl = chosen->nodes.value_or(Settings::defaultServerUrl());
    setup.id = *id;
    setup.threads = chosen->threads.value_or(0);
    setup.engine = chosen->engine.value_or(QString());
    if (const Result<void> started = model.startMining(setup); !started) {
        std::fprintf(stderr, "blockforge: %s\n", qUtf8Printable(started.errorMessage()));
        return 1;
    }
    rateLine.start();
    return app.exec();
}
