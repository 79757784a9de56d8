#pragma once

#include <QString>
#include <QTemporaryDir>

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

    bool start(QString *error);   // creates the cluster the first time
    bool stop(QString *error);    // fast shutdown: every client is disconnected
    // postgresql://blockforge:<password>@127.0.0.1:<port>/blockforge
    const QString &url() const { return m_url; }
    static QString password();
    // Runs SQL on the cluster's database with psql; returns its output (-At).
    QString psql(const QString &sql, QString *error = nullptr) const;
    // Drops the chain's tables: the next store opened starts a new chain.
    bool reset(QString *error);

private:
    bool harness(const QStringList &arguments, QString *output, QString *error) const;

    QTemporaryDir m_dir;
    QString m_url;
    bool m_running = false;
};
