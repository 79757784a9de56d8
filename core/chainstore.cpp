#include "core/chainstore.h"

#include <atomic>

#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
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
    if (QFileInfo(m_path).isDir())
        return fail(error, what + u"it is a folder"_s);
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_connectionName);
        db.setDatabaseName(m_path);
        // No busy waiting: a database another server holds is an immediate error.
        db.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=0"_s);
        if (!db.open()) {
            const QString reason = db.lastError().text();
            db = QSqlDatabase();
            QSqlDatabase::removeDatabase(m_connectionName);
            return fail(error, what + reason);
        }
    }
    m_open = true;
    QString reason;
    // Exclusive locking: one server per database file; WAL; FULL sync so a
    // committed block survives a power cut.
    const bool ok = exec(u"PRAGMA locking_mode=EXCLUSIVE"_s, &reason)
        && exec(u"PRAGMA journal_mode=WAL"_s, &reason)
        && exec(u"PRAGMA synchronous=FULL"_s, &reason)
        && exec(u"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"_s,
                &reason)
        && exec(u"CREATE TABLE IF NOT EXISTS blocks (height INTEGER PRIMARY KEY,"
                " json TEXT NOT NULL, difficulty INTEGER NOT NULL)"_s, &reason)
        && exec(u"CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                " json TEXT NOT NULL)"_s, &reason);
    if (!ok) {
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

void ChainStore::close()
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
