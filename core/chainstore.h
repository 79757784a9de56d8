#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <QObject>
#include <QString>

#include "core/block.h"
#include "core/chain.h"
#include "core/result.h"

// Where a chain is kept: one interface, two stores. A SQLite file (SqliteChainStore: one
// server per file) or a PostgreSQL database (PostgresChainStore: several servers on one
// chain, the database deciding which proof wins). A write returns only after its
// transaction committed, so a caller may acknowledge it. Used from the thread that opened
// it only; a shared store reports blocks other servers forged with tipChanged().
class ChainStore : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChainStore)

public:
    // What readSince() found: the blocks after a height, with the difficulty each was
    // checked at, and every pending transaction.
    struct Update
    {
        std::vector<Block> blocks;
        std::vector<int> difficulties;
        CanonicalJson::Json pending = CanonicalJson::Json::array();
    };

    // A "postgresql://" or "postgres://" URL picks PostgreSQL; anything else is a SQLite
    // file path.
    static bool isDatabaseUrl(const QString &location);
    static std::unique_ptr<ChainStore> create(const QString &location);

    ~ChainStore() override = default;

    // Every call reports failure the one way core/ does (core/result.h): a Result whose
    // message says what failed and why. After a failed write or read, isAvailable() tells
    // the two kinds apart: false, the database is gone for now and a shared store is
    // reconnecting (a server answers 503); true, the call itself failed (500).

    // Opens or creates the database and its tables.
    virtual Result<void> open() = 0;
    virtual void close() = 0;
    virtual bool isOpen() const = 0;
    // The path or URL, without a password: safe to print.
    virtual QString displayName() const = 0;
    // Whether other servers may write to the same chain (then they also forge).
    virtual bool isShared() const { return false; }
    // Whether the database answers now; a shared store reconnects by itself.
    virtual bool isAvailable() const { return isOpen(); }

    // Reads and verifies every block (links, proofs, the recorded tip) and the pending
    // transactions. An empty database gets a genesis block first. A database that fails
    // verification is refused with a message saying what is wrong; it is never changed.
    virtual Result<Chain> load(int difficulty) = 0;

    // Forges the block after previous in one transaction: only if previous is still the
    // stored tip, claiming the oldest pending transactions build() puts in the block (it
    // gets every stored pending transaction, oldest first). The value is the stored block,
    // committed and durable, or nullopt if previous is no longer the tip: another server
    // won (not a failure; a server answers 409). A failure is a 503 or a 500, as above.
    using BlockBuilder = std::function<Block(const CanonicalJson::Json &pending)>;
    virtual Result<std::optional<Block>> forgeNext(const Block &previous, int difficulty,
                                                   const BlockBuilder &build) = 0;

    // Stores block at difficulty and drops the pending transactions it holds (the oldest
    // ones), in one transaction.
    virtual Result<void> appendBlock(const Block &block, int difficulty) = 0;
    virtual Result<void> addPendingTransaction(const CanonicalJson::Json &transaction) = 0;

    // The blocks after height and every pending transaction: how a server catches up with
    // blocks forged elsewhere.
    virtual Result<Update> readSince(std::int64_t height) = 0;

    // Copies chain (blocks and pending transactions) into this store, which must hold no
    // block yet, in one transaction.
    virtual Result<void> importChain(const Chain &chain) = 0;

signals:
    // Some server committed block height (a shared store: also blocks of other servers,
    // and the stored height once a second while reachable, changed or not, so that a
    // follower that missed a block catches up; followers compare it with their own tip).
    void tipChanged(qint64 height);
    // The database went away or came back.
    void availabilityChanged(bool available);

protected:
    ChainStore() = default;
};
