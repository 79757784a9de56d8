#include <algorithm>
#include <cstdio>

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QThread>
#include <QTimer>
#include <QUrl>

#include "app/options.h"
#include "app/run.h"
#include "app/stopsignal.h"
#include "core/engines/engines.h"
#include "core/engines/searchengine.h"
#include "core/miner.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr int HashRateLineMs = 5000;
constexpr int MaxThreads = 1024;

void say(const QString &line)
{
    const QString stamp = QDateTime::currentDateTime().toString(u"hh:mm:ss"_s);
    std::printf("[%s] %s\n", qPrintable(stamp), qUtf8Printable(line));
    std::fflush(stdout);
}

int badOption(const QString &message)
{
    std::fprintf(stderr, "blockforge: %s\nTry 'blockforge --help'.\n", qUtf8Printable(message));
    return 2;
}

QString rate(double attemptsPerSecond)
{
    return attemptsPerSecond >= 1e6 ? u"%1 M attempts/s"_s.arg(attemptsPerSecond / 1e6, 0, 'f', 2)
                                    : u"%1 k attempts/s"_s.arg(attemptsPerSecond / 1e3, 0, 'f', 1);
}

QString duration(qint64 ms)
{
    const qint64 s = ms / 1000;
    if (s < 60)
        return u"%1 s"_s.arg(ms / 1000.0, 0, 'f', 1);
    if (s < 3600)
        return u"%1 min %2 s"_s.arg(s / 60).arg(s % 60);
    return u"%1 h %2 min"_s.arg(s / 3600).arg(s / 60 % 60);
}

QString threadsText(int threads)
{
    return threads == 1 ? u"1 thread"_s : u"%1 threads"_s.arg(threads);
}

QString kindName(Miner::ReplyKind kind)
{
    switch (kind) {
    case Miner::ReplyKind::Accepted:
        return u"accepted"_s;
    case Miner::ReplyKind::Stale:
        return u"stale"_s;
    case Miner::ReplyKind::Rejected:
        return u"rejected"_s;
    case Miner::ReplyKind::Error:
        return u"error"_s;
    }
    return {};
}

// Reads --mine's options into a Miner config; on a bad value returns the message.
std::optional<QString> readConfig(const Options &options, Miner::Config *config)
{
    const QCommandLineParser &parser = options.parser;
    if (parser.isSet(options.url)) {
        const QUrl url = QUrl::fromUserInput(parser.value(options.url));
        if (!url.isValid() || url.host().isEmpty()
            || (url.scheme() != u"http"_s && url.scheme() != u"https"_s))
            return u"--url: '%1' is not an http:// or https:// URL"_s.arg(
                parser.value(options.url));
        config->serverUrl = url;
    }
    if (parser.isSet(options.threads)) {
        bool ok = false;
        const int threads = parser.value(options.threads).toInt(&ok);
        if (!ok || threads < 1 || threads > MaxThreads)
            return u"--threads: '%1' is not a number from 1 to %2"_s
                .arg(parser.value(options.threads))
                .arg(MaxThreads);
        config->threads = threads;
    }
    if (parser.isSet(options.idFile)) {
        config->idFile = parser.value(options.idFile);
        if (config->idFile.isEmpty())
            return u"--id-file: the path is empty"_s;
    }
    if (parser.isSet(options.engine)) {
        const QString name = parser.value(options.engine);
        config->engine = Engines::find(name);
        if (!config->engine) {
            QStringList names;
            for (const SearchEngine *engine : Engines::available())
                names << engine->name();
            return u"--engine: '%1' is not available here (available: %2)"_s.arg(
                name, names.join(u", "_s));
        }
    }
    if (parser.isSet(options.priority)) {
        const std::optional<ProofSearch::Priority> priority =
            ProofSearch::priorityFromName(parser.value(options.priority));
        if (!priority)
            return u"--priority: '%1' is not one of idle, low, normal"_s.arg(
                parser.value(options.priority));
        config->priority = *priority;
    }
    return std::nullopt;
}
}

int runMiner(QCoreApplication &app, const Options &options)
{
    // The terminal lines come from the miner's signals; debug diagnostics only on
    // request (QT_LOGGING_RULES="blockforge.*.debug=true" overrides this).
    QLoggingCategory::setFilterRules(u"blockforge.*.debug=false"_s);
    Miner::Config config;
    if (const std::optional<QString> problem = readConfig(options, &config))
        return badOption(*problem);

    // The id is checked before anything is sent, and before a thread starts.
    QString idError;
    const std::optional<QString> id = Miner::readId(config.idFile, &idError);
    if (!id) {
        std::fprintf(stderr, "blockforge: %s\n", qUtf8Printable(idError));
        return 1;
    }

    Miner miner(config);
    const bool watching = onStopSignal(&miner, [&miner] {
        std::fputs("\n", stdout);
        miner.stop();
    });
    if (!watching) {
        std::perror("blockforge: cannot watch SIGINT/SIGTERM");
        return 1;
    }

    QObject::connect(&miner, &Miner::searchStarted, &miner,
                     [](qint64 index, const Block &last, int difficulty) {
                         say(u"Mining block %1 (difficulty %2, last block %3 %4...)"_s.arg(index)
                                 .arg(difficulty)
                                 .arg(last.index())
                                 .arg(QString::fromLatin1(last.hash().left(12))));
                     });
    QObject::connect(&miner, &Miner::searchAbandoned, &miner, [](qint64 index) {
        say(u"The server's last block changed: dropping the work on block %1"_s.arg(index));
    });
    QObject::connect(&miner, &Miner::proofFound, &miner,
                     [](quint64 proof, double seconds, quint64 attempts) {
                         say(u"Proof %1 found in %2 s after %3 attempts"_s.arg(proof)
                                 .arg(seconds, 0, 'f', 2)
                                 .arg(attempts));
                     });
    QObject::connect(&miner, &Miner::serverReplied, &miner,
                     [&miner](int status, const QString &message, Miner::ReplyKind kind) {
                         say(u"Server %1: %2 (%3; coins %4)"_s.arg(status)
                                 .arg(message, kindName(kind))
                                 .arg(miner.coins()));
                     });
    QObject::connect(&miner, &Miner::errorOccurred, &miner,
                     [](const QString &message) { say(u"Error: %1"_s.arg(message)); });

    // A hash-rate line every few seconds, averaged over that span.
    QElapsedTimer lineClock;
    quint64 lineAttempts = 0;
    QTimer rateLine;
    rateLine.setInterval(HashRateLineMs);
    QObject::connect(&rateLine, &QTimer::timeout, &miner, [&] {
        const quint64 attempts = miner.attempts();
        const double rateNow = static_cast<double>(attempts - lineAttempts) * 1e9
            / static_cast<double>(std::max<qint64>(1, lineClock.nsecsElapsed()));
        lineAttempts = attempts;
        lineClock.start();
        say(u"Hash rate %1 on %2 (%3 accepted, %4 coins)"_s.arg(rate(rateNow),
                                                                threadsText(miner.threadCount()))
                .arg(miner.acceptedCount())
                .arg(miner.coins()));
    });

    QObject::connect(&miner, &Miner::stopped, &app, [&] {
        rateLine.stop();
        say(u"Stopped. Blocks: %1 accepted, %2 stale, %3 rejected. Coins: %4. "
            "Average %5 over %6."_s.arg(miner.acceptedCount())
                .arg(miner.staleCount())
                .arg(miner.rejectedCount())
                .arg(miner.coins())
                .arg(rate(miner.averageHashRate()), duration(miner.uptimeMs())));
        QCoreApplication::quit();
    });

    say(u"blockforge miner: server %1, id \"%2\", engine %3, %4, priority %5"_s.arg(
        config.serverUrl.toString(), *id, miner.engineName(), threadsText(miner.threadCount()),
        ProofSearch::priorityName(miner.priority())));
    QString error;
    if (!miner.start(&error)) {
        std::fprintf(stderr, "blockforge: %s\n", qUtf8Printable(error));
        return 1;
    }
    lineClock.start();
    rateLine.start();
    return app.exec();
}
