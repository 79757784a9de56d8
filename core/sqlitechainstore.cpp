#include "core/sqlitechainstore.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <QFile>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QVariant>

#include "core/logging.h"
#include "core/sqlchain.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

namespace
{
std::atomic<int> s_connectionCounter {0};

QString errorText(int code)
{
    return QString::fromLocal8Bit(std::strerror(code));
}
}

SqliteChainStore::SqliteChainStore(const QString &path)
    : m_path{path}
    , m_connectionName{u"blockforge-chainstore-%1"_s.arg(s_connectionCounter.fetch_add(1))}
{
}

SqliteChainStore::~SqliteChainStore()
{
    close();
}

Result<void> SqliteChainStore::open()
{
    close();
    const QString what = u"Cannot open chain database \"%1\": "_s.arg(m_path);
    const QFileInfo file(m_path);
    if (file.isDir())
        return Error{what + u"it is a folder"_s};
    // The server writes every block to the file and keeps its journal and lock file next
    // to it: say so, rather than the "disk I/O error" SQLite gives.
    const QByteArray native = QFile::encodeName(m_path);
    if (file.exists() && ::access(native.constData(), W_OK) != 0)
        return Error{what + u"the file is read-only (%1)"_s.arg(errorText(errno))};
    const QString folder = file.absolutePath();
    if (::access(QFile::encodeName(folder).constData(), W_OK) != 0) {
        return Error{what + u"its folder \"%1\" is read-only (%2): the server keeps its"
                            " journal and lock file there"_s.arg(folder, errorText(errno))};
    }
    // One server per database file, held for as long as it is open (the kernel lets go
    // of it if the process dies). Other readers, such as a backup, are welcome.
    m_lock = ::open(QFile::encodeName(m_path + u".lock"_s).constData(),
                    O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m_lock < 0)
        return Error{what + u"cannot create its lock file: "_s + errorText(errno)};
    if (::flock(m_lock, LOCK_EX | LOCK_NB) != 0) {
        const int code = errno;
        close();
        return Error{what + (code == EWOULDBLOCK
                                 ? u"it is locked by another server (\"%1.lock\")"_s.arg(m_path)
                                 : u"cannot lock it: "_s + errorText(code))};
    }
    if (const Result<void> connected = openConnection(); !connected) {
        close();
        return Error{what + connected.errorMessage()};
    }
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (const Result<void> format = SqlChain::checkFormat(db); !format) {
        db = QSqlDatabase();
        close();
        return Error{what + format.errorMessage()};
    }
    qCInfo(lcStore) << "Opened chain database" << m_path;
    return {};
}

Result<void> SqliteChainStore::openConnection()
{
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_connectionName);
        db.setDatabaseName(m_path);
        // The lock file keeps other servers out; a reader never waits long.
        db.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=0"_s);
        if (!db.open()) {
            const QString reason = db.lastError().text();
            db = QSqlDatabase();
            QSqlDatabase::removeDatabase(m_connectionName);
            return Error{reason};
        }
    }
    m_open = true;
    // WAL, and FULL sync so that a committed block survives a power cut.
    QStringList statements{u"PRAGMA journal_mode=WAL"_s, u"PRAGMA synchronous=FULL"_s};
    statements += SqlChain::schema(SqlChain::Dialect::Sqlite);
    for (const QString &statement : std::as_const(statements)) {
        if (Result<void> done = exec(statement); !done)
            return done;
    }
    return {};
}

void SqliteChainStore::closeConnection()
{
    if (!QSqlDatabase::contains(m_connectionName))
        return;
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
    m_open = false;
}

void SqliteChainStore::close()
{
    closeConnection();
    if (m_lock >= 0) {
        ::close(m_lock);
        m_lock = -1;
    }
}

// The blocks committed since the last checkpoint live in the -wal file. If someone deleted
// it (or the -shm file) while the server runs, SQLite goes on writing to the deleted file,
// and those blocks would be gone on the next start. Copy them into the database file while
// the deleted one is still open, and start a new journal.
Result<void> SqliteChainStore::keepJournal()
{
    if (QFileInfo::exists(m_path + u"-wal"_s) && QFileInfo::exists(m_path + u"-shm"_s))
        return {};
    qCWarning(lcStore) << "The journal of" << m_path
                       << "was deleted while the server ran: writing its blocks into the database";
    for (int attempt = 0;; ++attempt) {
        QSqlQuery checkpoint(QSqlDatabase::database(m_connectionName, false));
        if (!checkpoint.exec(u"PRAGMA wal_checkpoint(TRUNCATE)"_s) || !checkpoint.next())
            return Error{checkpoint.lastError().text()};
        if (checkpoint.value(0).toInt() == 0)   // not blocked by a reader
            break;
        if (attempt == 100)
            return Error{u"the journal cannot be written back: readers hold it"_s};
        checkpoint = QSqlQuery();
        QThread::msleep(10);
    }
    closeConnection();
    return openConnection();
}

Result<void> SqliteChainStore::exec(const QString &statement)
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    if (!query.exec(statement))
        return Error{query.lastError().text()};
    return {};
}

Result<Chain> SqliteChainStore::load(int difficulty)
{
    const QString what = u"Chain database \"%1\" "_s.arg(m_path);
    if (!m_open)
        return Error{what + u"is not open"_s};
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    Result<std::optional<Chain>> stored = SqlChain::load(db, SqlChain::Dialect::Sqlite, what,
                                                         difficulty);
    if (!stored)
        return stored.error();
    if (*stored) {
        Chain &chain = **stored;
        qCInfo(lcStore) << "Loaded" << chain.length() << "blocks and"
                        << chain.pendingTransactions().size() << "pending transactions from"
                        << m_path;
        return std::move(chain);
    }
    Chain created(difficulty);
    if (const Result<void> appended = appendBlock(created.lastBlock(), 0); !appended)
        return Error{what + u"cannot store the genesis block: "_s + appended.errorMessage()};
    qCInfo(lcStore) << "Created a new chain in" << m_path;
    return created;
}

Result<void> SqliteChainStore::appendBlock(const Block &block, int difficulty)
{
    if (!m_open)
        return Error{u"the database is not open"_s};
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    const Result<void> appended = SqlChain::appendBlock(db, SqlChain::Dialect::Sqlite, block,
                                                        difficulty);
    return appended ? keepJournal() : appended;
}

Result<std::optional<Block>> SqliteChainStore::forgeNext(const Block &previous, int difficulty,
                                                         const BlockBuilder &build)
{
    if (!m_open)
        return Error{u"the database is not open"_s};
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    Result<std::optional<Block>> forged = SqlChain::forgeNext(db, SqlChain::Dialect::Sqlite,
                                                              previous, difficulty, build);
    if (forged && *forged) {
        if (const Result<void> kept = keepJournal(); !kept)
            return kept.error();
    }
    return forged;
}

Result<ChainStore::Update> SqliteChainStore::readSince(std::int64_t height)
{
    if (!m_open)
        return Error{u"the database is not open"_s};
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    return SqlChain::readSince(db, height);
}

Result<void> SqliteChainStore::importChain(const Chain &chain)
{
    if (!m_open)
        return Error{u"the database is not open"_s};
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    const Result<void> imported = SqlChain::importChain(db, SqlChain::Dialect::Sqlite, chain);
    return imported ? keepJournal() : imported;
}

Result<void> SqliteChainStore::addPendingTransaction(const Json &transaction)
{
    if (!m_open)
        return Error{u"the database is not open"_s};
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    return SqlChain::addPendingTransaction(db, transaction);
}
