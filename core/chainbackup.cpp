#include "core/chainbackup.h"

#include <cstdio>
#include <memory>

#include <fcntl.h>
#include <unistd.h>

#include <sqlite3.h>

#include <QFile>
#include <QFileInfo>
#include <QThread>

using namespace Qt::StringLiterals;

namespace
{
constexpr int BusyTimeoutMs = 5000;
constexpr int MaxBusySteps = 100;   // 20 ms apart: a writer holding us off for 2 s is news

struct Close
{
    void operator()(sqlite3 *db) const { sqlite3_close_v2(db); }
};
using Database = std::unique_ptr<sqlite3, Close>;

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

QString sqliteError(sqlite3 *db)
{
    return QString::fromUtf8(sqlite3_errmsg(db));
}

Database open(const QString &path, int flags, QString *error)
{
    sqlite3 *handle = nullptr;
    const int rc = sqlite3_open_v2(QFile::encodeName(path).constData(), &handle, flags, nullptr);
    Database db(handle);
    if (rc != SQLITE_OK) {
        fail(error, handle ? sqliteError(handle) : QString::fromUtf8(sqlite3_errstr(rc)));
        return nullptr;
    }
    sqlite3_busy_timeout(handle, BusyTimeoutMs);
    return db;
}

// The first column of the first row of a query, as text.
QString single(sqlite3 *db, const char *sql, QString *error)
{
    sqlite3_stmt *statement = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) != SQLITE_OK) {
        fail(error, sqliteError(db));
        return QString();
    }
    QString value;
    if (sqlite3_step(statement) == SQLITE_ROW)
        value = QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(statement, 0)));
    else
        fail(error, sqliteError(db));
    sqlite3_finalize(statement);
    return value;
}

bool syncFolder(const QString &folder)
{
    const int fd = ::open(QFile::encodeName(folder).constData(),
                          O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    return synced;
}
}

namespace ChainBackup
{
Result<void> write(const QString &path, const QString &target, qint64 *blocks)
{
    const QString what = u"Cannot back up \"%1\" to \"%2\": "_s.arg(path, target);
    if (!QFileInfo(path).isFile())
        return Error{what + u"there is no database file there"_s};
    const QString partial = target + u".partial"_s;
    QFile::remove(partial);
    QString reason;
    {
        const Database source = open(path, SQLITE_OPEN_READWRITE, &reason);
        if (!source)
            return Error{what + reason};
        if (single(source.get(), "SELECT value FROM meta WHERE key = 'format'", &reason)
            != u"blockforge-chain-1"_s) {
            return Error{what + u"it is not a blockforge chain database"_s
                         + (reason.isEmpty() ? QString() : u" ("_s + reason + u')')};
        }
        const Database copy = open(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &reason);
        if (!copy)
            return Error{what + reason};
        sqlite3_backup *backup = sqlite3_backup_init(copy.get(), "main", source.get(), "main");
        if (!backup)
            return Error{what + sqliteError(copy.get())};
        // All pages in one step: one read transaction, so one consistent snapshot.
        int rc = SQLITE_OK;
        for (int step = 0; step < MaxBusySteps; ++step) {
            rc = sqlite3_backup_step(backup, -1);
            if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
                break;
            QThread::msleep(20);
        }
        sqlite3_backup_finish(backup);
        if (rc != SQLITE_DONE) {
            QFile::remove(partial);
            return Error{what + QString::fromUtf8(sqlite3_errstr(rc))};
        }
        const QString check = single(copy.get(), "PRAGMA integrity_check", &reason);
        const QString count = single(copy.get(), "SELECT COUNT(*) FROM blocks", &reason);
        if (check != u"ok"_s || count.isEmpty()) {
            QFile::remove(partial);
            return Error{what + u"the copy fails its check: "_s
                         + (check.isEmpty() ? reason : check)};
        }
        *blocks = count.toLongLong();
    }   // both closed: the copy is committed and synced (synchronous=FULL by default)
    const QByteArray from = QFile::encodeName(partial);
    if (std::rename(from.constData(), QFile::encodeName(target).constData()) != 0) {
        QFile::remove(partial);
        return Error{what + u"cannot rename the copy into place"_s};
    }
    syncFolder(QFileInfo(target).absolutePath());
    return {};
}
}
