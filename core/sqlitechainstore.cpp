#include "core/sqlitechainstore.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

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

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

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

bool SqliteChainStore::open(QString *error)
{
    close();
    const QString what = u"Cannot open chain database \"%1\": "_s.arg(m_path);
    const QFileInfo file(m_path);
    if (file.isDir())
        return fail(error, what + u"it is a folder"_s);
    // The server writes every block to the file and keeps its journal and lock file next
    // to it: say so, rather than the "disk I/O error" SQLite gives.
    const QByteArray native = QFile::encodeName(m_path);
    if (file.exists() && ::access(native.constData(), W_OK) != 0)
        return fail(error, what + u"the file is read-only (%1)"_s.arg(errorText(errno)));
    const QString folder = file.absolutePath();
    if (::access(QFile::encodeName(folder).constData(), W_OK) != 0) {
        return fail(error, what + u"its folder \"%1\" is read-only (%2): the server keeps its"
                                  " journal and lock file there"_s.arg(folder, errorText(errno)));
    }
    // One server per database file, held for as long as it is open (the kernel lets go
    // of it if the process dies). Other readers, such as a backup, are welcome.
    m_lock = ::open(QFile::encodeName(m_path + u".lock"_s).constData(),
                    O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m_lock < 0)
        return fail(error, what + u"cannot create its lock file: "_s + errorText(errno));
    if (::flock(m_lock, LOCK_EX | LOCK_NB) != 0) {
        const int code = errno;
        close();
        return fail(error, what + (code == EWOULDBLOCK
                                       ? u"it is locked by another server (\"%1.lock\")"_s.arg(m_path)
                                       : u"cannot lock it: "_s + errorText(code)));
    }
    QString reason;
    if (!openConnection(&reason)) {
        close();
        return fail(error, what + reason);
    }
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (!SqlChain::checkFormat(db, &reason)) {
        db = QSqlDatabase();
        close();
        return fail(error, what + reason);
    }
    qCInfo(lcStore) << "Opened chain database" << m_path;
    return true;
}

bool SqliteChainStore::openConnection(QString *error)
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
            return fail(error, reason);
        }
    }
    m_open = true;
    // WAL, and FULL sync so that a committed block survives a power cut.
    if (!exec(u"PRAGMA journal_mode=WAL"_s, error) || !exec(u"PRAGMA synchronous=FULL"_s, error))
        return false;
    const QStringList schema = SqlChain::schema(SqlChain::Dialect::Sqlite);
    return std::all_of(schema.cbegin(), schema.cend(),
                       [this, error](const QString &statement) { return exec(statement, error); });
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
bool SqliteChainStore::keepJournal(QString *error)
{
    if (QFileInfo::exists(m_path + u"-wal"_s) && QFileInfo::exists(m_path + u"-shm"_s))
        return true;
    qCWarning(lcStore) << "The journal of" << m_path
                       << "was deleted while the server ran: writing its blocks into the database";
    for (int attempt = 0;; ++attempt) {
        QSqlQuery checkpoint(QSqlDatabase::database(m_connectionName, false));
        if (!checkpoint.exec(u"PRAGMA wal_checkpoint(TRUNCATE)"_s) || !checkpoint.next())
            return fail(error, checkpoint.lastError().text());
        if (checkpoint.value(0).toInt() == 0)   // not blocked by a reader
            break;
        if (attempt == 100)
            return fail(error, u"the journal cannot be written back: readers hold it"_s);
        checkpoint = QSqlQuery();
        QThread::msleep(10);
    }
    closeConnection();
    return openConnection(error);
}

bool SqliteChainStore::exec(const QString &statement, QString *error)
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    if (!query.exec(statement))
        return fail(error, query.lastError().text());
    return true;
}

std::optional<Chain> SqliteChainStore::load(int difficulty, QString *error)
{
    const QString what = u"Chain database \"%1\" "_s.arg(m_path);
    if (!m_open) {
        fail(error, what + u"is not open"_s);
        return std::nullopt;
    }
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    bool empty = false;
    std::optional<Chain> chain = SqlChain::load(db, SqlChain::Dialect::Sqlite, what, difficulty,
                                                &empty, error);
    if (chain) {
        qCInfo(lcStore) << "Loaded" << chain->length() << "blocks and"
                        << chain->pendingTransactions().size() << "pending transactions from"
                        << m_path;
        return chain;
    }
    if (!empty)
        return std::nullopt;
    Chain created(difficulty);
    QString reason;
    if (!appendBlock(created.lastBlock(), 0, &reason)) {
        fail(error, what + u"cannot store the genesis block: "_s + reason);
        return std::nullopt;
    }
    qCInfo(lcStore) << "Created a new chain in" << m_path;
    return created;
}

bool SqliteChainStore::appendBlock(const Block &block, int difficulty, QString *error)
{
    if (!m_open)
        return fail(error, u"the database is not open"_s);
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    return SqlChain::appendBlock(db, SqlChain::Dialect::Sqlite, block, difficulty, error)
        && keepJournal(error);
}

ChainStore::Outcome SqliteChainStore::forgeNext(const Block &previous, int difficulty,
                                                const BlockBuilder &build, Block *block,
                                                QString *error)
{
    if (!m_open) {
        fail(error, u"the database is not open"_s);
        return Outcome::Failed;
    }
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    const Outcome outcome = SqlChain::forgeNext(db, SqlChain::Dialect::Sqlite, previous,
                                                difficulty, build, block, error);
    if (outcome == Outcome::Committed && !keepJournal(error))
        return Outcome::Failed;
    return outcome;
}

bool SqliteChainStore::readSince(std::int64_t height, std::vector<Block> *blocks,
                                 std::vector<int> *difficulties, Json *pending, QString *error)
{
    if (!m_open)
        return fail(error, u"the database is not open"_s);
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    return SqlChain::readSince(db, height, blocks, difficulties, pending, error);
}

bool SqliteChainStore::importChain(const Chain &chain, QString *error)
{
    if (!m_open)
        return fail(error, u"the database is not open"_s);
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    return SqlChain::importChain(db, SqlChain::Dialect::Sqlite, chain, error)
        && keepJournal(error);
}

bool SqliteChainStore::addPendingTransaction(const Json &transaction, QString *error)
{
    if (!m_open)
        return fail(error, u"the database is not open"_s);
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    return SqlChain::addPendingTransaction(db, transaction, error);
}
