#include <memory>

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "core/chainserver.h"
#include "core/miner.h"
#include "core/pow.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr int WaitMs = 30000;

// What a miner's answers add up to, as a model would count them.
struct Tally
{
    explicit Tally(Miner &miner)
    {
        QObject::connect(&miner, &Miner::answered, &miner,
                         [this](qint64, const MinerProtocol::MineAnswer &answer, int) {
                             accepted += answer.kind == MinerProtocol::ReplyKind::Accepted;
                             stale += answer.kind == MinerProtocol::ReplyKind::Stale;
                             other += answer.kind != MinerProtocol::ReplyKind::Accepted
                                 && answer.kind != MinerProtocol::ReplyKind::Stale;
                             coins += answer.reward;
                         });
    }

    int accepted = 0;
    int stale = 0;
    int other = 0;
    qint64 coins = 0;
};
}

// Our Miner against our ChainServer, both real, over real sockets.
class TestMinerOnServer final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void coinsMatchServerRewards();
    void stopMidSearchCountsEveryBlock();
    void tipChangeMakesOtherMinerAbandon();

private:
    void startServer(int difficulty, std::int64_t reward);
    Miner::Config config(const QString &id, int threads) const;
    // Stops the miner and waits until no answer is awaited any more.
    static void stopAndWait(Miner &miner);
    // Coins the server's chain pays to id (reward transactions from "0").
    qint64 serverRewards(const QString &id) const;

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ChainServer> m_server;
    quint16 m_port = 0;
};

void TestMinerOnServer::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestMinerOnServer::cleanup()
{
    m_server.reset();
    m_dir.reset();
}

void TestMinerOnServer::startServer(int difficulty, std::int64_t reward)
{
    ChainServer::Config config;
    config.databasePath = m_dir->filePath(u"chain.db"_s);
    config.difficulty = difficulty;
    config.reward = reward;
    m_server = std::make_unique<ChainServer>(config);
    const Result<void> opened = m_server->open();
    QVERIFY2(opened, qPrintable(opened.errorMessage()));
    m_port = m_server->listen(QHostAddress::LocalHost, 0);
    QVERIFY2(m_port != 0, qPrintable(m_server->errorString()));
}

Miner::Config TestMinerOnServer::config(const QString &id, int threads) const
{
    Miner::Config config;
    config.serverUrl = QUrl(u"http://127.0.0.1:%1"_s.arg(m_port));
    config.id = id;
    config.threads = threads;
    config.pollIntervalMs = 50;
    config.requestTimeoutMs = 5000;
    config.firstBackoffMs = 50;
    config.maxBackoffMs = 200;
    return config;
}

void TestMinerOnServer::stopAndWait(Miner &miner)
{
    QSignalSpy stopped(&miner, &Miner::stopped);
    miner.stop();
    QTRY_COMPARE_WITH_TIMEOUT(stopped.size(), 1, WaitMs);
}

qint64 TestMinerOnServer::serverRewards(const QString &id) const
{
    qint64 coins = 0;
    for (const Block &block : m_server->chain().blocks()) {
        for (const auto &tx : block.transactions()) {
            if (tx["sender"] == "0" && tx["recipient"] == id.toStdString())
                coins += tx["amount"].get<qint64>();
        }
    }
    return coins;
}

void TestMinerOnServer::coinsMatchServerRewards()
{
    startServer(3, 2);
    // Normal priority: the test's own thread runs the server; nice 10 is for desktops.
    Miner miner(ProofSearch::Priority::Normal);
    Tally tally(miner);
    QSignalSpy forged(m_server.get(), &ChainServer::blockForged);
    QSignalSpy problems(&miner, &Miner::problemOccurred);
    QVERIFY(miner.start(config(u"alice"_s, 2)));
    QTRY_VERIFY_WITH_TIMEOUT(tally.accepted >= 5, WaitMs);
    // Stopped at any moment, even with a proof on its way: both sides count the same.
    stopAndWait(miner);

    QCOMPARE(problems.size(), 0);
    QCOMPARE(tally.stale, 0);
    QCOMPARE(tally.other, 0);
    QCOMPARE(tally.coins, 2 * tally.accepted);
    QCOMPARE(serverRewards(u"alice"_s), tally.coins);
    QCOMPARE(m_server->chain().length(), 1 + tally.accepted);
    QCOMPARE(forged.size(), tally.accepted);
    QVERIFY(Chain::verify(m_server->chain().blocks(), m_server->chain().difficulties()));
}

void TestMinerOnServer::stopMidSearchCountsEveryBlock()
{
    // Stop at many moments of a fast chain (difficulty 2: blocks every few ms, so many
    // stops land while a proof is on its way): no forged block is ever left uncounted.
    startServer(2, 1);
    Miner miner(ProofSearch::Priority::Normal);
    Tally tally(miner);
    for (int round = 0; round < 20; ++round) {
        QVERIFY(miner.start(config(u"bob"_s, 2)));
        const int before = tally.accepted;
        QTRY_VERIFY_WITH_TIMEOUT(tally.accepted > before, WaitMs);
        QTest::qWait(round % 4);
        stopAndWait(miner);
        QCOMPARE(m_server->chain().length(), 1 + tally.accepted);
    }
    QCOMPARE(serverRewards(u"bob"_s), tally.coins);
}

void TestMinerOnServer::tipChangeMakesOtherMinerAbandon()
{
    startServer(6, 1);
    Miner alice(ProofSearch::Priority::Normal);
    Miner bob(ProofSearch::Priority::Normal);
    Tally aliceTally(alice);
    Tally bobTally(bob);
    QSignalSpy aliceAbandoned(&alice, &Miner::searchAbandoned);
    QSignalSpy bobAbandoned(&bob, &Miner::searchAbandoned);
    QSignalSpy aliceStarted(&alice, &Miner::searchStarted);
    QSignalSpy bobStarted(&bob, &Miner::searchStarted);
    QVERIFY(alice.start(config(u"alice"_s, 1)));
    QVERIFY(bob.start(config(u"bob"_s, 1)));
    QTRY_VERIFY_WITH_TIMEOUT(aliceAbandoned.size() + bobAbandoned.size() >= 1, WaitMs);
    stopAndWait(alice);
    stopAndWait(bob);

    // Whoever abandoned block n did so because the other miner forged it.
    const auto &blocks = m_server->chain().blocks();
    auto checkAbandoned = [&](const QSignalSpy &abandoned, const QSignalSpy &started,
                              const std::string &otherId) {
        for (const QList<QVariant> &args : abandoned) {
            const qint64 index = args[0].toLongLong();
            if (index > static_cast<qint64>(blocks.size()))
                return false;
            const Block &block = blocks[static_cast<std::size_t>(index - 1)];
            if (block.transactions().back()["recipient"] != otherId)
                return false;
        }
        // After dropping block n, the miner went on to a later block.
        const qint64 lastStarted = started.last()[0].toLongLong();
        return abandoned.isEmpty() || lastStarted > abandoned.last()[0].toLongLong();
    };
    QVERIFY(checkAbandoned(aliceAbandoned, aliceStarted, "bob"));
    QVERIFY(checkAbandoned(bobAbandoned, bobStarted, "alice"));
    QCOMPARE(serverRewards(u"alice"_s), aliceTally.coins);
    QCOMPARE(serverRewards(u"bob"_s), bobTally.coins);
    QCOMPARE(m_server->chain().length(), 1 + aliceTally.accepted + bobTally.accepted);
}

QTEST_GUILESS_MAIN(TestMinerOnServer)
#include "tst_mineronserver.moc"
