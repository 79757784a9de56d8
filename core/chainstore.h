#pragma once

#include <cstdint>
#include <optional>

#include <QString>

#include "core/block.h"
#include "core/chain.h"

// The chain on disk: one SQLite file (WAL, synchronous=FULL) holding the blocks in
// their canonical JSON, the difficulty each proof was checked at, and the pending
// transactions. A write returns only after its transaction committed, so a caller
// may acknowledge it. One store per file at a time (a lock file, "<path>.lock", held
// while open); other processes may read it, as a backup does. Used from the thread that
// opened it only.
class ChainStore final
{
    Q_DISABLE_COPY_MOVE(ChainStore)

public:
    explicit ChainStore(const QString &path);
    ~ChainStore();

    // Opens or creates the database file and its tables. A read-only file or folder, or a
    // file another store holds, is refused with a message saying so.
    bool open(QString *error);
    void close();
    bool isOpen() const { return m_open; }
    const QString &path() const { return m_path; }

    // Reads and verifies every block and the pending transactions. An empty database
    // gets a genesis block first. A database that fails verification is refused with
    // a message saying what is wrong; it is never changed.
    std::optional<Chain> load(int difficulty, QString *error);

    // Stores block at difficulty and drops the pending transactions it holds (the oldest
    // ones), in one transaction.
    bool appendBlock(const Block &block, int difficulty, QString *error);
    bool addPendingTransaction(const CanonicalJson::Json &transaction, QString *error);

private:
    bool openConnection(QString *error);
    void closeConnection();
    bool commitBlock(const Block &block, int difficulty, QString *error);
    bool keepJournal(QString *error);
    bool exec(const QString &statement, QString *error);

    QString m_path;
    QString m_connectionName;
    int m_lock = -1;   // descriptor of the lock file, flock()ed while open
    bool m_open = false;
};
