// Our Miner on our ChainServer's push channel (GET /last_block?wait=HASH), both real,
// over real sockets: new blocks arrive without a poll, and the miner falls back to the
// poll and recovers when the server goes away, refuses or offers nothing.
#include <memory>

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "core/chainserver.h"
#include "core/engines/engines.h"
#include "core/miner.h"
#include "core/pow.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

namespace
{
constexpr int WaitMs = 30'000;
constexpr int NoPollMs = 3'600'000;   // a poll interval no test outlasts: only push helps
constexpr int Unfindable = 30;         // a difficulty no search here meets
}

class TestMinerPush final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void newBlockArrivesByPush();
    void waitIsRenewedAfterItsTimeout();
    void serverWithoutPushIsPolled();
    void pushCanBeTurnedOff();
    void serverRestartFallsBackAndRecovers();
    void refusedWaitFallsBackForAWhile();

private:
    ChainServer *startServer(int difficulty, ChainServer::Config config = {}, quint16 port = 0);
    Miner::Config config(int threads) const;
    bool forgeBlock();   // the next block, forged by someone else

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ChainServer> m_server;
    quint16 m_port = 0;
};

void TestMinerPush::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestMinerPush::cleanup()
{
    m_server.reset();
    m_dir.reset();
}

ChainServer *TestMinerPush::startServer(int difficulty, ChainServer::Config config, quint16 port)
{
    config.databasePath = m_dir->filePath(u"chain.db"_s);
    config.difficulty = difficulty;
    m_server = std::make_unique<ChainServer>(config);
    if (const Result<void> opened = m_server->open(); !opened) {
        qWarning("open: %s", qPrintable(opened.errorMessage()));
        return nullptr;
    }
    m_port = m_server->listen(QHostAddress::LocalHost, port);
    if (m_port == 0) {
        qWarning("listen: %s", qPrintable(m_server->errorString()));
        return nullptr;
    }
    return m_server.get();
}

Miner::Config TestMinerPush::config(int threads) const
{
    Miner::Config config;
    config.serverUrl = QUrl(u"http://127.0.0.1:%1"_s.arg(m_port));
    config.id = u"pusher"_s;
    config.threads = threads;
    config.pollIntervalMs = 50;
    config.requestTimeoutMs = 5000;
    config.firstBackoffMs = 50;
    config.maxBackoffMs = 200;
    return config;
}

bool TestMinerPush::forgeBlock()
{
    const qint64 length = m_server->chain().length();
    const auto proof = Pow::search(m_server->chain().lastBlockString(),
                                   m_server->chain().difficulty(), 0, 1ULL << 40);
    if (!proof)
        return false;
    const HttpAnswer answer = m_server->submitProof(
        CanonicalJson::dump(Json{{"proof", *proof}, {"id", "someone else"}}));
    return answer.status == 200 && m_server->chain().length() == length + 1;
}

void TestMinerPush::newBlockArrivesByPush()
{
    QVERIFY(startServer(6));
    Miner miner;
    Miner::Config c = config(1);
    c.pollIntervalMs = NoPollMs;
    c.engine = Engines::find(u"openssl"_s);   // the slowest: others forge first
    QSignalSpy abandoned(&miner, &Miner::searchAbandoned);
    QVERIFY(miner.start(c));
    QTRY_COMPARE_WITH_TIMEOUT(miner.updates(), Miner::Updates::Push, WaitMs);
    // Someone else forges the block the miner works on (the miner may win some first):
    // the miner drops that work at once, though it never polls.
    for (int round = 0; round < 40 && abandoned.isEmpty(); ++round) {
        QTRY_VERIFY_WITH_TIMEOUT(miner.state() == Miner::State::Searching
                                     && miner.blockIndex() == m_server->chain().length() + 1
                                     && m_server->waiterCount() == 1,
                                 WaitMs);
        const qint64 working = miner.blockIndex();
        QVERIFY(forgeBlock());
        QTRY_VERIFY_WITH_TIMEOUT(!abandoned.isEmpty() || miner.blockIndex() > working, WaitMs);
    }
    QVERIFY(!abandoned.isEmpty());
    const qint64 dropped = abandoned.front().at(0).toLongLong();
    QCOMPARE(abandoned.front().at(1).toLongLong(), dropped);   // the new tip is that block
    QTRY_COMPARE_WITH_TIMEOUT(miner.blockIndex(), m_server->chain().length() + 1, WaitMs);
    QCOMPARE(miner.updates(), Miner::Updates::Push);
    miner.stop();
    QTRY_COMPARE_WITH_TIMEOUT(m_server->waiterCount(), 0, WaitMs);
}

void TestMinerPush::waitIsRenewedAfterItsTimeout()
{
    ChainServer::Config server;
    server.longPollTimeoutMs = 300;
    QVERIFY(startServer(Unfindable, server));
    int waits = 0;
    connect(m_server.get(), &ChainServer::requestServed, this,
            [&waits](const QString &, const QString &path, int status, double) {
                waits += path == u"/last_block"_s && status == 200;
            });
    Miner miner;
    Miner::Config c = config(1);
    c.pollIntervalMs = NoPollMs;
    QVERIFY(miner.start(c));
    QTRY_COMPARE_WITH_TIMEOUT(miner.updates(), Miner::Updates::Push, WaitMs);
    QCOMPARE(miner.longPollMs(), 300);
    QTRY_VERIFY_WITH_TIMEOUT(waits >= 4, WaitMs);   // the fetch, then waits that timed out
    QCOMPARE(miner.updates(), Miner::Updates::Push);
    QCOMPARE(miner.state(), Miner::State::Searching);
    QTRY_COMPARE_WITH_TIMEOUT(m_server->waiterCount(), 1, WaitMs);
    QVERIFY(miner.problem().isEmpty());
}

void TestMinerPush::serverWithoutPushIsPolled()
{
    ChainServer::Config server;
    server.longPollTimeoutMs = 0;   // answers as a classic server: no header
    QVERIFY(startServer(3, server));
    Miner miner;
    QSignalSpy updates(&miner, &Miner::updatesChanged);
    QSignalSpy answered(&miner, &Miner::answered);
    QVERIFY(miner.start(config(1)));
    QTRY_VERIFY_WITH_TIMEOUT(answered.size() >= 3, WaitMs);
    QCOMPARE(miner.updates(), Miner::Updates::Polling);
    QCOMPARE(updates.size(), 1);
    QCOMPARE(m_server->waiterCount(), 0);
}

void TestMinerPush::pushCanBeTurnedOff()
{
    QVERIFY(startServer(Unfindable));
    int waits = 0;
    connect(m_server.get(), &ChainServer::requestServed, this,
            [&waits](const QString &, const QString &, int, double) { ++waits; });
    Miner miner;
    Miner::Config c = config(1);
    c.push = false;
    QVERIFY(miner.start(c));
    QTRY_VERIFY_WITH_TIMEOUT(waits >= 5, WaitMs);   // polls every 50 ms
    QCOMPARE(miner.updates(), Miner::Updates::Polling);
    QCOMPARE(miner.longPollMs(), 30'000);   // offered, not taken
    QCOMPARE(m_server->waiterCount(), 0);
}

void TestMinerPush::serverRestartFallsBackAndRecovers()
{
    QVERIFY(startServer(Unfindable));
    const quint16 port = m_port;
    Miner miner;
    Miner::Config c = config(1);
    c.pollIntervalMs = 100;
    QSignalSpy problems(&miner, &Miner::problemOccurred);
    QVERIFY(miner.start(c));
    QTRY_VERIFY_WITH_TIMEOUT(miner.updates() == Miner::Updates::Push
                                 && m_server->waiterCount() == 1, WaitMs);

    m_server->close();   // the waiting connection is dropped, new ones refused
    QTRY_COMPARE_WITH_TIMEOUT(miner.updates(), Miner::Updates::Polling, WaitMs);
    QVERIFY(!problems.isEmpty());
    QVERIFY2(problems.front().at(0).toString().startsWith(u"GET /last_block?wait: "_s),
             qPrintable(problems.front().at(0).toString()));
    QTRY_VERIFY_WITH_TIMEOUT(problems.size() >= 2, WaitMs);   // the polls fail too
    QCOMPARE(miner.state(), Miner::State::Searching);        // on the work it has

    const Result<void> opened = m_server->open();
    QVERIFY2(opened, qPrintable(opened.errorMessage()));
    QCOMPARE(m_server->listen(QHostAddress::LocalHost, port), port);
    QTRY_VERIFY_WITH_TIMEOUT(miner.updates() == Miner::Updates::Push
                                 && m_server->waiterCount() == 1, WaitMs);
    QVERIFY(miner.problem().isEmpty());
}

void TestMinerPush::refusedWaitFallsBackForAWhile()
{
    ChainServer::Config server;
    server.maxWaiters = 0;   // every wait gets a 503
    QVERIFY(startServer(5, server));
    int refused = 0;
    connect(m_server.get(), &ChainServer::requestServed, this,
            [&refused](const QString &, const QString &, int status, double) {
                refused += status == 503;
            });
    Miner miner;
    Miner::Config c = config(1);
    c.pushRetryMs = 200;
    QSignalSpy answered(&miner, &Miner::answered);
    QVERIFY(miner.start(c));
    // It still mines, polling, and tries push again now and then.
    QTRY_VERIFY_WITH_TIMEOUT(answered.size() >= 5 && refused >= 2, WaitMs);
    int accepted = 0;
    for (const QList<QVariant> &answer : answered)
        accepted += answer.at(1).value<MinerProtocol::MineAnswer>().kind
            == MinerProtocol::ReplyKind::Accepted;
    QVERIFY(accepted >= 1);
    QCOMPARE(m_server->waiterCount(), 0);
}

QTEST_GUILESS_MAIN(TestMinerPush)
#include "tst_minerpush.moc"
