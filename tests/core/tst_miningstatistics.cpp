#include <memory>

#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include "core/miningmodel.h"
#include "core/miningstatistics.h"
#include "core/settings.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr int WaitMs = 30000;
}

// The statistics beside a real MiningModel mining on its real local chain server.
class TestMiningStatistics final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void expectedTimeIsSixteenToTheDifficultyOverTheRate();
    void followsMiningAndKeepsCoinsAcrossLaunches();

private:
    QTemporaryDir m_dir;
};

void TestMiningStatistics::expectedTimeIsSixteenToTheDifficultyOverTheRate()
{
    QCOMPARE(*MiningStatistics::expectedSeconds(6, 16777216.0), 1.0);
    QCOMPARE(*MiningStatistics::expectedSeconds(2, 128.0), 2.0);
    QCOMPARE(*MiningStatistics::expectedSeconds(0, 4.0), 0.25);
    QVERIFY(!MiningStatistics::expectedSeconds(6, 0.0));
    QVERIFY(!MiningStatistics::expectedSeconds(6, -1.0));
}

void TestMiningStatistics::followsMiningAndKeepsCoinsAcrossLaunches()
{
    QVERIFY(m_dir.isValid());
    const QString settingsPath = m_dir.filePath(u"settings.ini"_s);
    QUrl node;
    qint64 coins = 0;
    {
        Settings settings(settingsPath);
        MiningModel model(ProofSearch::Priority::Normal);
        MiningStatistics stats(model, settings);
        QVERIFY(stats.accountNode().isEmpty());
        QCOMPARE(stats.earnedCoins(), 0);
        QSignalSpy sampled(&stats, &MiningStatistics::sampled);

        MiningModel::LocalServerSetup server;
        server.databasePath = m_dir.filePath(u"data/chain.db"_s);
        server.difficulty = 2;
        QVERIFY(model.startLocalServer(server));
        node = model.localServerUrl();
        MiningModel::MinerSetup miner;
        miner.id = u"carol"_s;
        miner.threads = 1;
        miner.tuning.pollIntervalMs = 50;
        QVERIFY(model.startMining(miner));
        QTRY_VERIFY_WITH_TIMEOUT(model.snapshot().accepted >= 3, WaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(sampled.size() >= 3, WaitMs);
        QSignalSpy stopped(&model, &MiningModel::miningStopped);
        model.stopMining();
        QTRY_COMPARE_WITH_TIMEOUT(stopped.size(), 1, WaitMs);
        const MiningSnapshot s = model.snapshot();
        coins = s.coins;

        // Every answer is a row; the account is the miner's node and id.
        QCOMPARE(stats.foundBlocks()->rowCount(), s.accepted + s.stale + s.rejected);
        QCOMPARE(stats.accountNode(), node);
        QCOMPARE(stats.accountId(), u"carol"_s);
        QCOMPARE(stats.earnedCoins(), coins);
        // The chain pays carol what the miner counted (a fresh chain: carol only).
        stats.updateChainBalance();
        QTRY_VERIFY_WITH_TIMEOUT(!stats.chainBalance().isReading()
                                     && stats.chainBalance().progress().balance == double(coins),
                                 WaitMs);
        QCOMPARE(stats.chainBalance().progress().blocks, s.accepted + 1);

        // One rate a second, over 15 minutes at most; some were while mining.
        QVERIFY(!stats.rateHistory().empty());
        bool sawRate = false;
        for (const MiningStatistics::RatePoint &p : stats.rateHistory())
            sawRate = sawRate || p.rate > 0;
        QVERIFY(sawRate);
        QVERIFY(stats.rateHistory().back().timeMs - stats.rateHistory().front().timeMs
                <= MiningStatistics::HistoryMs);
        QVERIFY(stats.uptimeMs() > 0);
        settings.sync();
    }

    // A new launch: the last account and its coins come back before any mining.
    Settings settings(settingsPath);
    const Settings::CoinRecord record = settings.coinRecord(node.toString(), u"carol"_s);
    QCOMPARE(record.earned, coins);
    QCOMPARE(record.chainBalance, double(coins));
    MiningModel model;
    MiningStatistics stats(model, settings);
    QCOMPARE(stats.accountNode(), node);
    QCOMPARE(stats.accountId(), u"carol"_s);
    QCOMPARE(stats.earnedCoins(), coins);
    QCOMPARE(stats.chainBalance().progress().balance, double(coins));
    QCOMPARE(model.snapshot().coins, 0);   // the session's own count starts again
    // Its node is not running now: the balance says so and keeps what it had.
    QTRY_VERIFY_WITH_TIMEOUT(!stats.chainBalance().isReading(), WaitMs);
    QVERIFY(!stats.chainBalance().problem().isEmpty());
    QCOMPARE(stats.chainBalance().progress().balance, double(coins));
}

QTEST_GUILESS_MAIN(TestMiningStatistics)
#include "tst_miningstatistics.moc"
