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
    // What a forging attempt came to.
    enum class Outcome {
        Committed,     // the block is durable: acknowledge it
        Stale,         // the tip it was checked against moved (another server won): 409
        Unavailable,   // the database is gone for now (reconnecting): 503
        Failed,        // anything else: 500
    };

    // A "postgresql://" or "postgres://" URL picks PostgreSQL; anything else is a SQLite
    // file path.
    static bool isDatabaseUrl(const QString &location);
    static std::unique_ptr<ChainStore> create(const QString &location);

    ~ChainStore() override = default;

    // Opens or creates the database and its tables; says why not.
    virtual bool open(QString *error) = 0;
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
    virtual std::optional<Chain> load(int difficulty, QString *error) = 0;

    // Forges the block after previous in one transaction: only if previous is still the
    // stored tip, claiming the oldest pending transactions build() puts in the block (it
    // gets every stored pending transaction, oldest first). *block is the stored block.
    using BlockBuilder = std::function<Block(const CanonicalJson::Json &pending)>;
    virtual Outcome forgeNext(const Block &previous, int difficulty, const BlockBuilder &build,
                              Block *block, QString *error) = 0;

    // Stores block at difficulty and drops the pending transactions it holds (the oldest
    // ones), in one transaction.
    virtual bool appendBlock(const Block &block, int difficulty, QString *error) = 0;
    // A failed write or read: isAvailable() says whether the database was gone (503).
    virtual bool addPendingTransaction(const CanonicalJson::Json &transaction,
                                       QString *error) = 0;

    // The blocks after height (with the difficulty each was checked at) and every pending
    // transaction: how a server catches up with blocks forged elsewhere.
    virtual bool readSince(std::int64_t height, std::vector<Block> *blocks,
                           std::vector<int> *difficulties, CanonicalJson::Json *pending,
                           QString *error) = 0;

    // Copies chain (blocks and pending transactions) into this store, which must hold no
    // block yet, in one transaction.
    virtual bool importChain(const Chain &chain, QString *error) = 0;

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
