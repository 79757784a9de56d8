#include "core/minerid.h"

#include <QDir>
#include <QFile>
#include <QSaveFile>
#include <QStandardPaths>

using namespace Qt::StringLiterals;

namespace
{
constexpr qint64 MaxIdFileBytes = 64 * 1024;
}

namespace MinerId
{
QString defaultFileName()
{
    return u"my_id.txt"_s;
}

QString defaultPath()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
        .filePath(defaultFileName());
}

Result<QString> read(const QString &path)
{
    if (path.isEmpty())
        return Error{u"No miner id file given"_s};
    QFile file(path);
    if (!file.exists())
        return Error{u"Cannot read the miner id from \"%1\": the file does not exist "
                     "(put your id in it, e.g. your name)"_s.arg(path)};
    if (!file.open(QIODevice::ReadOnly))
        return Error{u"Cannot read the miner id from \"%1\": %2"_s.arg(path, file.errorString())};
    const QByteArray bytes = file.read(MaxIdFileBytes);
    if (file.error() != QFileDevice::NoError)
        return Error{u"Cannot read the miner id from \"%1\": %2"_s.arg(path, file.errorString())};
    const QString id = QString::fromUtf8(bytes).trimmed();
    if (id.isEmpty())
        return Error{u"The miner id file \"%1\" is empty: put your id in it"_s.arg(path)};
    return id;
}

Result<bool> save(const QString &path, const QString &id)
{
    const QString trimmed = id.trimmed();
    if (trimmed.isEmpty())
        return Error{u"No miner id: type your id (e.g. your name) in the Miner id field"_s};
    if (path.isEmpty())
        return Error{u"No id file: give the file the miner id is saved to"_s};
    if (const Result<QString> current = read(path); current && *current == trimmed)
        return false;
    QSaveFile file(path);
    const QByteArray bytes = (trimmed + u'\n').toUtf8();
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        return Error{u"Cannot save the miner id to \"%1\": %2"_s.arg(path, file.errorString())};
    return true;
}
}
