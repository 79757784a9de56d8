#include "core/chainbackup.h"

#include <cstdio>
#include <memory>
#include <utility>

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

QString sqliteError(sqlite3 *db)
{
    return QString::fromUtf8(sqlite3_errmsg(db));
}

Result<Database> open(const QString &path, int flags)
{
    sqlite3 *handle = nullptr;
    const int rc = sqlite3_open_v2(QFile::encodeName(path).constData(), &handle, flags, nullptr);
    Database db(handle);
    if (rc != SQLITE_OK)
        return Error{handle ? sqliteError(handle) : QString::fromUtf8(sqlite3_errstr(rc))};
    sqlite3_busy_timeout(handle, BusyTimeoutMs);
    return db;
}

// The first column of the first row of a query, as text.
Result<QString> single(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *statement = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) != SQLITE_OK)
        return Error{sqliteError(db)};
    Result<QString> value = sqlite3_step(statement) == SQLITE_ROW
        ? Result<QString>(QString::fromUtf8(
            reinterpret_cast<const char *>(sqlite3_column_text(statement, 0))))
        : Result<QString>(Error{sqliteError(db)});
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
    {
        Result<Database> opened = open(path, SQLITE_OPEN_READWRITE);
        if (!opened)
            return Error{what + opened.errorMessage()};
        const Database source = std::move(*opened);
        const Result<QString> format = single(source.get(),
                                              "SELECT value FROM meta WHERE key = 'format'");
        if (!format || *format != u"blockforge-chain-1"_s) {
            return Error{what + u"it is not a blockforge chain database"_s
                         + (format ? QString() : u" ("_s + format.errorMessage() + u')')};
        }
        opened = open(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        if (!opened)
            return Error{what + opened.errorMessage()};
        const Database copy = std::move(*opened);
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
        const Result<QString> check = single(copy.get(), "PRAGMA integrity_check");
        const Result<QString> count = single(copy.get(), "SELECT COUNT(*) FROM blocks");
        if (!check || *check != u"ok"_s || !count || count->isEmpty()) {
            QFile::remove(partial);
            // What integrity_check found, or why a query failed.
            const QString why = !check ? check.errorMessage()
                : *check != u"ok"_s    ? *check
                                       : count.errorMessage();
            return Error{what + u"the copy fails its check: "_s + why};
        }
        *blocks = count->toLongLong();
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
