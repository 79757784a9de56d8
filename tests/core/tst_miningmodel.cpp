#include <memory>

#include <QElapsedTimer>
#include <QFile>
#include <QLoggingCategory>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include "core/chain.h"
#include "core/chainserver.h"
#include "core/miningmodel.h"
#include "core/nodelist.h"
#include "core/miningtext.h"
#include "scriptedserver.h"

using namespace Qt::StringLiterals;
using State = MiningSnapshot::State;

namespace
{
constexpr int WaitMs = 30000;
constexpr int Unfindable = 30;

QStringList texts(const QSignalSpy &logged)
{
    QStringList list;
    for (const QList<QVariant> &args : logged)
        list << args.at(0).value<LogEntry>().text;
    return list;
}

bool anyContains(const QStringList &lines, const QString &part)
{
    return std::any_of(lines.cbegin(), lines.cend(),
                       [&part](const QString &line) { return line.contains(part); });
}
}

// The mining model without any widget: real miner, real servers, real threads. What
// the window and the terminal show comes from here.
class TestMiningModel final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void startsStoppedAndIdle();
    void startRefusesBadSetups_data();
    void startRefusesBadSetups();
    void savesTheIdBeforeMining();
    void minesOnLocalServerAndKeepsTotals();
    void localServerOnMovesTheMinerOntoIt();
    void localServerOffStopsTheMiner();
    void failedPollShowsRetryingAndTheClockRuns();
    void stopCountsTheBlockOnItsWay();
    void logsOneLinePerEvent();
    void serverTextAndCredentialsNeverShowRaw();
    void failsOverAndReturnsToTheFirstNode();
    void nodeListIsChecked();
    void changedIsThrottled();
    void snapshotSaysHowNewBlocksArrive();

private:
    MiningModel::MinerSetup setup(const QUrl &url, const QString &id = u"alice"_s) const;
    MiningModel::LocalServerSetup serverSetup(int difficulty) const;

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestMiningModel::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    // The model's log is what this test reads; the diagnostics would only be noise.
    QLoggingCategory::setFilterRules(u"blockforge.*.debug=false\nblockforge.*.info=false"_s);
    qRegisterMetaType<LogEntry>();
}

void TestMiningModel::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestMiningModel::cleanup()
{
    m_dir.reset();
}

MiningModel::MinerSetup TestMiningModel::setup(const QUrl &url, const QString &id) const
{
    MiningModel::MinerSetup setup;
    setup.nodeUrl = url.toString();
    setup.id = id;
    setup.threads = 2;
    setup.tuning.pollIntervalMs = 50;
    setup.tuning.firstBackoffMs = 20;
    setup.tuning.maxBackoffMs = 100;
    return setup;
}

MiningModel::LocalServerSetup TestMiningModel::serverSetup(int difficulty) const
{
    MiningModel::LocalServerSetup setup;
    setup.databasePath = m_dir->filePath(u"data/chain.db"_s);
    setup.difficulty = difficulty;
    return setup;
}

void TestMiningModel::startsStoppedAndIdle()
{
    MiningModel model;
    const MiningSnapshot s = model.snapshot();
    QCOMPARE(s.state, State::Stopped);
    QVERIFY(!s.isMining());
    QCOMPARE(s.coins, 0);
    QCOMPARE(s.accepted + s.stale + s.rejected, 0);
    QCOMPARE(s.hashRate, 0.0);
    QVERIFY(!s.hashRate10s);
    QCOMPARE(s.searchMs, 0);
    QVERIFY(!s.lastBlock);
    QVERIFY(!s.localServer);
    QCOMPARE(s.threads, std::max(1, QThread::idealThreadCount()));
    QCOMPARE(s.priority, u"low"_s);
    QCOMPARE(model.miner().search().workerCount(), 0);   // no thread before mining
}

void TestMiningModel::startRefusesBadSetups_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("id");
    QTest::addColumn<QString>("idFile");
    QTest::addColumn<QString>("engine");
    QTest::addColumn<QString>("expected");
    QTest::newRow("ftp") << u"ftp://example.com"_s << u"a"_s << QString() << QString()
                         << u"Node URL: 'ftp://example.com' is not an http:// or https:// URL"_s;
    QTest::newRow("no url") << QString() << u"a"_s << QString() << QString()
                            << u"Node URL: no URL given"_s;
    QTest::newRow("no id") << u"http://127.0.0.1:1"_s << u"  "_s << QString() << QString()
                           << u"No miner id"_s;
    QTest::newRow("no id, id file") << u"http://127.0.0.1:1"_s << QString() << u"id.txt"_s
                                    << QString() << u"No miner id"_s;
    QTest::newRow("unwritable id file")
        << u"http://127.0.0.1:1"_s << u"a"_s << u"no/such/dir/id.txt"_s << QString()
        << u"Cannot save the miner id"_s;
    QTest::newRow("engine") << u"http://127.0.0.1:1"_s << u"a"_s << QString() << u"quantum"_s
                            << u"The engine 'quantum' is not available on this CPU"_s;
}

void TestMiningModel::startRefusesBadSetups()
{
    QFETCH(QString, url);
    QFETCH(QString, id);
    QFETCH(QString, idFile);
    QFETCH(QString, engine);
    QFETCH(QString, expected);
    MiningModel model;
    MiningModel::MinerSetup chosen = setup(QUrl(url), id);
    chosen.nodeUrl = url;
    chosen.idFile = idFile.isEmpty() ? QString() : m_dir->filePath(idFile);
    chosen.engine = engine;
    const Result<void> started = model.startMining(chosen);
    QVERIFY(!started);
    QVERIFY2(started.errorMessage().startsWith(expected), qPrintable(started.errorMessage()));
    QVERIFY(!model.isMining());
    QCOMPARE(model.snapshot().state, State::Stopped);
}

void TestMiningModel::savesTheIdBeforeMining()
{
    ScriptedServer server;
    QVERIFY(server.start());
    server.defaults["/last_block"] = lastBlockAnswer(Chain::genesis(1732435300.0), Unfindable);
    MiningModel model;
    QSignalSpy logged(&model, &MiningModel::logged);
    MiningModel::MinerSetup chosen = setup(server.url(), u" carol "_s);
    chosen.idFile = m_dir->filePath(u"my_id.txt"_s);
    QVERIFY(model.startMining(chosen));
    QFile idFile(chosen.idFile);
    QVERIFY(idFile.open(QIODevice::ReadOnly));
    QCOMPARE(idFile.readAll(), "carol\n"_ba);
    QVERIFY(anyContains(texts(logged), u"Saved the miner id \"carol\" to "_s));
    QCOMPARE(model.snapshot().minerId, u"carol"_s);
    model.stopMining();
}

void TestMiningModel::minesOnLocalServerAndKeepsTotals()
{
    MiningModel model(ProofSearch::Priority::Normal);
    QVERIFY(model.startLocalServer(serverSetup(2)));
    MiningSnapshot s = model.snapshot();
    QVERIFY(s.localServer);
    QVERIFY(s.localServerUrl.toString().startsWith(u"http://127.0.0.1:"_s));
    QCOMPARE(s.localServerBlocks, 1);
    QCOMPARE(s.localServerDifficulty, 2);
    QVERIFY(s.lastBlock);
    QCOMPARE(s.lastBlock->index(), 1);   // genesis

    QSignalSpy stopped(&model, &MiningModel::miningStopped);
    // The node URL is not used while the local server runs.
    QVERIFY(model.startMining(setup(QUrl(u"http://unused.invalid"_s), u"carol"_s)));
    QVERIFY(model.isMining());
    QCOMPARE(model.snapshot().serverUrl, model.localServerUrl());
    QTRY_VERIFY_WITH_TIMEOUT(model.snapshot().accepted >= 3, WaitMs);
    s = model.snapshot();
    QVERIFY(s.isMining());
    QCOMPARE(s.coins, s.accepted);
    QCOMPARE(s.rejected, 0);
    QVERIFY(s.lastBlock && s.lastBlock->index() >= 3);
    QVERIFY(s.lastProof);
    QTRY_VERIFY_WITH_TIMEOUT(model.snapshot().hashRate > 0, WaitMs);
    QVERIFY(model.snapshot().hashRate10s.value_or(0) > 0);

    model.stopMining();
    QVERIFY(!model.isMining());
    QTRY_COMPARE_WITH_TIMEOUT(stopped.size(), 1, WaitMs);
    s = model.snapshot();
    QCOMPARE(s.state, State::Stopped);
    QCOMPARE(s.hashRate, 0.0);
    QVERIFY(!s.hashRate10s);
    QVERIFY(s.attempts > 0);
    QVERIFY(s.miningMs > 0);
    QVERIFY(s.averageHashRate() > 0);
    // Every block the server forged is counted, none twice.
    QCOMPARE(s.localServerBlocks, 1 + s.accepted);
    const qint64 coins = s.coins;
    const std::uint64_t attempts = s.attempts;
    QTest::qWait(3 * MiningModel::UpdateIntervalMs);
    QCOMPARE(model.snapshot().coins, coins);
    QCOMPARE(model.snapshot().attempts, attempts);

    // Mining again adds to the same totals, on the same worker threads.
    const int workers = model.miner().search().workerCount();
    QVERIFY(model.startMining(setup(QUrl(), u"carol"_s)));
    QTRY_VERIFY_WITH_TIMEOUT(model.snapshot().coins > coins, WaitMs);
    model.stopMining();
    QTRY_COMPARE_WITH_TIMEOUT(stopped.size(), 2, WaitMs);
    QCOMPARE(model.miner().search().workerCount(), workers);
    s = model.snapshot();
    QVERIFY(s.attempts > attempts);
    QCOMPARE(s.localServerBlocks, 1 + s.accepted);
}

void TestMiningModel::localServerOnMovesTheMinerOntoIt()
{
    // Mining on a server that is down, then the local server comes up: the miner moves
    // onto it and earns there.
    MiningModel model(ProofSearch::Priority::Normal);
    QSignalSpy logged(&model, &MiningModel::logged);
    QVERIFY(model.startMining(setup(QUrl(u"http://127.0.0.1:%1"_s.arg(closedPort())), u"ivan"_s)));
    QTRY_COMPARE_WITH_TIMEOUT(model.snapshot().state, State::Retrying, WaitMs);
    QVERIFY(model.snapshot().serverUnreachable);
    QVERIFY(MiningText::activity(model.snapshot()).startsWith(u"waiting to retry: "_s));

    QVERIFY(model.startLocalServer(serverSetup(2)));
    QVERIFY(model.isMining());
    QCOMPARE(model.snapshot().serverUrl, model.localServerUrl());
    QTRY_VERIFY_WITH_TIMEOUT(model.snapshot().coins >= 1, WaitMs);
    QVERIFY(anyContains(texts(logged), u"Mining moves to the local chain server at "_s));
    model.stopMining();
}

void TestMiningModel::snapshotSaysHowNewBlocksArrive()
{
    for (const bool allowed : {true, false}) {
        MiningModel model(ProofSearch::Priority::Normal);
        model.setPushAllowed(allowed);
        QSignalSpy logged(&model, &MiningModel::logged);
        QCOMPARE(model.snapshot().updates, MiningSnapshot::Updates::Unknown);
        QVERIFY(model.startLocalServer(serverSetup(9)));   // no block in this test
        QVERIFY(model.startMining(setup(QUrl(), u"kim"_s)));
        const auto expected = allowed ? MiningSnapshot::Updates::Push
                                      : MiningSnapshot::Updates::Polling;
        QTRY_COMPARE_WITH_TIMEOUT(model.snapshot().updates, expected, WaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(anyContains(texts(logged), allowed
                                     ? u"New blocks: pushed by the server (long poll, up to 30 s"
                                       " a wait)"_s
                                     : u"New blocks: polling every 0.05 s (push turned off)"_s),
                                 WaitMs);
        QCOMPARE(model.snapshot().longPollMs, 30'000);
        QCOMPARE(MiningText::updates(model.snapshot()),
                 allowed ? u"push (long poll)"_s : u"polling every 0.05 s"_s);
        model.stopMining();
        QTRY_VERIFY_WITH_TIMEOUT(!model.isMining(), WaitMs);
        model.stopLocalServer();
    }
}

void TestMiningModel::localServerOffStopsTheMiner()
{
    MiningModel model(ProofSearch::Priority::Normal);
    QSignalSpy logged(&model, &MiningModel::logged);
    QSignalSpy stopped(&model, &MiningModel::miningStopped);
    QVERIFY(model.startLocalServer(serverSetup(3)));
    QVERIFY(model.startMining(setup(QUrl(), u"judy"_s)));
    QTRY_VERIFY_WITH_TIMEOUT(model.snapshot().accepted >= 1, WaitMs);
    model.stopLocalServer();
    QVERIFY(!model.isLocalServerRunning());
    QVERIFY(!model.isMining());   // rather than sent to another server unasked
    QTRY_COMPARE_WITH_TIMEOUT(stopped.size(), 1, WaitMs);
    QVERIFY(!model.snapshot().localServer);
    QVERIFY(anyContains(texts(logged), u"Local chain server stopped, and mining with it"_s));

    // Stopping it while the miner is on another server leaves the miner alone.
    ScriptedServer remote;
    QVERIFY(remote.start());
    remote.defaults["/last_block"] = lastBlockAnswer(Chain::genesis(1732435301.0), Unfindable);
    QVERIFY(model.startMining(setup(remote.url(), u"judy"_s)));
    QVERIFY(model.startLocalServer(serverSetup(3)));   // moves the miner onto it
    QTRY_COMPARE_WITH_TIMEOUT(model.snapshot().serverUrl, model.localServerUrl(), WaitMs);
    model.stopLocalServer();
    QVERIFY(!model.isMining());
}

void TestMiningModel::failedPollShowsRetryingAndTheClockRuns()
{
    ScriptedServer server;
    QVERIFY(server.start());
    const quint16 port = server.serverPort();
    server.defaults["/last_block"] = lastBlockAnswer(Chain::genesis(1732435302.0), Unfindable);
    MiningModel model;
    QSignalSpy logged(&model, &MiningModel::logged);
    QVERIFY(model.startMining(setup(server.url(), u"kate"_s)));
    QTRY_COMPARE_WITH_TIMEOUT(model.snapshot().state, State::Searching, WaitMs);
    QCOMPARE(MiningText::activity(model.snapshot()), u"searching"_s);

    server.close();   // polls fail from now on
    QTRY_VERIFY_WITH_TIMEOUT(!model.snapshot().problem.isEmpty(), WaitMs);
    MiningSnapshot s = model.snapshot();
    QCOMPARE(s.state, State::Searching);   // the workers search on
    QVERIFY(s.serverUnreachable);
    QCOMPARE(MiningText::activity(s), u"searching (server unreachable: retrying)"_s);
    // The search's clock and attempts keep going while the server is away.
    const std::int64_t searchMs = s.searchMs;
    const std::uint64_t attempts = s.searchAttempts;
    QTRY_VERIFY_WITH_TIMEOUT(model.snapshot().searchMs >= searchMs + 300, WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(model.snapshot().searchAttempts > attempts, WaitMs);
    QCOMPARE(model.snapshot().state, State::Searching);

    QVERIFY(server.listen(QHostAddress::LocalHost, port));
    QTRY_VERIFY_WITH_TIMEOUT(model.snapshot().problem.isEmpty(), WaitMs);
    QCOMPARE(MiningText::activity(model.snapshot()), u"searching"_s);
    QTRY_VERIFY_WITH_TIMEOUT(anyContains(texts(logged), server.url().toString()
                                                              + u" answers again"_s), WaitMs);
    QVERIFY(model.snapshot().searchMs >= searchMs + 300);   // the same search, still timed
    model.stopMining();
}

void TestMiningModel::stopCountsTheBlockOnItsWay()
{
    // A server that forges the block but answers slowly: Stop while the proof is on
    // its way still counts the block, as the server does.
    ScriptedServer server;
    QVERIFY(server.start());
    server.defaults["/last_block"] = lastBlockAnswer(Chain::genesis(1732435303.0), 2);
    CannedAnswer slowWin = jsonAnswer(200, R"({"message": "New Block Forged", "reward": 7})");
    slowWin.delayMs = 1000;
    server.defaults["/mine"] = slowWin;
    MiningModel model;
    QSignalSpy stopped(&model, &MiningModel::miningStopped);
    QSignalSpy logged(&model, &MiningModel::logged);
    QVERIFY(model.startMining(setup(server.url(), u"leo"_s)));
    QTRY_COMPARE_WITH_TIMEOUT(model.snapshot().state, State::Submitting, WaitMs);
    model.stopMining();
    QVERIFY(!model.isMining());
    MiningSnapshot s = model.snapshot();
    QCOMPARE(s.state, State::Stopping);
    QCOMPARE(MiningText::activity(s), u"stopping: waiting for the answer to the proof just sent"_s);
    QCOMPARE(s.accepted, 0);

    QVERIFY(stopped.wait(WaitMs));
    s = model.snapshot();
    QCOMPARE(s.state, State::Stopped);
    QCOMPARE(s.accepted, 1);
    QCOMPARE(s.coins, 7);
    QCOMPARE(server.count("/mine"), 1);
    // The summary, logged last, counts it.
    QVERIFY2(texts(logged).last().startsWith(u"Stopped. Blocks: 1 accepted, 0 stale, 0 rejected. "
                                             "Coins: 7. Average "_s),
             qPrintable(texts(logged).last()));
}

void TestMiningModel::logsOneLinePerEvent()
{
    ScriptedServer server;
    QVERIFY(server.start());
    const Block genesis = Chain::genesis(1732435304.0);
    server.defaults["/last_block"] = lastBlockAnswer(genesis, 2);
    server.queued["/mine"] << jsonAnswer(502, "<html>Bad Gateway</html>");
    server.defaults["/mine"] = jsonAnswer(200, R"({"message": "New Block Forged"})");
    MiningModel model;
    QSignalSpy logged(&model, &MiningModel::logged);
    QVERIFY(model.startMining(setup(server.url(), u"mia"_s)));
    QTRY_VERIFY_WITH_TIMEOUT(model.snapshot().accepted >= 1, WaitMs);
    model.stopMining();
    QTRY_VERIFY_WITH_TIMEOUT(model.snapshot().state == State::Stopped, WaitMs);

    QList<LogEntry> entries;
    for (const QList<QVariant> &args : logged)
        entries << args.at(0).value<LogEntry>();
    QCOMPARE(entries.first().kind, LogEntry::Kind::Info);
    QVERIFY2(entries.first().text.startsWith(u"Mining on %1 as \"mia\": engine "_s.arg(
                 server.url().toString())), qPrintable(entries.first().text));
    QVERIFY(entries.first().text.endsWith(u", 2 threads, priority low"_s));
    // The failed POST is one line, with what the miner does about it.
    const auto failed = std::find_if(entries.cbegin(), entries.cend(), [](const LogEntry &e) {
        return e.text.contains(u"Bad Gateway"_s);
    });
    QVERIFY(failed != entries.cend());
    QCOMPARE(failed->kind, LogEntry::Kind::Error);
    QCOMPARE(failed->blockIndex, 2);
    QVERIFY2(failed->text.startsWith(u"Block 2: HTTP 502, answer is not JSON: <html>Bad Gateway</html> (error; "
                                     "retrying in 0.02 s)"_s), qPrintable(failed->text));
    QCOMPARE(std::count_if(entries.cbegin(), entries.cend(),
                           [](const LogEntry &e) { return e.text.contains(u"Bad Gateway"_s); }),
             1);
    const auto won = std::find_if(entries.cbegin(), entries.cend(), [](const LogEntry &e) {
        return e.kind == LogEntry::Kind::Accepted;
    });
    QVERIFY(won != entries.cend());
    QCOMPARE(won->text, u"Block 2: HTTP 200: New Block Forged (accepted; coins 1)"_s);
    QVERIFY(std::any_of(entries.cbegin(), entries.cend(), [](const LogEntry &e) {
        return e.kind == LogEntry::Kind::Work
            && e.text.startsWith(u"Mining block 2 (difficulty 2, last block 1 "_s);
    }));
    QVERIFY(std::any_of(entries.cbegin(), entries.cend(), [](const LogEntry &e) {
        return e.kind == LogEntry::Kind::Proof && e.text.startsWith(u"Proof "_s);
    }));
    QCOMPARE(entries.last().kind, LogEntry::Kind::Info);
    QVERIFY(entries.last().text.startsWith(u"Stopped. Blocks: "_s));
    for (const LogEntry &entry : std::as_const(entries))
        QVERIFY(entry.time.isValid());
}

void TestMiningModel::serverTextAndCredentialsNeverShowRaw()
{
    ScriptedServer server;
    QVERIFY(server.start());
    const Block genesis = Chain::genesis(1732435304.0);
    server.defaults["/last_block"] = lastBlockAnswer(genesis, 2);
    // A one-byte CSI (C1), a bidi override, a zero-width space and an ESC sequence.
    server.queued["/mine"] << jsonAnswer(
        400, "{\"message\": \"no\u009b31m red\u202egnp.exe\u200b \\u001b[2J\"}");
    server.defaults["/mine"] = jsonAnswer(200, R"({"message": "New Block Forged"})");
    QUrl url = server.url();
    url.setUserName(u"alice"_s);
    url.setPassword(u"s3cret"_s);
    MiningModel model;
    QSignalSpy logged(&model, &MiningModel::logged);
    QVERIFY(model.startMining(setup(url, u"mia\u202e"_s)));
    QTRY_VERIFY_WITH_TIMEOUT(model.snapshot().accepted >= 1, WaitMs);
    QVERIFY(!model.snapshot().serverUrl.toString().contains(u"s3cret"_s));
    model.stopMining();
    QTRY_VERIFY_WITH_TIMEOUT(model.snapshot().state == State::Stopped, WaitMs);

    const QStringList lines = texts(logged);
    QVERIFY2(lines.first().startsWith(u"Mining on http://***@127.0.0.1:%1 as \"mia\\u202e\""_s
                                          .arg(server.url().port())), qPrintable(lines.first()));
    QVERIFY2(anyContains(lines, u"Block 2: HTTP 400: no\\x9b31m red\\u202egnp.exe\\u200b"_s),
             qPrintable(lines.join(u'\n')));
    for (const QString &line : lines) {
        QVERIFY2(!line.contains(u"s3cret"_s), qPrintable(line));
        for (const QChar c : line) {
            const bool raw = c.unicode() < 0x20 || (c.unicode() >= 0x7f && c.unicode() <= 0x9f)
                || c.category() == QChar::Other_Format;
            QVERIFY2(!raw, qPrintable(line));
        }
    }
}

void TestMiningModel::failsOverAndReturnsToTheFirstNode()
{
    // Two real chain servers: A preferred, B the failover.
    const auto startServer = [this](const QString &name, quint16 port) {
        ChainServer::Config config;
        config.databasePath = m_dir->filePath(name);
        config.difficulty = 2;
        auto server = std::make_unique<ChainServer>(config);
        if (!server->open() || server->listen(QHostAddress::LocalHost, port) == 0)
            server.reset();
        return server;
    };
    std::unique_ptr<ChainServer> a = startServer(u"a.db"_s, 0);
    std::unique_ptr<ChainServer> b = startServer(u"b.db"_s, 0);
    QVERIFY(a && b);
    const quint16 portA = a->port();
    const QString urlA = u"http://127.0.0.1:%1"_s.arg(portA);
    const QString urlB = u"http://127.0.0.1:%1"_s.arg(b->port());

    MiningModel model;
    QSignalSpy logged(&model, &MiningModel::logged);
    QSignalSpy switched(&model, &MiningModel::nodeSwitched);
    MiningModel::MinerSetup s = setup(QUrl(), u"ivy"_s);
    s.nodeUrl = urlA + u", "_s + urlB;
    s.failover.failuresToSwitch = 2;
    s.failover.probeIntervalMs = 100;
    QVERIFY(model.startMining(s));
    QCOMPARE(model.nodes().nodes().size(), 2);
    QTRY_VERIFY_WITH_TIMEOUT(a->chain().length() >= 3, WaitMs);
    QCOMPARE(b->chain().length(), 1);

    // A stops: the miner moves to B and mines there.
    a.reset();
    QTRY_COMPARE_WITH_TIMEOUT(switched.size(), 1, WaitMs);
    QCOMPARE(switched[0][1].toUrl(), QUrl(urlB));
    QCOMPARE(model.snapshot().serverUrl, QUrl(urlB));
    QTRY_VERIFY_WITH_TIMEOUT(b->chain().length() >= 3, WaitMs);

    // A is back on its port: the probe finds it and the miner returns.
    a = startServer(u"a.db"_s, portA);
    QVERIFY(a);
    const qsizetype lengthA = a->chain().length();
    QTRY_COMPARE_WITH_TIMEOUT(switched.size(), 2, WaitMs);
    QCOMPARE(switched[1][1].toUrl(), QUrl(urlA));
    QTRY_VERIFY_WITH_TIMEOUT(a->chain().length() >= lengthA + 2, WaitMs);
    QCOMPARE(model.snapshot().serverUrl, QUrl(urlA));
    model.stopMining();
    QTRY_VERIFY_WITH_TIMEOUT(model.snapshot().state == State::Stopped, WaitMs);

    const QStringList lines = texts(logged);
    QVERIFY(anyContains(lines, u"Failover nodes, in order: %1"_s.arg(urlB)));
    QVERIFY2(anyContains(lines, u"%1 stopped answering (2 failures in a row): mining on %2 now"_s
                                    .arg(urlA, urlB)), qPrintable(lines.join(u'\n')));
    QVERIFY(anyContains(lines, u"%1 answers again: mining on %1 now"_s.arg(urlA)));
}

void TestMiningModel::nodeListIsChecked()
{
    MiningModel model;
    MiningModel::MinerSetup s = setup(QUrl(), u"ivy"_s);
    s.nodeUrl = u"http://127.0.0.1:1 http://127.0.0.1:99999"_s;
    const Result<void> started = model.startMining(s);
    QVERIFY(!started);
    QVERIFY2(started.errorMessage().startsWith(u"Node URL: 'http://127.0.0.1:99999' is not"_s),
             qPrintable(started.errorMessage()));
    QVERIFY(!model.isMining());
}

void TestMiningModel::changedIsThrottled()
{
    // A chain forging hundreds of blocks a second: the views hear of it at most every
    // UpdateIntervalMs, however many events there are.
    MiningModel model(ProofSearch::Priority::Normal);
    QVERIFY(model.startLocalServer(serverSetup(1)));
    QSignalSpy changed(&model, &MiningModel::changed);
    QSignalSpy logged(&model, &MiningModel::logged);
    QElapsedTimer clock;
    clock.start();
    QVERIFY(model.startMining(setup(QUrl(), u"ned"_s)));
    // 50 blocks can take less than one interval (the miner follows pushed blocks over
    // its own HTTP client): wait for the first throttled change too, not just the blocks.
    QTRY_VERIFY_WITH_TIMEOUT(model.snapshot().accepted >= 50 && !changed.isEmpty(), WaitMs);
    const qint64 elapsed = clock.elapsed();
    const qsizetype changes = changed.size();
    model.stopMining();
    // One at once, then at most one per interval (and the sampler's own ticks).
    QVERIFY2(changes <= 2 + elapsed / MiningModel::UpdateIntervalMs,
             qPrintable(u"%1 changes in %2 ms for %3 log entries"_s.arg(changes).arg(elapsed)
                            .arg(logged.size())));
    QVERIFY(logged.size() > 150);   // each block: work, proof and answer
    QVERIFY(changes >= 1);
}

QTEST_GUILESS_MAIN(TestMiningModel)
#include "tst_miningmodel.moc"
