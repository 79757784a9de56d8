#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include <QSqlDriver>
#include <QString>
#include <QUrl>

#include "core/chainstore.h"

class QSqlDatabase;
class QThread;
class QTimer;

// The chain in a PostgreSQL database (QtSql's QPSQL driver), shared by several servers:
// the same tables as SQLite, a forging transaction that locks the tip row and commits
// only on the tip the proof was checked against (so the first valid proof wins across
// all servers, decided by the database), and a NOTIFY on each block that every server
// LISTENs to (tipChanged). A once-a-second look at the recorded length catches anything
// a lost connection missed. When the database goes away the store says so
// (availabilityChanged, isAvailable) and reconnects by itself: every half second a probe
// thread tries a connection (which may take up to the connect timeout), and only once
// one succeeds does the store's own thread connect again, so a database that hangs never
// holds the server's thread.
//
// location: postgresql://user:password@host:port/dbname (or postgres://), optionally with
// libpq options as query items (?sslmode=require&connect_timeout=3).
class PostgresChainStore final : public ChainStore
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PostgresChainStore)

public:
    explicit PostgresChainStore(const QString &location);
    ~PostgresChainStore() override;

    Result<void> open() override;
    void close() override;
    bool isOpen() const override { return m_open; }
    QString displayName() const override;
    bool isShared() const override { return true; }
    bool isAvailable() const override { return m_open && m_available; }

    Result<Chain> load(int difficulty) override;
    Result<std::optional<Block>> forgeNext(const Block &previous, int difficulty,
                                           const BlockBuilder &build) override;
    Result<void> appendBlock(const Block &block, int difficulty) override;
    Result<void> addPendingTransaction(const CanonicalJson::Json &transaction) override;
    Result<Update> readSince(std::int64_t height) override;
    Result<void> importChain(const Chain &chain) override;

private:
    // Sets host, port, user, password, database and libpq options on db.
    void configure(QSqlDatabase &db) const;
    Result<void> openConnection();
    void closeConnection();
    Result<void> ensureAvailable();
    // After a failed statement: whether the connection still answers; if not, the
    // database is marked unavailable and reconnecting starts.
    bool stillConnected();
    void connectionLost(const QString &reason);
    void tryReconnect();
    void probeFinished(bool reachable, const QString &reason);
    void poll();
    void onNotification(const QString &name, QSqlDriver::NotificationSource source,
                        const QVariant &payload);
    QString oneLine(const QString &text) const;

    QString m_location;
    QUrl m_url;
    QString m_connectionName;
    QTimer *m_reconnectTimer = nullptr;   // children of this
    QTimer *m_pollTimer = nullptr;
    bool m_open = false;
    bool m_available = false;

    struct ThreadJoiner
    {
        void operator()(QThread *thread) const;
    };
    std::unique_ptr<QThread, ThreadJoiner> m_probe;   // last: joined before the rest goes
};
