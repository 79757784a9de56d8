#include "pgcluster.h"

#include <QProcess>

using namespace Qt::StringLiterals;

PgCluster::~PgCluster()
{
    if (m_running)
        static_cast<void>(stop());   // nothing to tell: the test is over
}

QString PgCluster::password()
{
    return u"s3cret-pw"_s;
}

Result<QString> PgCluster::harness(const QStringList &arguments) const
{
    QProcess process;
    process.start(QStringLiteral(BLOCKFORGE_PYTHON),
                  QStringList{QStringLiteral(BLOCKFORGE_SOURCE_DIR "/tests/python/pgcluster.py")}
                      + arguments);
    if (!process.waitForFinished(120'000) || process.exitStatus() != QProcess::NormalExit
        || process.exitCode() != 0) {
        return Error{u"pgcluster.py %1 failed: %2 %3"_s.arg(arguments.join(u' '))
                         .arg(QString::fromUtf8(process.readAllStandardError()),
                              process.errorString())};
    }
    return QString::fromUtf8(process.readAllStandardOutput()).trimmed();
}

Result<void> PgCluster::start()
{
    if (!m_dir.isValid())
        return Error{u"Cannot create a temporary folder for PostgreSQL"_s};
    const Result<QString> url = harness({u"start"_s, m_dir.path()});
    if (!url)
        return url.error();
    m_url = *url;
    m_running = true;
    return {};
}

Result<void> PgCluster::stop()
{
    if (const Result<QString> stopped = harness({u"stop"_s, m_dir.path()}); !stopped)
        return stopped.error();
    m_running = false;
    return {};
}

Result<QString> PgCluster::psql(const QString &sql) const
{
    return harness({u"psql"_s, m_dir.path(), sql});
}

Result<void> PgCluster::reset()
{
    const Result<QString> dropped = psql(u"DROP TABLE IF EXISTS meta, blocks, pending"_s);
    if (!dropped)
        return dropped.error();
    return {};
}
