#include <cstdio>

#include <sys/resource.h>

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QHostAddress>
#include <QLoggingCategory>
#include <QStandardPaths>
#include <QUrl>

#include "app/options.h"
#include "app/run.h"
#include "app/stopsignal.h"
#include "core/chainbackup.h"
#include "core/chainimport.h"
#include "core/chainserver.h"
#include "core/chainstore.h"
#include "core/logging.h"

using namespace Qt::StringLiterals;

namespace
{
// Idle clients cost a descriptor each: use as many as the hard limit allows, and keep
// the connection cap below it, since a server out of descriptors answers nobody.
void fitDescriptorLimit(ChainServer::Config *config)
{
    constexpr rlim_t Reserve = 64;   // the database, its journal, the listener, stdio...
    rlimit limit = {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
        ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < Reserve + 16)
        config->maxConnections = 16;
    else if (limit.rlim_cur != RLIM_INFINITY
             && limit.rlim_cur - Reserve < static_cast<rlim_t>(config->maxConnections))
        config->maxConnections = static_cast<int>(limit.rlim_cur - Reserve);
}

bool badValue(const char *option, const QString &value, const char *expected)
{
    std::fprintf(stderr, "blockforge: invalid --%s '%s': %s\nTry 'blockforge --help'.\n", option,
                 qPrintable(value), expected);
    return false;
}

// Reads the --server options into config, address and port; false on a bad value.
bool readOptions(const Options &options, ChainServer::Config *config, QHostAddress *address,
                 quint16 *port)
{
    const QCommandLineParser &parser = options.parser;
    const QString host = parser.isSet(options.host) ? parser.value(options.host) : u"127.0.0.1"_s;
    if (host == u"localhost"_s)
        *address = QHostAddress(QHostAddress::LocalHost);
    else if (!address->setAddress(host))
        return badValue("host", host, "expected an IP address such as 127.0.0.1 or 0.0.0.0");

    bool ok = true;
    if (parser.isSet(options.port)) {
        const QString value = parser.value(options.port);
        const uint number = value.toUInt(&ok);
        if (!ok || number > 65535)
            return badValue("port", value, "expected a port number 0..65535");
        *port = static_cast<quint16>(number);
    }
    if (parser.isSet(options.difficulty)) {
        const QString value = parser.value(options.difficulty);
        config->difficulty = value.toInt(&ok);
        if (!ok || config->difficulty < 1 || config->difficulty > Pow::MaxDifficulty)
            return badValue("difficulty", value, "expected leading zero digits 1..64");
    }
    if (parser.isSet(options.reward)) {
        const QString value = parser.value(options.reward);
        config->reward = value.toLongLong(&ok);
        if (!ok || config->reward < 0)
            return badValue("reward", value, "expected a whole number of coins >= 0");
    }
    if (parser.isSet(options.database)) {
        config->databasePath = parser.value(options.database);
        if (config->databasePath.isEmpty())
            return badValue("db", config->databasePath, "expected a file path or a URL");
        if (ChainStore::isDatabaseUrl(config->databasePath)) {
            const QUrl url(config->databasePath, QUrl::StrictMode);
            if (!url.isValid() || url.host().isEmpty())   // never echo the password
                return badValue("db", url.isValid() ? url.toString(QUrl::RemovePassword)
                                                    : u"postgresql://..."_s,
                                "expected postgresql://user:password@host:port/dbname");
        }
    }
    if (parser.isSet(options.backup)) {
        if (parser.value(options.backup).isEmpty())
            return badValue("backup", QString(), "expected a file path");
        if (ChainStore::isDatabaseUrl(config->databasePath))
            return badValue("backup", parser.value(options.backup),
                            "--backup copies a SQLite --db; back PostgreSQL up with its own"
                            " tools (pg_dump, replication)");
        if (parser.isSet(options.importFrom))
            return badValue("backup", parser.value(options.backup),
                            "--backup and --import do not go together");
    }
    if (parser.isSet(options.importFrom) && parser.value(options.importFrom).isEmpty())
        return badValue("import", QString(), "expected a file path or a URL");
    return true;
}

// "0:05:07", or "2 days, 3:04:05" for a server that has run that long.
QString uptime(qint64 ms)
{
    const qint64 s = ms / 1000;
    const qint64 days = s / 86400;
    const QString clock = u"%1:%2:%3"_s.arg(s / 3600 % 24)
                              .arg(s / 60 % 60, 2, 10, QLatin1Char('0'))
                              .arg(s % 60, 2, 10, QLatin1Char('0'));
    if (days == 0)
        return clock;
    return (days == 1 ? u"1 day, "_s : u"%1 days, "_s.arg(days)) + clock;
}
}

int runServer(QCoreApplication &app, const Options &options)
{
    // The default level: one line per forged block and per error; --verbose adds one per
    // request. Debug diagnostics only on request (QT_LOGGING_RULES overrides this).
    QLoggingCategory::setFilterRules(u"blockforge.*.debug=false"_s);
    ChainServer::Config config;
    QHostAddress address;
    quint16 port = 5000;
    if (!readOptions(options, &config, &address, &port))
        return 2;
    if (config.databasePath.isEmpty()) {
        const QString folder = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
        if (folder.isEmpty() || !QDir().mkpath(folder)) {
            qCCritical(lcServer) << "Cannot create the data folder" << folder;
            return 1;
        }
        config.databasePath = QDir(folder).filePath(u"chain.db"_s);
    } else if (!ChainStore::isDatabaseUrl(config.databasePath)) {
        const QString folder = QFileInfo(config.databasePath).absolutePath();
        if (!QDir().mkpath(folder)) {
            qCCritical(lcServer) << "Cannot create the folder" << folder << "for the database";
            return 1;
        }
    }
    if (options.parser.isSet(options.backup)) {
        const QString target = options.parser.value(options.backup);
        qint64 blocks = 0;
        if (const Result<void> written = ChainBackup::write(config.databasePath, target, &blocks);
            !written) {
            qCCritical(lcStore).noquote() << written.errorMessage();
            return 1;
        }
        qCInfo(lcStore).noquote() << u"Backed up %1 blocks of \"%2\" to \"%3\""_s
                                         .arg(blocks).arg(config.databasePath, target);
        return 0;
    }
    if (options.parser.isSet(options.importFrom)) {
        const QString source = options.parser.value(options.importFrom);
        ChainImport::Counts counts;
        if (const Result<void> imported = ChainImport::run(source, config.databasePath, &counts);
            !imported) {
            qCCritical(lcStore).noquote() << imported.errorMessage();
            return 1;
        }
        qCInfo(lcStore).noquote()
            << u"Imported and verified %1 blocks and %2 pending transactions from \"%3\" into"
               " \"%4\""_s.arg(counts.blocks).arg(counts.pending)
                   .arg(ChainStore::create(source)->displayName(),
                        ChainStore::create(config.databasePath)->displayName());
        return 0;
    }
    fitDescriptorLimit(&config);
    // SIGINT and SIGTERM end the event loop, with a summary; the server then closes its
    // database.
    QElapsedTimer running;
    running.start();
    qint64 blocksForged = 0;
    qint64 requestsServed = 0;
    const bool watching = onStopSignal(&app, [&app, &running, &blocksForged, &requestsServed] {
        qCInfo(lcServer).noquote()
            << u"Shutting down on a signal: uptime %1, blocks forged %2, requests served %3"_s
                   .arg(uptime(running.elapsed())).arg(blocksForged).arg(requestsServed);
        app.quit();
    });
    if (!watching) {
        qCCritical(lcServer) << "Cannot watch SIGINT/SIGTERM";
        return 1;
    }

    ChainServer server(config);
    if (const Result<void> opened = server.open(); !opened) {
        qCCritical(lcServer).noquote() << opened.errorMessage();
        return 1;
    }
    QObject::connect(&server, &ChainServer::blockForged, &app, [&blocksForged] { ++blocksForged; });
    const bool verbose = options.parser.isSet(options.verbose);
    QObject::connect(&server, &ChainServer::requestServed, &app,
                     [&requestsServed, verbose](const QString &method, const QString &path,
                                                int status, double ms) {
                         ++requestsServed;
                         if (verbose)   // a refused connection has no method or path: "-"
                             qCInfo(lcServer, "%s %s %d %.3f ms",
                                    method.isEmpty() ? "-" : qPrintable(method),
                                    path.isEmpty() ? "-" : qPrintable(path), status, ms);
                     });
    if (!server.listen(address, port)) {
        qCCritical(lcServer).noquote() << server.errorString();
        return 1;
    }
    qCInfo(lcServer).noquote()
        << u"Serving a chain of %1 blocks at difficulty %2 on http://%3:%4/ (up to %5 connections)"_s
               .arg(server.chain().length()).arg(config.difficulty)
               .arg(address.toString()).arg(server.port()).arg(config.maxConnections);
    const int code = app.exec();
    server.close();
    return code;
}
