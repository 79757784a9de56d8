#pragma once

#include <QString>
#include <QTemporaryDir>

#include "core/result.h"

// A throw-away PostgreSQL cluster for one test program, run by tests/python/pgcluster.py
// (the one harness every PostgreSQL test uses): initdb in a temporary folder, a free
// port, as "nobody" when the tests run as root. Where PostgreSQL is missing, start()
// fails with the harness's message: the test fails, it never skips.
class PgCluster final
{
    Q_DISABLE_COPY_MOVE(PgCluster)

public:
    PgCluster() = default;
    ~PgCluster();

    Result<void> start();   // creates the cluster the first time
    Result<void> stop();    // fast shutdown: every client is disconnected
    // postgresql://blockforge:<password>@127.0.0.1:<port>/blockforge
    const QString &url() const { return m_url; }
    static QString password();
    // Runs SQL on the cluster's database with psql; returns its output (-At).
    Result<QString> psql(const QString &sql) const;
    // Drops the chain's tables: the next store opened starts a new chain.
    Result<void> reset();

private:
    // Runs pgcluster.py with arguments; returns what it printed.
    Result<QString> harness(const QStringList &arguments) const;

    QTemporaryDir m_dir;
    QString m_url;
    bool m_running = false;
};
