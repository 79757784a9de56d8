#include "core/chain.h"

#include <algorithm>
#include <chrono>

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

Chain::Chain(int difficulty, double genesisTimestamp)
    : m_difficulty{difficulty}
{
    append(genesis(genesisTimestamp));
}

Result<Chain> Chain::fromBlocks(std::vector<Block> blocks, std::vector<int> difficulties,
                                int difficulty)
{
    if (blocks.empty())
        return Error{u"the chain has no blocks"_s};
    if (const Result<void> verified = verify(blocks, difficulties); !verified)
        return verified.error();
    Chain chain(difficulty);
    chain.m_blocks = std::move(blocks);
    chain.m_difficulties = std::move(difficulties);
    chain.m_lastBlockString = chain.m_blocks.back().blockString();
    chain.m_recentMidstates.clear();
    const std::size_t count = chain.m_blocks.size();
    for (std::size_t i = count - std::min(count, MaxStaleWindow + 1); i < count; ++i)
        chain.m_recentMidstates.push_back(Sha256::midstate(chain.m_blocks[i].blockString()));
    return chain;
}

Block Chain::genesis(double timestamp)
{
    Block block;
    block.value = Json{{"index", 1},
                       {"timestamp", timestamp},
                       {"transactions", Json::array()},
                       {"proof", 100},
                       {"previous_hash", 1}};
    return block;
}

double Chain::now()
{
    using namespace std::chrono;
    const auto micros = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    return static_cast<double>(micros) / 1e6;
}

Json Chain::transaction(const QString &sender, const QString &recipient, const Json &amount)
{
    return Json{{"sender", sender.toStdString()},
                {"recipient", recipient.toStdString()},
                {"amount", amount}};
}

Result<void> Chain::verifyLink(const Block &previous, const Block &next, int difficulty)
{
    if (previous.index() == std::numeric_limits<std::int64_t>::max())
        return Error{u"block %1 has the largest possible index: no block can follow it"_s
                     .arg(previous.index())};
    if (next.index() != previous.index() + 1)
        return Error{u"block %1 follows block %2"_s.arg(next.index()).arg(previous.index())};
    const QByteArray previousString = previous.blockString();   // written once, used twice
    const QString expected = QString::fromLatin1(Sha256::hexDigest(previousString));
    if (!next.value.at("previous_hash").is_string() || next.previousHash() != expected)
        return Error{u"block %1 has previous_hash %2, expected %3"_s
                     .arg(next.index()).arg(next.previousHash(), expected)};
    if (!Pow::validProof(previousString, next.proof(), difficulty))
        return Error{u"block %1 has proof %2, which is not valid at difficulty %3"_s
                     .arg(next.index()).arg(next.proof()).arg(difficulty)};
    return {};
}

Result<void> Chain::verify(const std::vector<Block> &blocks, const std::vector<int> &difficulties)
{
    if (blocks.empty())
        return Error{u"the chain has no blocks"_s};
    if (difficulties.size() != blocks.size())
        return Error{u"%1 blocks but %2 difficulties"_s.arg(blocks.size()).arg(difficulties.size())};
    if (blocks.front().index() != 1)
        return Error{u"the first block has index %1, expected 1"_s.arg(blocks.front().index())};
    for (std::size_t i = 1; i < blocks.size(); ++i) {
        if (const Result<void> link = verifyLink(blocks[i - 1], blocks[i], difficulties[i]); !link)
            return link;
    }
    return {};
}

std::int64_t Chain::addTransaction(Json transaction)
{
    const qsizetype bytes = transactionBytes(transaction);
    m_pending.push_back(std::move(transaction));
    m_pendingSizes.push_back(bytes);
    m_pendingBytes += bytes;
    return lastBlock().nextIndex().value_or(lastBlock().index());
}

void Chain::setPendingTransactions(Json transactions)
{
    m_pending = Json::array();
    m_pendingSizes.clear();
    m_pendingBytes = 0;
    if (transactions.is_array()) {
        for (Json &transaction : transactions)
            addTransaction(std::move(transaction));
    }
}

qsizetype Chain::transactionBytes(const Json &transaction)
{
    std::string text;
    CanonicalJson::dumpTo(text, transaction);
    return static_cast<qsizetype>(text.size()) + 2;
}

bool Chain::isValidProof(std::uint64_t proof) const
{
    return Pow::validProof(m_recentMidstates.back(), proof, m_difficulty);
}

std::size_t Chain::staleWindow(int difficulty)
{
    std::size_t window = difficulty >= 2 ? 1 : 0;
    for (int d = 2; d < difficulty && window < MaxStaleWindow; ++d)
        window *= 16;
    return std::min(window, MaxStaleWindow);
}

std::optional<std::int64_t> Chain::staleBlockFor(std::uint64_t proof) const
{
    // m_recentMidstates ends with the last block's; the ones before it are candidates.
    const std::size_t count = m_blocks.size();
    const std::size_t cached = std::min(m_recentMidstates.size(), staleWindow(m_difficulty) + 1);
    for (std::size_t back = 2; back <= cached; ++back) {
        const std::size_t earlier = count - back;
        if (Pow::validProof(m_recentMidstates[m_recentMidstates.size() - back], proof,
                            m_difficulties[earlier + 1]))
            return m_blocks[earlier].index() + 1;
    }
    return std::nullopt;
}

Block Chain::forge(std::uint64_t proof, const QString &minerId, std::int64_t reward,
                   double timestamp) const
{
    // The oldest pending transactions that fit the budget, and at least one.
    std::size_t taken = 0;
    for (qsizetype bytes = 0; taken < m_pendingSizes.size(); ++taken) {
        bytes += m_pendingSizes[taken];
        if (taken > 0 && bytes > m_pendingBudget)
            break;
    }
    Json transactions = Json::array();
    for (std::size_t i = 0; i < taken; ++i)
        transactions.push_back(m_pending[i]);
    return forgeWith(std::move(transactions), proof, minerId, reward, timestamp);
}

Block Chain::forgeFrom(const Json &pending, std::uint64_t proof, const QString &minerId,
                       std::int64_t reward, double timestamp) const
{
    Json transactions = Json::array();
    qsizetype bytes = 0;
    for (const Json &transaction : pending) {
        bytes += transactionBytes(transaction);
        if (!transactions.empty() && bytes > m_pendingBudget)
            break;
        transactions.push_back(transaction);
    }
    return forgeWith(std::move(transactions), proof, minerId, reward, timestamp);
}

Block Chain::forgeWith(Json transactions, std::uint64_t proof, const QString &minerId,
                       std::int64_t reward, double timestamp) const
{
    transactions.push_back(transaction(u"0"_s, minerId, reward));
    Block block;
    // isFull() chains are never forged on (the server refuses); the index saturates.
    block.value = Json{{"index", lastBlock().nextIndex().value_or(lastBlock().index())},
                       {"timestamp", timestamp},
                       {"transactions", std::move(transactions)},
                       {"proof", proof},
                       {"previous_hash", Sha256::hexDigest(m_lastBlockString).toStdString()}};
    return block;
}

void Chain::append(Block block)
{
    append(std::move(block), m_difficulty);
}

void Chain::append(Block block, int difficulty)
{
    const bool isGenesis = m_blocks.empty();
    m_lastBlockString = block.blockString();
    m_recentMidstates.push_back(Sha256::midstate(m_lastBlockString));
    if (m_recentMidstates.size() > MaxStaleWindow + 1)
        m_recentMidstates.pop_front();
    if (!isGenesis) {
        // The block holds the oldest pending transactions, then the reward.
        const std::size_t transactions = block.transactions().size();
        const std::size_t held = std::min(m_pendingSizes.size(),
                                          transactions > 0 ? transactions - 1 : 0);
        m_pending.erase(m_pending.begin(), m_pending.begin() + static_cast<std::ptrdiff_t>(held));
        for (std::size_t i = 0; i < held; ++i) {
            m_pendingBytes -= m_pendingSizes.front();
            m_pendingSizes.pop_front();
        }
    }
    m_blocks.push_back(std::move(block));
    m_difficulties.push_back(isGenesis ? 0 : difficulty);
}

QByteArray Chain::toWire() const
{
    std::string out = "{\"chain\": [";
    for (std::size_t i = 0; i < m_blocks.size(); ++i) {
        if (i)
            out += ", ";
        CanonicalJson::dumpTo(out, m_blocks[i].value);
    }
    out += "], \"length\": " + std::to_string(m_blocks.size()) + "}";
    return QByteArray(out.data(), static_cast<qsizetype>(out.size()));
}
