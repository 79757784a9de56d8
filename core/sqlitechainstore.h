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
    bool open(QString *error) override;
    void close() override;
    bool isOpen() const override { return m_open; }
    QString displayName() const override { return m_path; }
    const QString &path() const { return m_path; }

    std::optional<Chain> load(int difficulty, QString *error) override;
    Outcome forgeNext(const Block &previous, int difficulty, const BlockBuilder &build,
                      Block *block, QString *error) override;
    bool appendBlock(const Block &block, int difficulty, QString *error) override;
    bool addPendingTransaction(const CanonicalJson::Json &transaction, QString *error) override;
    bool readSince(std::int64_t height, std::vector<Block> *blocks,
                   std::vector<int> *difficulties, CanonicalJson::Json *pending,
                   QString *error) override;
    bool importChain(const Chain &chain, QString *error) override;

private:
    bool openConnection(QString *error);
    void closeConnection();
    bool keepJournal(QString *error);
    bool exec(const QString &statement, QString *error);

    QString m_path;
    QString m_connectionName;
    int m_lock = -1;   // descriptor of the lock file, flock()ed while open
    bool m_open = false;
};
