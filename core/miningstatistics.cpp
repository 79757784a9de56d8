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
{
    m_uptime.start();
    connect(&m_model, &MiningModel::proofAnswered, this, &MiningStatistics::handleProofAnswered);
    connect(&m_balance, &ChainBalance::updated, this, &MiningStatistics::saveBalance);
    m_sampleTimer->setInterval(SampleIntervalMs);
    connect(m_sampleTimer, &QTimer::timeout, this, &MiningStatistics::sample);
    m_sampleTimer->start();

    const QUrl lastNode(m_settings.lastCoinNode());
    if (lastNode.isValid() && !m_settings.lastCoinId().isEmpty())
        setAccount(lastNode, m_settings.lastCoinId());
}

MiningStatistics::~MiningStatistics() = default;

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
    m_node = node;
    m_id = id;
    const QString nodeText = node.toString();
    const Settings::CoinRecord record = m_settings.coinRecord(nodeText, id);
    m_earned = record.earned;
    m_settings.setLastCoinAccount(nodeText, id);
    m_balance.setAccount(node, id, {record.chainBalance, record.chainBlocks, record.chainHash});
    m_balance.update();
    emit coinsChanged();
}

void MiningStatistics::sample()
{
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
    m_found.add(block);
    if (block.verdict != FoundBlock::Verdict::Accepted)
        return;
    const QString nodeText = block.serverUrl.toString();
    Settings::CoinRecord record = m_settings.coinRecord(nodeText, block.minerId);
    record.earned += block.reward;
    m_settings.setCoinRecord(nodeText, block.minerId, record);
    if (block.serverUrl == m_node && block.minerId == m_id) {
        m_earned = record.earned;
        m_balance.update();
        emit coinsChanged();
    } else {
        setAccount(block.serverUrl, block.minerId);
    }
}

void MiningStatistics::saveBalance()
{
    if (!m_node.isValid() || m_id.isEmpty())
        return;
    const QString nodeText = m_node.toString();
    Settings::CoinRecord record = m_settings.coinRecord(nodeText, m_id);
    const ChainBalance::Progress &progress = m_balance.progress();
    record.chainBalance = progress.balance;
    record.chainBlocks = progress.blocks;
    record.chainHash = progress.lastHash;
    m_settings.setCoinRecord(nodeText, m_id, record);
    emit coinsChanged();
}
