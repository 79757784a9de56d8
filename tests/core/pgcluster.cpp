#include "pgcluster.h"

#include <QProcess>

using namespace Qt::StringLiterals;

PgCluster::~PgCluster()
{
    if (m_running)
        stop(nullptr);
}

QString PgCluster::password()
{
    return u"s3cret-pw"_s;
}

bool PgCluster::harness(const QStringList &arguments, QString *output, QString *error) const
{
    QProcess process;
    process.start(QStringLiteral(BLOCKFORGE_PYTHON),
                  QStringList{QStringLiteral(BLOCKFORGE_SOURCE_DIR "/tests/python/pgcluster.py")}
                      + arguments);
    if (!process.waitForFinished(120'000) || process.exitStatus() != QProcess::NormalExit
        || process.exitCode() != 0) {
        if (error)
            *error = u"pgcluster.py %1 failed: %2 %3"_s.arg(arguments.join(u' '))
                         .arg(QString::fromUtf8(process.readAllStandardError()),
                              process.errorString());
        return false;
    }
    if (output)
        *output = QString::fromUtf8(process.readAllStandardOutput()).trimmed();
    return true;
}

bool PgCluster::start(QString *error)
{
    if (!m_dir.isValid()) {
        if (error)
            *error = u"Cannot create a temporary folder for PostgreSQL"_s;
        return false;
    }
    if (!harness({u"start"_s, m_dir.path()}, &m_url, error))
        return false;
    m_running = true;
    return true;
}

bool PgCluster::stop(QString *error)
{
    if (!harness({u"stop"_s, m_dir.path()}, nullptr, error))
        return false;
    m_running = false;
    return true;
}

QString PgCluster::psql(const QString &sql, QString *error) const
{
    QString output;
    if (!harness({u"psql"_s, m_dir.path(), sql}, &output, error))
        return QString();
    return output;
}

bool PgCluster::reset(QString *error)
{
    QString failure;
    psql(u"DROP TABLE IF EXISTS meta, blocks, pending"_s, &failure);
    if (!failure.isEmpty() && error)
        *error = failure;
    return failure.isEmpty();
}
