#include <csignal>

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include "core/chain.h"
#include "core/chainserver.h"
#include "scriptedserver.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr int WaitMs = 30000;
}

// `blockforge --mine` as a user runs it: options, exit codes, output, Ctrl-C.
class TestRunMiner final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void badCommandLineExits2_data();
    void badCommandLineExits2();
    void idFileErrorExits1BeforeSending();
    void minesPrintsAndSummarizesOnSigint();
    void serverDownKeepsRetrying();
    void sigintWaitsForTheProofOnItsWay();
    void jsonPrintsOneObjectPerEvent();
    void noPushPolls();

private:
    void start(QProcess &process, const QStringList &arguments);
    // Reads the miner's output until it holds text.
    static bool waitForOutput(QProcess &process, QByteArray &out, const char *text);
    QString idFile(const QByteArray &content);

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestRunMiner::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestRunMiner::start(QProcess &process, const QStringList &arguments)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"QT_LOGGING_RULES"_s);
    process.setProcessEnvironment(environment);
    process.setWorkingDirectory(m_dir->path());
    process.start(QStringLiteral(BLOCKFORGE_EXECUTABLE), QStringList{u"--mine"_s} + arguments);
    QVERIFY2(process.waitForStarted(WaitMs), qPrintable(process.errorString()));
}

bool TestRunMiner::waitForOutput(QProcess &process, QByteArray &out, const char *text)
{
    return QTest::qWaitFor([&] {
        out += process.readAllStandardOutput();
        return out.contains(text);
    }, WaitMs);
}

QString TestRunMiner::idFile(const QByteArray &content)
{
    const QString path = m_dir->filePath(u"my_id.txt"_s);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        qFatal("cannot write %s", qPrintable(path));
    file.write(content);
    return path;
}

void TestRunMiner::badCommandLineExits2_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");
    QTest::newRow("threads 0") << QStringList{u"--threads"_s, u"0"_s} << u"--threads: '0'"_s;
    QTest::newRow("threads word") << QStringList{u"--threads"_s, u"many"_s}
                                  << u"--threads: 'many' is not a number"_s;
    QTest::newRow("threads 2000") << QStringList{u"--threads"_s, u"2000"_s}
                                  << u"--threads: '2000' is not a number from 1 to 1024"_s;
    QTest::newRow("priority") << QStringList{u"--priority"_s, u"high"_s}
                              << u"--priority: 'high' is not one of idle, low, normal"_s;
    QTest::newRow("engine") << QStringList{u"--engine"_s, u"quantum"_s}
                            << u"--engine: 'quantum' is not available here"_s;
    QTest::newRow("url scheme") << QStringList{u"--url"_s, u"ftp://example.org"_s}
                                << u"--url: 'ftp://example.org' is not an http:// or https:// "
                                   "URL"_s;
    QTest::newRow("url port") << QStringList{u"--url"_s, u"http://127.0.0.1:99999"_s}
                              << u"--url: 'http://127.0.0.1:99999' is not an http:// or https:// "
                                 "URL (Invalid port or port number out of range)"_s;
    QTest::newRow("url empty port") << QStringList{u"--url"_s, u"127.0.0.1:"_s}
                                    << u"--url: '127.0.0.1:' is not an http:// or https:// URL"
                                       " (the port is empty"_s;
    QTest::newRow("url credentials masked")
        << QStringList{u"--url"_s, u"http://bob:hunter2@127.0.0.1:99999"_s}
        << u"--url: 'http://***@127.0.0.1:99999' is not"_s;
    QTest::newRow("second url") << QStringList{u"--url"_s, u"127.0.0.1:5000"_s, u"--url"_s,
                                               u"127.0.0.1:5001,gopher://x"_s}
                                << u"--url: 'gopher://x' is not"_s;
    QTest::newRow("server option") << QStringList{u"--difficulty"_s, u"3"_s}
                                   << u"--difficulty is a --server option"_s;
    QTest::newRow("unknown") << QStringList{u"--turbo"_s} << u"Unknown option 'turbo'"_s;
}

void TestRunMiner::badCommandLineExits2()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    idFile("alice\n");
    QProcess process;
    start(process, arguments);
    QVERIFY(process.waitForFinished(WaitMs));
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 2);
    const QString error = QString::fromUtf8(process.readAllStandardError());
    QVERIFY2(error.contains(message), qPrintable(error));
    QVERIFY(!error.contains(u"hunter2"_s));
    QVERIFY(process.readAllStandardOutput().isEmpty());
}

void TestRunMiner::idFileErrorExits1BeforeSending()
{
    QTcpServer listener;   // would see any connection attempt
    QVERIFY(listener.listen(QHostAddress::LocalHost, 0));
    const QString url = u"http://127.0.0.1:%1"_s.arg(listener.serverPort());
    for (const QByteArray &content : {QByteArray(), QByteArray(" \n ")}) {
        idFile(content);
        QProcess process;
        start(process, {u"--url"_s, url});
        QVERIFY(process.waitForFinished(WaitMs));
        QCOMPARE(process.exitCode(), 1);
        const QString error = QString::fromUtf8(process.readAllStandardError());
        QVERIFY2(error.contains(u"is empty"_s), qPrintable(error));
    }
    QProcess process;
    start(process, {u"--url"_s, url, u"--id-file"_s, m_dir->filePath(u"nobody.txt"_s)});
    QVERIFY(process.waitForFinished(WaitMs));
    QCOMPARE(process.exitCode(), 1);
    QVERIFY(QString::fromUtf8(process.readAllStandardError()).contains(u"does not exist"_s));
    QTest::qWait(100);
    QVERIFY(!listener.hasPendingConnections());
}

void TestRunMiner::minesPrintsAndSummarizesOnSigint()
{
    ChainServer::Config config;
    config.databasePath = m_dir->filePath(u"chain.db"_s);
    config.difficulty = 5;
    ChainServer server(config);
    const Result<void> opened = server.open();
    QVERIFY2(opened, qPrintable(opened.errorMessage()));
    const quint16 port = server.listen(QHostAddress::LocalHost, 0);
    QVERIFY(port != 0);

    idFile("  zoe\n");
    QProcess process;
    start(process, {u"--url"_s, u"127.0.0.1:%1"_s.arg(port), u"--threads"_s, u"1"_s,
                    u"--priority"_s, u"normal"_s});
    // The server runs on this thread: wait with the event loop running.
    QByteArray out;
    QVERIFY(waitForOutput(process, out, "Block 2: HTTP 200: New Block Forged (accepted; coins 1)"));
    QVERIFY(waitForOutput(process, out, "Hash rate "));   // every 10 s
    QVERIFY(::kill(static_cast<pid_t>(process.processId()), SIGINT) == 0);
    QTRY_VERIFY_WITH_TIMEOUT(process.state() == QProcess::NotRunning, WaitMs);
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 0);
    out += process.readAllStandardOutput();
    const QString text = QString::fromUtf8(out);

    QVERIFY2(text.contains(u"] Mining on http://127.0.0.1:%1 as \"zoe\": engine "_s.arg(port)),
             qPrintable(text));
    QVERIFY(text.contains(u", 1 thread, priority normal\n"_s));
    QVERIFY(text.contains(
        u"] New blocks: pushed by the server (long poll, up to 30 s a wait)\n"_s));
    QVERIFY(text.contains(u"Mining block 2 (difficulty 5, last block 1 "_s));
    QVERIFY(QRegularExpression(u"Proof \\d+ found in [0-9.]+ s after \\d+ attempts"_s)
                .match(text).hasMatch());
    QVERIFY(QRegularExpression(u"Hash rate [0-9.]+ [kMG]?H/s \\(10 s\\), [0-9.]+ [kMG]?H/s "
                               "\\(60 s\\), [0-9.]+ [kMG]?H/s \\(15 min\\) on 1 thread "
                               "\\(\\d+ accepted, \\d+ coins\\)"_s)
                .match(text).hasMatch());
    const QRegularExpressionMatch summary = QRegularExpression(
        u"Stopped\\. Blocks: (\\d+) accepted, 0 stale, 0 rejected\\. Coins: (\\d+)\\. "
        "Average [0-9.]+ [kMG]?H/s over "_s).match(text);
    QVERIFY2(summary.hasMatch(), qPrintable(text.right(500)));
    const int accepted = summary.captured(1).toInt();
    QVERIFY(accepted >= 1);
    QCOMPARE(summary.captured(2).toInt(), accepted);
    // A proof on its way at the signal was waited for: the server and the summary agree.
    QCOMPARE(server.chain().length() - 1, accepted);
}

void TestRunMiner::serverDownKeepsRetrying()
{
    const quint16 port = closedPort();
    idFile("ann\n");
    QProcess process;
    start(process, {u"--url"_s, u"http://127.0.0.1:%1"_s.arg(port), u"--threads"_s, u"1"_s});
    QByteArray out;
    for (const char *line : {"Error: GET /last_block: Connection refused; retrying in 1 s",
                             "Error: GET /last_block: Connection refused; retrying in 2 s"})
        QVERIFY(waitForOutput(process, out, line));
    QVERIFY(::kill(static_cast<pid_t>(process.processId()), SIGINT) == 0);
    QVERIFY(process.waitForFinished(WaitMs));
    QCOMPARE(process.exitCode(), 0);
    out += process.readAllStandardOutput();
    QVERIFY2(out.contains("Stopped. Blocks: 0 accepted, 0 stale, 0 rejected. Coins: 0."),
             out.constData());
}

void TestRunMiner::sigintWaitsForTheProofOnItsWay()
{
    // A slow server: its answer to POST /mine takes a second. Ctrl-C while the proof is
    // on its way still counts the block the server forged.
    ScriptedServer server;
    QVERIFY(server.start());
    server.defaults["/last_block"] = lastBlockAnswer(Chain::genesis(1732435500.0), 2);
    CannedAnswer slowWin = jsonAnswer(200, R"({"message": "New Block Forged", "reward": 3})");
    slowWin.delayMs = 1000;
    server.defaults["/mine"] = slowWin;
    idFile("bea\n");
    QProcess process;
    start(process, {u"--url"_s, server.url().toString(), u"--threads"_s, u"1"_s});
    QTRY_VERIFY_WITH_TIMEOUT(server.count("/mine") == 1, WaitMs);
    QVERIFY(::kill(static_cast<pid_t>(process.processId()), SIGINT) == 0);
    QTRY_VERIFY_WITH_TIMEOUT(process.state() == QProcess::NotRunning, WaitMs);
    QCOMPARE(process.exitCode(), 0);
    const QByteArray out = process.readAllStandardOutput();
    QVERIFY2(out.contains("Block 2: HTTP 200: New Block Forged (accepted; coins 3)"),
             out.constData());
    QVERIFY(out.contains("Stopped. Blocks: 1 accepted, 0 stale, 0 rejected. Coins: 3."));
    QVERIFY(out.indexOf("New Block Forged") < out.indexOf("Stopped."));
    QCOMPARE(server.count("/mine"), 1);
    QVERIFY(out.contains("] New blocks: polling every 1 s\n"));   // a classic server
}

void TestRunMiner::noPushPolls()
{
    ChainServer::Config config;
    config.databasePath = m_dir->filePath(u"chain.db"_s);
    config.difficulty = 9;   // no block during the test
    ChainServer server(config);
    const Result<void> opened = server.open();
    QVERIFY2(opened, qPrintable(opened.errorMessage()));
    const quint16 port = server.listen(QHostAddress::LocalHost, 0);
    QVERIFY(port != 0);
    idFile("cy\n");
    QProcess process;
    start(process, {u"--url"_s, u"127.0.0.1:%1"_s.arg(port), u"--threads"_s, u"1"_s,
                    u"--no-push"_s});
    QByteArray out;
    QVERIFY(waitForOutput(process, out, "New blocks: polling every 1 s (push turned off)\n"));
    QVERIFY(waitForOutput(process, out, "Mining block 2"));
    QTest::qWait(1500);   // a poll or two
    QCOMPARE(server.waiterCount(), 0);
    QVERIFY(::kill(static_cast<pid_t>(process.processId()), SIGINT) == 0);
    QTRY_VERIFY_WITH_TIMEOUT(process.state() == QProcess::NotRunning, WaitMs);
    QCOMPARE(process.exitCode(), 0);
    out += process.readAllStandardOutput();
    QVERIFY2(!out.contains("pushed by the server"), out.constData());
}

void TestRunMiner::jsonPrintsOneObjectPerEvent()
{
    ChainServer::Config config;
    config.databasePath = m_dir->filePath(u"chain.db"_s);
    config.difficulty = 4;
    ChainServer server(config);
    const Result<void> opened = server.open();
    QVERIFY2(opened, qPrintable(opened.errorMessage()));
    const quint16 port = server.listen(QHostAddress::LocalHost, 0);
    QVERIFY(port != 0);

    // The first node is down: three failures, then the miner fails over to the second.
    idFile("joy\n");
    const QString down = u"http://127.0.0.1:%1"_s.arg(closedPort());
    QProcess process;
    start(process, {u"--json"_s, u"--threads"_s, u"1"_s, u"--url"_s, down, u"--url"_s,
                    u"http://joy:hunter2@127.0.0.1:%1"_s.arg(port)});
    QByteArray out;
    QVERIFY(waitForOutput(process, out, "\"event\":\"node\""));
    QVERIFY(waitForOutput(process, out, "\"result\":\"accepted\""));
    QVERIFY(waitForOutput(process, out, "\"event\":\"hashrate\""));   // every 10 s
    QVERIFY(::kill(static_cast<pid_t>(process.processId()), SIGINT) == 0);
    QTRY_VERIFY_WITH_TIMEOUT(process.state() == QProcess::NotRunning, WaitMs);
    QCOMPARE(process.exitCode(), 0);
    out += process.readAllStandardOutput();
    QVERIFY(!out.contains("hunter2"));
    QVERIFY(out.endsWith('\n'));

    // Every line is one JSON object with an event and a time; nothing else is printed.
    QHash<QString, QList<QJsonObject>> events;
    QStringList order;
    for (const QByteArray &line : out.trimmed().split('\n')) {
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(line, &parseError);
        QVERIFY2(parseError.error == QJsonParseError::NoError && document.isObject(),
                 line.constData());
        const QJsonObject object = document.object();
        const QString event = object[u"event"_s].toString();
        QVERIFY2(!event.isEmpty(), line.constData());
        QVERIFY2(QDateTime::fromString(object[u"time"_s].toString(), Qt::ISODateWithMs).isValid(),
                 line.constData());
        events[event] << object;
        order << event;
    }
    for (const char *event : {"start", "error", "node", "updates", "work", "proof", "answer",
                              "hashrate", "stop"})
        QVERIFY2(events.contains(QLatin1StringView(event)), event);
    QCOMPARE(order.first(), u"start"_s);
    QCOMPARE(order.last(), u"stop"_s);

    const QJsonObject started = events[u"start"_s].first();
    QCOMPARE(started[u"url"_s].toString(), down);
    QCOMPARE(started[u"failover"_s].toArray().first().toString(),
             u"http://***@127.0.0.1:%1"_s.arg(port));
    QCOMPARE(started[u"id"_s].toString(), u"joy"_s);
    QCOMPARE(started[u"threads"_s].toInt(), 1);
    QVERIFY(events[u"error"_s].size() >= 3);
    QVERIFY(events[u"error"_s].first()[u"message"_s].toString().startsWith(
        u"GET /last_block: Connection refused; retrying in"_s));
    const QJsonObject node = events[u"node"_s].first();
    QCOMPARE(node[u"to"_s].toString(), u"http://***@127.0.0.1:%1"_s.arg(port));
    QVERIFY(node[u"reason"_s].toString().contains(u"stopped answering (3 failures in a row)"_s));
    // Straight on to the new node: no retry of the old one's back-off in between (only
    // the new node's push mode, learned from its first answer, may come first).
    qsizetype next = order.indexOf(u"node"_s) + 1;
    if (order.value(next) == u"updates"_s)
        ++next;
    QCOMPARE(order.value(next), u"work"_s);
    // This node, our server, pushes new blocks.
    QCOMPARE(events[u"updates"_s].last()[u"mode"_s].toString(), u"push"_s);
    const QJsonObject work = events[u"work"_s].first();
    QCOMPARE(work[u"block"_s].toInt(), 2);
    QCOMPARE(work[u"difficulty"_s].toInt(), 4);
    QCOMPARE(work[u"last_hash"_s].toString().size(), 64);
    const QJsonObject proof = events[u"proof"_s].first();
    QCOMPARE(proof[u"block"_s].toInt(), 2);
    QVERIFY(proof[u"attempts"_s].toDouble() > 0);
    QVERIFY(proof[u"proof"_s].isDouble() || proof[u"proof"_s].isString());
    const QJsonObject answer = events[u"answer"_s].first();
    QCOMPARE(answer[u"result"_s].toString(), u"accepted"_s);
    QCOMPARE(answer[u"status"_s].toInt(), 200);
    QCOMPARE(answer[u"message"_s].toString(), u"New Block Forged"_s);
    QCOMPARE(answer[u"coins"_s].toInt(), 1);
    QCOMPARE(answer[u"retry_in_ms"_s].toInt(), 0);
    const QJsonObject rate = events[u"hashrate"_s].first();
    QVERIFY(rate[u"rate_10s"_s].toDouble() > 0);
    QCOMPARE(rate[u"threads"_s].toInt(), 1);
    const QJsonObject stop = events[u"stop"_s].first();
    QCOMPARE(stop[u"accepted"_s].toInt(), static_cast<int>(server.chain().length() - 1));
    QCOMPARE(stop[u"coins"_s].toInt(), stop[u"accepted"_s].toInt());
    QCOMPARE(stop[u"accepted"_s].toInt(),
             static_cast<int>(std::count_if(events[u"answer"_s].cbegin(),
                                            events[u"answer"_s].cend(), [](const QJsonObject &a) {
                                                return a[u"result"_s] == u"accepted"_s;
                                            })));
}

QTEST_GUILESS_MAIN(TestRunMiner)
#include "tst_runminer.moc"
