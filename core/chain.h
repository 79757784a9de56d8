#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include <QByteArray>
#include <QString>

#include "core/block.h"
#include "core/pow.h"

// The chain model of the classic server, without I/O: the blocks, the pending
// transactions, forging the next block for a proof, and verifying links and proofs.
class Chain
{
public:
    explicit Chain(int difficulty = Pow::DefaultDifficulty, double genesisTimestamp = now());

    // Adopts stored blocks after verifying them; difficulties[i] is the difficulty
    // block i's proof was checked at (genesis's entry is ignored).
    static std::optional<Chain> fromBlocks(std::vector<Block> blocks, std::vector<int> difficulties,
                                           int difficulty, QString *error = nullptr);

    static Block genesis(double timestamp);
    static double now();   // seconds since the epoch as a float, like Python's time()
    static CanonicalJson::Json transaction(const QString &sender, const QString &recipient,
                                           const CanonicalJson::Json &amount);

    // Whether next correctly follows previous: index, previous_hash and proof.
    static bool verifyLink(const Block &previous, const Block &next, int difficulty,
                           QString *error = nullptr);
    static bool verify(const std::vector<Block> &blocks, const std::vector<int> &difficulties,
                       QString *error = nullptr);

    int difficulty() const { return m_difficulty; }
    void setDifficulty(int difficulty) { m_difficulty = difficulty; }
    const std::vector<Block> &blocks() const { return m_blocks; }
    const std::vector<int> &difficulties() const { return m_difficulties; }
    const Block &lastBlock() const { return m_blocks.back(); }
    const QByteArray &lastBlockString() const { return m_lastBlockString; }
    qsizetype length() const { return static_cast<qsizetype>(m_blocks.size()); }

    const CanonicalJson::Json &pendingTransactions() const { return m_pending; }
    // Queues a transaction; returns the index of the block that will hold it.
    std::int64_t addTransaction(CanonicalJson::Json transaction);
    void setPendingTransactions(CanonicalJson::Json transactions);

    bool isValidProof(std::uint64_t proof) const;
    static constexpr std::size_t StaleWindow = 64;   // earlier blocks a late proof is known for

    // Whether proof is valid for one of the StaleWindow blocks before the last (someone
    // else won the block it was for); returns the index of the block it would have made.
    std::optional<std::int64_t> staleBlockFor(std::uint64_t proof) const;

    // The next block for a proof: pending transactions plus the reward to minerId.
    Block forge(std::uint64_t proof, const QString &minerId, std::int64_t reward,
                double timestamp = now()) const;
    // Appends a block built by forge() and clears the pending transactions it holds.
    void append(Block block);

    QByteArray toWire() const;   // {"chain": [...], "length": n}

private:
    std::vector<Block> m_blocks;
    std::vector<int> m_difficulties;
    CanonicalJson::Json m_pending = CanonicalJson::Json::array();
    QByteArray m_lastBlockString;
    // Midstates of the last StaleWindow + 1 blocks' strings, newest last, so that a late
    // proof is recognised with one compression per earlier block.
    std::deque<Sha256::Midstate> m_recentMidstates;
    int m_difficulty = Pow::DefaultDifficulty;
};
