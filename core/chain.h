#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <vector>

#include <QByteArray>
#include <QString>
#include <QtGlobal>

#include "core/block.h"
#include "core/pow.h"
#include "core/result.h"

// The chain model of the classic server, without I/O: the blocks, the pending
// transactions, forging the next block for a proof, and verifying links and proofs.
class Chain
{
public:
    explicit Chain(int difficulty = Pow::DefaultDifficulty, double genesisTimestamp = now());

    // Adopts stored blocks after verifying them; difficulties[i] is the difficulty
    // block i's proof was checked at (genesis's entry is ignored).
    static Result<Chain> fromBlocks(std::vector<Block> blocks, std::vector<int> difficulties,
                                    int difficulty);

    static Block genesis(double timestamp);
    static double now();   // seconds since the epoch as a float, like Python's time()
    static CanonicalJson::Json transaction(const QString &sender, const QString &recipient,
                                           const CanonicalJson::Json &amount);

    // Whether next correctly follows previous: index, previous_hash and proof. A block
    // with the largest index (2^63 - 1) has no next block.
    static Result<void> verifyLink(const Block &previous, const Block &next, int difficulty);
    static Result<void> verify(const std::vector<Block> &blocks,
                               const std::vector<int> &difficulties);

    int difficulty() const { return m_difficulty; }
    void setDifficulty(int difficulty) { m_difficulty = difficulty; }
    const std::vector<Block> &blocks() const { return m_blocks; }
    const std::vector<int> &difficulties() const { return m_difficulties; }
    const Block &lastBlock() const { return m_blocks.back(); }
    const QByteArray &lastBlockString() const { return m_lastBlockString; }
    qsizetype length() const { return static_cast<qsizetype>(m_blocks.size()); }
    // The last block has index 2^63 - 1: no block can follow it.
    bool isFull() const { return !lastBlock().nextIndex(); }

    const CanonicalJson::Json &pendingTransactions() const { return m_pending; }
    // Queues a transaction; returns the index of the block that will hold it.
    std::int64_t addTransaction(CanonicalJson::Json transaction);
    void setPendingTransactions(CanonicalJson::Json transactions);

    // What a transaction adds to a block string: its canonical JSON and a ", ".
    static qsizetype transactionBytes(const CanonicalJson::Json &transaction);
    qsizetype pendingBytes() const { return m_pendingBytes; }   // of every pending transaction
    // The bytes of pending transactions a block takes: forge() takes the oldest ones that
    // fit (at least one), the rest wait for the next block. Unlimited unless set.
    qsizetype pendingBudget() const { return m_pendingBudget; }
    void setPendingBudget(qsizetype bytes) { m_pendingBudget = bytes; }

    bool isValidProof(std::uint64_t proof) const;   // one or two compressions, any block size

    // Earlier blocks a late proof is recognised for: a random invalid proof is valid for
    // one of them (and answered "stale") at most one time in 256, so none at difficulty
    // 1, one at 2, 16 at 3 and MaxStaleWindow from 4 on.
    static constexpr std::size_t MaxStaleWindow = 64;
    static std::size_t staleWindow(int difficulty);

    // Whether proof is valid for one of the staleWindow() blocks before the last (someone
    // else won the block it was for); returns the index of the block it would have made.
    std::optional<std::int64_t> staleBlockFor(std::uint64_t proof) const;

    // The next block for a proof: the pending transactions that fit the budget plus the
    // reward to minerId. A chain's blocks are numbered from 1 without gaps, so its next
    // index never overflows.
    Block forge(std::uint64_t proof, const QString &minerId, std::int64_t reward,
                double timestamp = now()) const;
    // The same from another list of pending transactions (oldest first): a store shared by
    // several servers forges from the transactions it claims, not from this chain's copy.
    Block forgeFrom(const CanonicalJson::Json &pending, std::uint64_t proof,
                    const QString &minerId, std::int64_t reward, double timestamp = now()) const;
    // Appends a block built by forge() and drops the pending transactions it holds. The
    // block's proof was checked at difficulty (by default the chain's).
    void append(Block block);
    void append(Block block, int difficulty);

    QByteArray toWire() const;   // {"chain": [...], "length": n}

private:
    Block forgeWith(CanonicalJson::Json transactions, std::uint64_t proof, const QString &minerId,
                    std::int64_t reward, double timestamp) const;

    std::vector<Block> m_blocks;
    std::vector<int> m_difficulties;
    CanonicalJson::Json m_pending = CanonicalJson::Json::array();
    std::deque<qsizetype> m_pendingSizes;   // transactionBytes() of each, oldest first
    qsizetype m_pendingBytes = 0;
    qsizetype m_pendingBudget = std::numeric_limits<qsizetype>::max();
    QByteArray m_lastBlockString;
    // Midstates of the last MaxStaleWindow + 1 blocks' strings, newest last: the last one
    // checks a proof, the others recognise a late proof, each with one compression.
    std::deque<Sha256::Midstate> m_recentMidstates;
    int m_difficulty = Pow::DefaultDifficulty;
};
