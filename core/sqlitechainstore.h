#pragma once

#include <cstdint>
#include <optional>

#include <QString>

#include "core/chainstore.h"

// The chain on disk: one SQLite file (WAL, synchronous=FULL) holding the blocks in
// their canonical JSON, the difficulty each proof was checked at, and the pending
// transactions. A write returns only after its transaction committed, so a caller
// may acknowledge it. One store per file at a time (a lock file, "<path>.lock", held
// while open); other processes may read it, as a backup does. Used from the thread that
// opened it only.
class SqliteChainStore final : public ChainStore
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SqliteChainStore)

public:
    explicit SqliteChainStore(const QString &path);
    ~SqliteChainStore() override;

    // Opens or creates the database file and its tables. A read-only file or folder, or a
    // file another store holds, is refused with a message saying so.
    Result<void> open() override;
    void close() override;
    bool isOpen() const override { return m_open; }
    QString displayName() const override { return m_path; }
    const QString &path() const { return m_path; }

    Result<Chain> load(int difficulty) override;
    Result<std::optional<Block>> forgeNext(const Block &previous, int difficulty,
                                           const BlockBuilder &build) override;
    Result<void> appendBlock(const Block &block, int difficulty) override;
    Result<void> addPendingTransaction(const CanonicalJson::Json &transaction) override;
    Result<Update> readSince(std::int64_t height) override;
    Result<void> importChain(const Chain &chain) override;

private:
    Result<void> openConnection();
    void closeConnection();
    Result<void> keepJournal();
    Result<void> exec(const QString &statement);

    QString m_path;
    QString m_connectionName;
    int m_lock = -1;   // descriptor of the lock file, flock()ed while open
    bool m_open = false;
};
