#include "core/miningstatistics.h"

#include <cmath>

#include <QDateTime>
#include <QTimer>

#include "core/miningmodel.h"
#include "core/settings.h"

using namespace Qt::StringLiterals;

MiningStatistics::MiningStatistics(MiningModel &model, Settings &settings, QObject *parent)
    : QObject{parent}
    , m_model{model}
    , m_settings{settings}
    , m_sampleTimer{new QTimer(this)}
    , m_saveTimer{new QTimer(this)}
{
    m_uptime.start();
    connect(&m_model, &MiningModel::proofAnswered, this, &MiningStatistics::handleProofAnswered);
    connect(&m_model, &MiningModel::miningStopped, this, [this] {
        flushFoundBlocks();
        save();
    });
    connect(&m_balance, &ChainBalance::updated, this, &MiningStatistics::takeBalance);
    m_sampleTimer->setInterval(SampleIntervalMs);
    connect(m_sampleTimer, &QTimer::timeout, this, &MiningStatistics::sample);
    m_sampleTimer->start();
    m_saveTimer->setInterval(SaveIntervalMs);
    connect(m_saveTimer, &QTimer::timeout, this, &MiningStatistics::save);
    m_saveTimer->start();

    const QUrl lastNode(m_settings.lastCoinNode());
    if (lastNode.isValid() && !m_settings.lastCoinId().isEmpty())
        setAccount(lastNode, m_settings.lastCoinId());
}

MiningStatistics::~MiningStatistics()
{
    save();
}

std::optional<double> MiningStatistics::expectedSeconds(int difficulty, double attemptsPerSecond)
{
    if (!(attemptsPerSecond > 0) || difficulty < 0)
        return std::nullopt;
    return std::pow(16.0, difficulty) / attemptsPerSecond;
}

void MiningStatistics::setAccount(const QUrl &node, const QString &id)
{
    if (node == m_node && id == m_id)
        return;
    save();
    m_node = node;
    m_id = id;
    const QString nodeText = node.toString();
    m_record = m_settings.coinRecord(nodeText, id);
    m_recordChanged = false;
    if (m_settings.lastCoinNode() != nodeText || m_settings.lastCoinId() != id)
        m_settings.setLastCoinAccount(nodeText, id);
    m_balance.setAccount(node, id,
                         {m_record.chainBalance, m_record.chainBlocks, m_record.chainHash});
    m_balance.update();
    emit coinsChanged();
}

void MiningStatistics::flushFoundBlocks()
{
    m_found.add(m_newFound);
    m_newFound.clear();
}

void MiningStatistics::sample()
{
    flushFoundBlocks();
    const MiningSnapshot s = m_model.snapshot();
    const RatePoint point{QDateTime::currentMSecsSinceEpoch(), s.isMining() ? s.hashRate : 0.0};
    m_history.push_back(point);
    while (!m_history.empty() && m_history.front().timeMs < point.timeMs - HistoryMs)
        m_history.pop_front();
    emit sampled(point);

    // Follow the miner: its node and id, and the blocks its node forged since.
    if (s.serverUrl.isValid() && !s.minerId.isEmpty())
        setAccount(s.serverUrl, s.minerId);
    if (s.lastBlock && s.lastBlock->index() > m_balance.progress().blocks
        && s.serverUrl == m_node)
        m_balance.update();
}

void MiningStatistics::handleProofAnswered(const FoundBlock &block)
{
    m_newFound.push_back(block);
    if (block.verdict != FoundBlock::Verdict::Accepted)
        return;
    setAccount(block.serverUrl, block.minerId);
    m_record.earned += block.reward;
    m_recordChanged = true;
    emit coinsChanged();   // the chain's balance follows at the next sample
}

void MiningStatistics::takeBalance()
{
    const ChainBalance::Progress &progress = m_balance.progress();
    if (m_record.chainBalance != progress.balance || m_record.chainBlocks != progress.blocks
        || m_record.chainHash != progress.lastHash) {
        m_record.chainBalance = progress.balance;
        m_record.chainBlocks = progress.blocks;
        m_record.chainHash = progress.lastHash;
        m_recordChanged = true;
    }
    emit coinsChanged();
}

void MiningStatistics::save()
{
    if (!m_recordChanged || !m_node.isValid() || m_id.isEmpty())
        return;
    m_settings.setCoinRecord(m_node.toString(), m_id, m_record);
    m_recordChanged = false;
}
