#include "core/chain.h"

#include <algorithm>
#include <chrono>

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

namespace
{
bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}
}

Chain::Chain(int difficulty, double genesisTimestamp)
    : m_difficulty{difficulty}
{
    append(genesis(genesisTimestamp));
}

std::optional<Chain> Chain::fromBlocks(std::vector<Block> blocks, std::vector<int> difficulties,
                                       int difficulty, QString *error)
{
    if (blocks.empty()) {
        fail(error, u"the chain has no blocks"_s);
        return std::nullopt;
    }
    if (!verify(blocks, difficulties, error))
        return std::nullopt;
    Chain chain(difficulty);
    chain.m_blocks = std::move(blocks);
    chain.m_difficulties = std::move(difficulties);
    chain.m_lastBlockString = chain.m_blocks.back().blockString();
    chain.m_recentMidstates.clear();
    const std::size_t count = chain.m_blocks.size();
    for (std::size_t i = count - std::min(count, StaleWindow + 1); i < count; ++i)
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

bool Chain::verifyLink(const Block &previous, const Block &next, int difficulty, QString *error)
{
    if (next.index() != previous.index() + 1)
        return fail(error, u"block %1 follows block %2"_s.arg(next.index()).arg(previous.index()));
    const QByteArray previousString = previous.blockString();   // written once, used twice
    const QString expected = QString::fromLatin1(Sha256::hexDigest(previousString));
    if (!next.value.at("previous_hash").is_string() || next.previousHash() != expected)
        return fail(error, u"block %1 has previous_hash %2, expected %3"_s
                               .arg(next.index()).arg(next.previousHash(), expected));
    if (!Pow::validProof(previousString, next.proof(), difficulty))
        return fail(error, u"block %1 has proof %2, which is not valid at difficulty %3"_s
                               .arg(next.index()).arg(next.proof()).arg(difficulty));
    return true;
}

bool Chain::verify(const std::vector<Block> &blocks, const std::vector<int> &difficulties,
                   QString *error)
{
    if (blocks.empty())
        return fail(error, u"the chain has no blocks"_s);
    if (difficulties.size() != blocks.size())
        return fail(error, u"%1 blocks but %2 difficulties"_s.arg(blocks.size()).arg(difficulties.size()));
    if (blocks.front().index() != 1)
        return fail(error, u"the first block has index %1, expected 1"_s.arg(blocks.front().index()));
    for (std::size_t i = 1; i < blocks.size(); ++i) {
        if (!verifyLink(blocks[i - 1], blocks[i], difficulties[i], error))
            return false;
    }
    return true;
}

std::int64_t Chain::addTransaction(Json transaction)
{
    m_pending.push_back(std::move(transaction));
    return lastBlock().index() + 1;
}

void Chain::setPendingTransactions(Json transactions)
{
    m_pending = transactions.is_array() ? std::move(transactions) : Json::array();
}

bool Chain::isValidProof(std::uint64_t proof) const
{
    return Pow::validProof(m_lastBlockString, proof, m_difficulty);
}

std::optional<std::int64_t> Chain::staleBlockFor(std::uint64_t proof) const
{
    // m_recentMidstates ends with the last block's; the ones before it are candidates.
    const std::size_t count = m_blocks.size();
    const std::size_t cached = m_recentMidstates.size();
    for (std::size_t back = 2; back <= cached; ++back) {
        const std::size_t earlier = count - back;
        if (Pow::validProof(m_recentMidstates[cached - back], proof, m_difficulties[earlier + 1]))
            return m_blocks[earlier].index() + 1;
    }
    return std::nullopt;
}

Block Chain::forge(std::uint64_t proof, const QString &minerId, std::int64_t reward,
                   double timestamp) const
{
    Json transactions = m_pending;
    transactions.push_back(transaction(u"0"_s, minerId, reward));
    Block block;
    block.value = Json{{"index", lastBlock().index() + 1},
                       {"timestamp", timestamp},
                       {"transactions", std::move(transactions)},
                       {"proof", proof},
                       {"previous_hash", lastBlock().hash().toStdString()}};
    return block;
}

void Chain::append(Block block)
{
    const bool isGenesis = m_blocks.empty();
    m_lastBlockString = block.blockString();
    m_recentMidstates.push_back(Sha256::midstate(m_lastBlockString));
    if (m_recentMidstates.size() > StaleWindow + 1)
        m_recentMidstates.pop_front();
    m_blocks.push_back(std::move(block));
    m_difficulties.push_back(isGenesis ? 0 : m_difficulty);
    if (!isGenesis)
        m_pending = Json::array();
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
