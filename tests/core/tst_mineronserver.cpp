#include <memory>

#include <QElapsedTimer>
#include <QFile>
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
constexpr qint64 StopBoundMs = 2000;   // a hang check, not a speed test
}

// Our Miner against our ChainServer, both real, over real sockets.
class TestMinerOnServer final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void coinsMatchServerRewards();
    void stopMidSearchIsPrompt();
    void tipChangeMakesOtherMinerAbandon();

private:
    void startServer(int difficulty, std::int64_t reward);
    Miner::Config config(const QString &id, int threads) const;
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
    QString error;
    QVERIFY2(m_server->open(&error), qPrintable(error));
    m_port = m_server->listen(QHostAddress::LocalHost, 0);
    QVERIFY2(m_port != 0, qPrintable(m_server->errorString()));
}

Miner::Config TestMinerOnServer::config(const QString &id, int threads) const
{
    const QString path = m_dir->filePath(id + u".txt"_s);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        qFatal("cannot write %s", qPrintable(path));
    file.write(id.toUtf8() + '\n');
    Miner::Config config;
    config.serverUrl = QUrl(u"http://127.0.0.1:%1"_s.arg(m_port));
    config.idFile = path;
    config.threads = threads;
    // Normal: on a loaded CI machine, nice 10 workers could starve and time out.
    config.priority = ProofSearch::Priority::Normal;
    config.pollIntervalMs = 50;
    config.requestTimeoutMs = 5000;
    config.firstBackoffMs = 50;
    config.maxBackoffMs = 200;
    return config;
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
    Miner miner(config(u"alice"_s, 2));
    QSignalSpy forged(m_server.get(), &ChainServer::blockForged);
    QSignalSpy errors(&miner, &Miner::errorOccurred);
    QVERIFY(miner.start());
    // Stop between rounds (no /mine in flight), so both sides count the same blocks.
    QTRY_VERIFY_WITH_TIMEOUT(
        miner.acceptedCount() >= 5 && miner.state() != Miner::State::Submitting, WaitMs);
    miner.stop();

    QCOMPARE(errors.size(), 0);
    QCOMPARE(miner.staleCount(), 0);
    QCOMPARE(miner.rejectedCount(), 0);
    QCOMPARE(miner.coins(), 2 * miner.acceptedCount());
    QCOMPARE(serverRewards(u"alice"_s), miner.coins());
    QCOMPARE(m_server->chain().length(), 1 + miner.acceptedCount());
    QCOMPARE(forged.size(), miner.acceptedCount());
    QVERIFY(Chain::verify(m_server->chain().blocks(), m_server->chain().difficulties()));
}

void TestMinerOnServer::stopMidSearchIsPrompt()
{
    startServer(12, 1);   // no block in a test's lifetime
    Miner miner(config(u"bob"_s, 2));
    QSignalSpy started(&miner, &Miner::searchStarted);
    QVERIFY(miner.start());
    QVERIFY(started.wait(WaitMs));
    QCOMPARE(started[0][2].toInt(), 12);
    QTRY_VERIFY_WITH_TIMEOUT(miner.attempts() > 0, WaitMs);

    QElapsedTimer clock;
    clock.start();
    miner.stop();
    QVERIFY2(clock.elapsed() < StopBoundMs, qPrintable(u"stop took %1 ms"_s.arg(clock.elapsed())));
    QVERIFY(!miner.isRunning());
    QCOMPARE(m_server->chain().length(), 1);
}

void TestMinerOnServer::tipChangeMakesOtherMinerAbandon()
{
    startServer(6, 1);
    Miner alice(config(u"alice"_s, 1));
    Miner bob(config(u"bob"_s, 1));
    QSignalSpy aliceAbandoned(&alice, &Miner::searchAbandoned);
    QSignalSpy bobAbandoned(&bob, &Miner::searchAbandoned);
    QSignalSpy aliceStarted(&alice, &Miner::searchStarted);
    QSignalSpy bobStarted(&bob, &Miner::searchStarted);
    QVERIFY(alice.start());
    QVERIFY(bob.start());
    auto idle = [&] {
        return alice.state() != Miner::State::Submitting && bob.state() != Miner::State::Submitting;
    };
    QTRY_VERIFY_WITH_TIMEOUT(aliceAbandoned.size() + bobAbandoned.size() >= 1 && idle(), WaitMs);
    alice.stop();
    bob.stop();

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
    QCOMPARE(serverRewards(u"alice"_s), alice.coins());
    QCOMPARE(serverRewards(u"bob"_s), bob.coins());
    QCOMPARE(m_server->chain().length(), 1 + alice.acceptedCount() + bob.acceptedCount());
}

QTEST_GUILESS_MAIN(TestMinerOnServer)
#include "tst_mineronserver.moc"
