#pragma once

#include <cstdint>
#include <deque>

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QUrl>

#include "core/chainbalance.h"
#include "core/foundblocksmodel.h"
#include "core/miningsnapshot.h"
#include "core/settings.h"

class QTimer;
class MiningModel;

// What the Statistics tab shows, kept beside a MiningModel: the hash rate once a second
// over the last 15 minutes, the proofs found and their answers (a table model), the
// uptime, and the coins of the current node and id: earned here over every launch,
// and the balance on that node's chain (ChainBalance), both kept in the Settings.
// The account is the node and id the miner last mined with (the last one shown, at
// launch). It never touches a widget.
class MiningStatistics final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MiningStatistics)

public:
    static constexpr int SampleIntervalMs = 1000;
    // The coins are written to the Settings when the account changes, when mining
    // stops, on destruction, and at most this often while mining: QSettings writes its
    // whole file (with an fsync) on the GUI thread, too slow for once per block.
    static constexpr int SaveIntervalMs = 5 * 60'000;
    static constexpr std::int64_t HistoryMs = 15 * 60'000;

    struct RatePoint
    {
        std::int64_t timeMs = 0;   // since the epoch
        double rate = 0;           // attempts per second over the second before it
    };

    MiningStatistics(MiningModel &model, Settings &settings, QObject *parent = nullptr);
    ~MiningStatistics() override;

    const std::deque<RatePoint> &rateHistory() const { return m_history; }
    std::int64_t uptimeMs() const { return m_uptime.elapsed(); }
    // Rows come in once a second (one insertion, one repaint of a table showing it),
    // or at once with flushFoundBlocks().
    FoundBlocksModel *foundBlocks() { return &m_found; }
    void flushFoundBlocks();

    // The coins of the current account.
    const QUrl &accountNode() const { return m_node; }
    const QString &accountId() const { return m_id; }
    std::int64_t earnedCoins() const { return m_record.earned; }   // over every launch
    const ChainBalance &chainBalance() const { return m_balance; }
    void setAccount(const QUrl &node, const QString &id);
    void updateChainBalance() { m_balance.update(); }

    // 16^difficulty / rate: the mean time to a block at that rate, in seconds; nothing
    // for a rate of 0.
    static std::optional<double> expectedSeconds(int difficulty, double attemptsPerSecond);

signals:
    void sampled(const MiningStatistics::RatePoint &point);   // every SampleIntervalMs
    void coinsChanged();                                      // the account or its coins

private:
    void sample();
    void handleProofAnswered(const FoundBlock &block);
    void takeBalance();
    void save();   // the account's record, if it changed

    MiningModel &m_model;
    Settings &m_settings;
    std::deque<RatePoint> m_history;
    QElapsedTimer m_uptime;
    FoundBlocksModel m_found;
    std::vector<FoundBlock> m_newFound;   // not in m_found yet
    ChainBalance m_balance;
    QUrl m_node;
    QString m_id;
    Settings::CoinRecord m_record;     // the account's, as it will be saved
    bool m_recordChanged = false;
    QTimer *m_sampleTimer = nullptr;   // children of this
    QTimer *m_saveTimer = nullptr;
};
