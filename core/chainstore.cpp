#include "core/chainstore.h"

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

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

namespace
{
constexpr auto Format = "blockforge-chain-1";

std::atomic<int> s_connectionCounter {0};

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

QString text(const QByteArray &utf8)
{
    return QString::fromUtf8(utf8);
}

QString errorText(int code)
{
    return QString::fromLocal8Bit(std::strerror(code));
}
}

ChainStore::ChainStore(const QString &path)
    : m_path{path}
    , m_connectionName{u"blockforge-chainstore-%1"_s.arg(s_connectionCounter.fetch_add(1))}
{
}

ChainStore::~ChainStore()
{
    close();
}

bool ChainStore::open(QString *error)
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
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    if (!query.exec(u"SELECT value FROM meta WHERE key = 'format'"_s)) {
        const QString message = what + query.lastError().text();
        query = QSqlQuery();
        close();
        return fail(error, message);
    }
    if (query.next()) {
        const QString format = query.value(0).toString();
        query = QSqlQuery();
        if (format != QLatin1StringView(Format)) {
            close();
            return fail(error, what + u"unknown format \"%1\" (expected %2)"_s
                                          .arg(format, QLatin1StringView(Format)));
        }
    } else {
        query = QSqlQuery();
        if (!exec(u"INSERT INTO meta (key, value) VALUES ('format', '%1')"_s
                      .arg(QLatin1StringView(Format)), &reason)) {
            close();
            return fail(error, what + reason);
        }
    }
    qCInfo(lcStore) << "Opened chain database" << m_path;
    return true;
}

bool ChainStore::openConnection(QString *error)
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
    return exec(u"PRAGMA journal_mode=WAL"_s, error)
        && exec(u"PRAGMA synchronous=FULL"_s, error)
        && exec(u"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"_s,
                error)
        && exec(u"CREATE TABLE IF NOT EXISTS blocks (height INTEGER PRIMARY KEY,"
                " json TEXT NOT NULL, difficulty INTEGER NOT NULL)"_s, error)
        && exec(u"CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                " json TEXT NOT NULL)"_s, error);
}

void ChainStore::closeConnection()
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

void ChainStore::close()
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
bool ChainStore::keepJournal(QString *error)
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

bool ChainStore::exec(const QString &statement, QString *error)
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    if (!query.exec(statement))
        return fail(error, query.lastError().text());
    return true;
}

std::optional<Chain> ChainStore::load(int difficulty, QString *error)
{
    const QString what = u"Chain database \"%1\" "_s.arg(m_path);
    if (!m_open) {
        fail(error, what + u"is not open"_s);
        return std::nullopt;
    }
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    std::vector<Block> blocks;
    std::vector<int> difficulties;
    {
        QSqlQuery query(db);
        query.setForwardOnly(true);
        if (!query.exec(u"SELECT height, json, difficulty FROM blocks ORDER BY height"_s)) {
            fail(error, what + u"cannot be read: "_s + query.lastError().text());
            return std::nullopt;
        }
        while (query.next()) {
            const qint64 height = query.value(0).toLongLong();
            const QByteArray stored = query.value(1).toString().toUtf8();
            const int blockDifficulty = query.value(2).toInt();
            const auto expected = static_cast<qint64>(blocks.size()) + 1;
            QString reason;
            if (height != expected) {
                fail(error, what + u"is corrupt: block %1 is missing (found %2)"_s
                                       .arg(expected).arg(height));
                return std::nullopt;
            }
            std::optional<Block> block = Block::fromWire(stored, &reason);
            if (!block) {
                fail(error, what + u"is corrupt: block %1: %2"_s.arg(height).arg(reason));
                return std::nullopt;
            }
            if (block->index() != height) {
                fail(error, what + u"is corrupt: block %1 says index %2"_s
                                       .arg(height).arg(block->index()));
                return std::nullopt;
            }
            if (block->blockString() != stored) {
                fail(error, what + u"is corrupt: block %1 is not in canonical form"_s.arg(height));
                return std::nullopt;
            }
            if (height > 1 && (blockDifficulty < 1 || blockDifficulty > Pow::MaxDifficulty)) {
                fail(error, what + u"is corrupt: block %1 has difficulty %2"_s
                                       .arg(height).arg(blockDifficulty));
                return std::nullopt;
            }
            blocks.push_back(std::move(*block));
            difficulties.push_back(height > 1 ? blockDifficulty : 0);
        }
    }
    QString tipHash;
    qint64 length = -1;
    {
        QSqlQuery query(db);
        if (!query.exec(u"SELECT key, value FROM meta WHERE key IN ('tip', 'length')"_s)) {
            fail(error, what + u"cannot be read: "_s + query.lastError().text());
            return std::nullopt;
        }
        while (query.next()) {
            if (query.value(0).toString() == u"tip"_s)
                tipHash = query.value(1).toString();
            else
                length = query.value(1).toLongLong();
        }
    }

    if (blocks.empty()) {
        if (length != -1) {
            fail(error, what + u"is corrupt: it records %1 blocks but holds none"_s.arg(length));
            return std::nullopt;
        }
        Chain chain(difficulty);
        QString reason;
        if (!appendBlock(chain.lastBlock(), 0, &reason)) {
            fail(error, what + u"cannot store the genesis block: "_s + reason);
            return std::nullopt;
        }
        qCInfo(lcStore) << "Created a new chain in" << m_path;
        return chain;
    }

    // The links cover every block but the last; the recorded tip hash covers that one
    // and the recorded length covers a truncated table.
    const auto count = static_cast<qint64>(blocks.size());
    if (length != count) {
        fail(error, what + u"is corrupt: it records %1 blocks but holds %2"_s
                               .arg(length).arg(count));
        return std::nullopt;
    }
    if (tipHash != text(blocks.back().hash())) {
        fail(error, what + u"is corrupt: the last block does not match its recorded hash"_s);
        return std::nullopt;
    }
    QString reason;
    std::optional<Chain> chain = Chain::fromBlocks(std::move(blocks), std::move(difficulties),
                                                   difficulty, &reason);
    if (!chain) {
        fail(error, what + u"fails verification: "_s + reason);
        return std::nullopt;
    }

    Json pending = Json::array();
    {
        QSqlQuery query(db);
        query.setForwardOnly(true);
        if (!query.exec(u"SELECT id, json FROM pending ORDER BY id"_s)) {
            fail(error, what + u"cannot be read: "_s + query.lastError().text());
            return std::nullopt;
        }
        while (query.next()) {
            std::optional<Json> transaction = CanonicalJson::parse(
                query.value(1).toString().toUtf8(), &reason);
            if (!transaction || !transaction->is_object()) {
                fail(error, what + u"is corrupt: pending transaction %1 is not a JSON object"_s
                                       .arg(query.value(0).toLongLong()));
                return std::nullopt;
            }
            pending.push_back(std::move(*transaction));
        }
    }
    chain->setPendingTransactions(std::move(pending));
    qCInfo(lcStore) << "Loaded" << chain->length() << "blocks and"
                    << chain->pendingTransactions().size() << "pending transactions from"
                    << m_path;
    return chain;
}

bool ChainStore::appendBlock(const Block &block, int difficulty, QString *error)
{
    if (!m_open)
        return fail(error, u"the database is not open"_s);
    return commitBlock(block, difficulty, error) && keepJournal(error);
}

bool ChainStore::commitBlock(const Block &block, int difficulty, QString *error)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (!db.transaction())
        return fail(error, db.lastError().text());
    QSqlQuery insert(db);
    insert.prepare(u"INSERT INTO blocks (height, json, difficulty) VALUES (?, ?, ?)"_s);
    insert.addBindValue(QVariant::fromValue(static_cast<qint64>(block.index())));
    insert.addBindValue(text(block.blockString()));
    insert.addBindValue(difficulty);
    QSqlQuery meta(db);
    meta.prepare(u"INSERT OR REPLACE INTO meta (key, value) VALUES ('tip', ?), ('length', ?)"_s);
    meta.addBindValue(text(block.hash()));
    meta.addBindValue(QString::number(block.index()));
    // The block holds the oldest pending transactions, then the reward.
    const std::size_t transactions = block.transactions().size();
    QSqlQuery clear(db);
    clear.prepare(u"DELETE FROM pending WHERE id IN"
                  " (SELECT id FROM pending ORDER BY id LIMIT ?)"_s);
    clear.addBindValue(QVariant::fromValue(static_cast<qint64>(transactions > 0 ? transactions - 1
                                                                                 : 0)));
    if (!insert.exec() || !meta.exec() || !clear.exec()) {
        const QString reason = !insert.lastError().text().trimmed().isEmpty()
            ? insert.lastError().text()
            : !meta.lastError().text().trimmed().isEmpty() ? meta.lastError().text()
                                                           : clear.lastError().text();
        db.rollback();
        return fail(error, reason);
    }
    if (!db.commit()) {
        const QString reason = db.lastError().text();
        db.rollback();
        return fail(error, reason);
    }
    return true;
}

bool ChainStore::addPendingTransaction(const Json &transaction, QString *error)
{
    if (!m_open)
        return fail(error, u"the database is not open"_s);
    QSqlQuery insert(QSqlDatabase::database(m_connectionName, false));
    insert.prepare(u"INSERT INTO pending (json) VALUES (?)"_s);
    insert.addBindValue(text(CanonicalJson::dump(transaction)));
    if (!insert.exec())
        return fail(error, insert.lastError().text());
    return true;
}
