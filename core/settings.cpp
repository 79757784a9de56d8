#include "core/settings.h"

#include <algorithm>

#include <QCryptographicHash>
#include <QDir>
#include <QSettings>
#include <QStandardPaths>
#include <QThread>

#include "core/minerid.h"
#include "core/pow.h"
#include "core/validate.h"

using namespace Qt::StringLiterals;

namespace
{
const QString ServerUrlKey = u"Miner/ServerUrl"_s;
const QString IdFileKey = u"Miner/IdFile"_s;
const QString ThreadsKey = u"Miner/Threads"_s;
const QString EngineKey = u"Miner/Engine"_s;
const QString ServerEnabledKey = u"Server/Enabled"_s;
const QString ServerPortKey = u"Server/Port"_s;
const QString ServerDifficultyKey = u"Server/Difficulty"_s;
const QString ServerDatabasePathKey = u"Server/DatabasePath"_s;
const QString WindowGeometryKey = u"Window/Geometry"_s;
const QString WindowStateKey = u"Window/State"_s;
const QString LastCoinNodeKey = u"Coins/LastNode"_s;
const QString LastCoinIdKey = u"Coins/LastId"_s;

// A settings group per node and id: a hash, since either may hold any character.
QString coinGroup(const QString &nodeUrl, const QString &id)
{
    const QByteArray key = QCryptographicHash::hash((nodeUrl + u'\n' + id).toUtf8(),
                                                    QCryptographicHash::Sha256);
    return u"Coins/"_s + QString::fromLatin1(key.toHex().left(32)) + u'/';
}

int intIn(const QVariant &value, int low, int high, int fallback)
{
    bool ok = false;
    const int number = value.toInt(&ok);
    return ok && number >= low && number <= high ? number : fallback;
}

QString nonEmpty(const QVariant &value, const QString &fallback)
{
    const QString text = value.toString().trimmed();
    return text.isEmpty() ? fallback : text;
}
}

Settings::Settings(const QString &filePath)
    : m_settings{filePath.isEmpty() ? std::make_unique<QSettings>()
                                    : std::make_unique<QSettings>(filePath, QSettings::IniFormat)}
{
}

Settings::~Settings() = default;

QString Settings::fileName() const
{
    return m_settings->fileName();
}

void Settings::sync()
{
    m_settings->sync();
}

QString Settings::serverUrl() const
{
    const QString url = m_settings->value(ServerUrlKey).toString().trimmed();
    return Validate::nodeUrls(url) ? url : defaultServerUrl();
}

void Settings::setServerUrl(const QString &url)
{
    if (url.trimmed().isEmpty())
        m_settings->remove(ServerUrlKey);
    else
        m_settings->setValue(ServerUrlKey, url);
}

bool Settings::hasServerUrl() const
{
    return !m_settings->value(ServerUrlKey).toString().trimmed().isEmpty();
}

QString Settings::idFile() const
{
    return nonEmpty(m_settings->value(IdFileKey), defaultIdFile());
}

void Settings::setIdFile(const QString &path)
{
    m_settings->setValue(IdFileKey, path);
}

int Settings::threads() const
{
    const QString stored = m_settings->value(ThreadsKey).toString();
    return Validate::threadCount(stored).valueOr(defaultThreads());
}

void Settings::setThreads(int threads)
{
    m_settings->setValue(ThreadsKey, std::clamp(threads, 1, Validate::MaxThreads));
}

QString Settings::engine() const
{
    return nonEmpty(m_settings->value(EngineKey), autoEngine());
}

void Settings::setEngine(const QString &name)
{
    m_settings->setValue(EngineKey, name);
}

bool Settings::serverEnabled() const
{
    return m_settings->value(ServerEnabledKey, !hasServerUrl()).toBool();
}

void Settings::setServerEnabled(bool enabled)
{
    m_settings->setValue(ServerEnabledKey, enabled);
}

int Settings::serverPort() const
{
    return intIn(m_settings->value(ServerPortKey), 0, 65535, DefaultServerPort);
}

void Settings::setServerPort(int port)
{
    m_settings->setValue(ServerPortKey, std::clamp(port, 0, 65535));
}

int Settings::serverDifficulty() const
{
    return intIn(m_settings->value(ServerDifficultyKey), 1, Pow::MaxDifficulty,
                 DefaultServerDifficulty);
}

void Settings::setServerDifficulty(int difficulty)
{
    m_settings->setValue(ServerDifficultyKey, std::clamp(difficulty, 1, Pow::MaxDifficulty));
}

QString Settings::serverDatabasePath() const
{
    return nonEmpty(m_settings->value(ServerDatabasePathKey), defaultDatabasePath());
}

void Settings::setServerDatabasePath(const QString &path)
{
    m_settings->setValue(ServerDatabasePathKey, path);
}

QByteArray Settings::windowGeometry() const
{
    return m_settings->value(WindowGeometryKey).toByteArray();
}

void Settings::setWindowGeometry(const QByteArray &geometry)
{
    m_settings->setValue(WindowGeometryKey, geometry);
}

QByteArray Settings::windowState() const
{
    return m_settings->value(WindowStateKey).toByteArray();
}

void Settings::setWindowState(const QByteArray &state)
{
    m_settings->setValue(WindowStateKey, state);
}

Settings::CoinRecord Settings::coinRecord(const QString &nodeUrl, const QString &id) const
{
    const QString group = coinGroup(nodeUrl, id);
    CoinRecord record;
    record.earned = std::max<qint64>(0, m_settings->value(group + u"Earned"_s).toLongLong());
    record.chainBalance = m_settings->value(group + u"ChainBalance"_s).toDouble();
    record.chainBlocks = std::max<qint64>(0, m_settings->value(group + u"ChainBlocks"_s).toLongLong());
    record.chainHash = m_settings->value(group + u"ChainHash"_s).toByteArray();
    if (record.chainBlocks == 0 || record.chainHash.isEmpty()) {
        record.chainBalance = 0;
        record.chainBlocks = 0;
        record.chainHash.clear();
    }
    return record;
}

void Settings::setCoinRecord(const QString &nodeUrl, const QString &id, const CoinRecord &record)
{
    const QString group = coinGroup(nodeUrl, id);
    m_settings->setValue(group + u"Node"_s, nodeUrl);
    m_settings->setValue(group + u"Id"_s, id);
    m_settings->setValue(group + u"Earned"_s, record.earned);
    m_settings->setValue(group + u"ChainBalance"_s, record.chainBalance);
    m_settings->setValue(group + u"ChainBlocks"_s, record.chainBlocks);
    m_settings->setValue(group + u"ChainHash"_s, record.chainHash);
}

QString Settings::lastCoinNode() const
{
    return m_settings->value(LastCoinNodeKey).toString();
}

QString Settings::lastCoinId() const
{
    return m_settings->value(LastCoinIdKey).toString();
}

void Settings::setLastCoinAccount(const QString &nodeUrl, const QString &id)
{
    m_settings->setValue(LastCoinNodeKey, nodeUrl);
    m_settings->setValue(LastCoinIdKey, id);
}

QString Settings::defaultServerUrl()
{
    return u"http://127.0.0.1:%1"_s.arg(DefaultServerPort);
}

QString Settings::defaultIdFile()
{
    return MinerId::defaultPath();
}

int Settings::defaultThreads()
{
    return std::clamp(QThread::idealThreadCount(), 1, Validate::MaxThreads);
}

QString Settings::autoEngine()
{
    return u"auto"_s;
}

QString Settings::defaultDatabasePath()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
        .filePath(u"chain.db"_s);
}
