#include "core/sqlchain.h"

#include <optional>

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

namespace
{
constexpr auto Format = "blockforge-chain-1";
// A stored list of pending transactions is read up to this many at a time per block: a
// block takes at most its budget (14 KiB, so a few hundred), the rest wait.
constexpr int MaxPendingRead = 10'000;
constexpr qint64 GenesisLockKey = 0x626c6b67;   // "blkg"

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

QString reasonOf(const QSqlQuery &query)
{
    const QString reason = query.lastError().text().trimmed();
    return reason.isEmpty() ? u"unknown database error"_s : reason;
}

bool exec(QSqlDatabase &db, const QString &statement, QString *error)
{
    QSqlQuery query(db);
    if (!query.exec(statement))
        return fail(error, reasonOf(query));
    return true;
}

// How many blocks are stored (in the caller's transaction); no value, with *reason, if
// the query fails. The query is gone on return, so a rollback may follow at once.
std::optional<qint64> blockCount(QSqlDatabase &db, QString *reason)
{
    QSqlQuery count(db);
    if (!count.exec(u"SELECT COUNT(*) FROM blocks"_s) || !count.next()) {
        *reason = reasonOf(count);
        return std::nullopt;
    }
    return count.value(0).toLongLong();
}

bool rollback(QSqlDatabase &db, QString *error, const QString &reason)
{
    db.rollback();
    return fail(error, reason);
}

bool insertBlock(QSqlDatabase &db, const Block &block, int difficulty, QString *error)
{
    QSqlQuery insert(db);
    insert.prepare(u"INSERT INTO blocks (height, json, difficulty) VALUES (?, ?, ?)"_s);
    insert.addBindValue(QVariant::fromValue(static_cast<qint64>(block.index())));
    insert.addBindValue(text(block.blockString()));
    insert.addBindValue(difficulty);
    if (!insert.exec())
        return fail(error, reasonOf(insert));
    return true;
}

bool recordTip(QSqlDatabase &db, const Block &block, QString *error)
{
    QSqlQuery meta(db);
    meta.prepare(u"INSERT INTO meta (key, value) VALUES ('tip', ?), ('length', ?)"
                 " ON CONFLICT (key) DO UPDATE SET value = excluded.value"_s);
    meta.addBindValue(text(block.hash()));
    meta.addBindValue(QString::number(block.index()));
    if (!meta.exec())
        return fail(error, reasonOf(meta));
    return true;
}

bool notify(QSqlDatabase &db, SqlChain::Dialect dialect, std::int64_t height, QString *error)
{
    if (dialect != SqlChain::Dialect::Postgres)
        return true;
    return exec(db, u"NOTIFY %1, '%2'"_s.arg(QLatin1StringView(SqlChain::NotifyChannel))
                        .arg(height), error);
}

bool commit(QSqlDatabase &db, QString *error)
{
    if (db.commit())
        return true;
    return rollback(db, error, db.lastError().text());
}

// Parses a stored block and checks it is the block at height in canonical form.
std::optional<Block> storedBlock(qint64 height, const QByteArray &stored, QString *error)
{
    Result<Block> block = Block::fromWire(stored);
    if (!block) {
        fail(error, u"block %1: %2"_s.arg(height).arg(block.errorMessage()));
        return std::nullopt;
    }
    if (block->index() != height) {
        fail(error, u"block %1 says index %2"_s.arg(height).arg(block->index()));
        return std::nullopt;
    }
    if (block->blockString() != stored) {
        fail(error, u"block %1 is not in canonical form"_s.arg(height));
        return std::nullopt;
    }
    return std::move(*block);
}

// Every pending transaction, oldest first, with its id.
bool readPending(QSqlDatabase &db, Json *pending, std::vector<qint64> *ids, QString *error)
{
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!query.exec(u"SELECT id, json FROM pending ORDER BY id LIMIT %1"_s.arg(MaxPendingRead)))
        return fail(error, reasonOf(query));
    *pending = Json::array();
    while (query.next()) {
        Result<Json> transaction = CanonicalJson::parse(query.value(1).toString().toUtf8());
        if (!transaction || !transaction->is_object()) {
            return fail(error, u"pending transaction %1 is not a JSON object"_s
                                   .arg(query.value(0).toLongLong()));
        }
        pending->push_back(std::move(*transaction));
        if (ids)
            ids->push_back(query.value(0).toLongLong());
    }
    return true;
}
}

namespace SqlChain
{
QStringList schema(Dialect dialect)
{
    const bool postgres = dialect == Dialect::Postgres;
    return {
        u"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"_s,
        postgres ? u"CREATE TABLE IF NOT EXISTS blocks (height BIGINT PRIMARY KEY,"
                   " json TEXT NOT NULL, difficulty INTEGER NOT NULL)"_s
                 : u"CREATE TABLE IF NOT EXISTS blocks (height INTEGER PRIMARY KEY,"
                   " json TEXT NOT NULL, difficulty INTEGER NOT NULL)"_s,
        postgres ? u"CREATE TABLE IF NOT EXISTS pending (id BIGSERIAL PRIMARY KEY,"
                   " json TEXT NOT NULL)"_s
                 : u"CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                   " json TEXT NOT NULL)"_s,
    };
}

bool checkFormat(QSqlDatabase &db, QString *error)
{
    QSqlQuery query(db);
    if (!query.exec(u"SELECT value FROM meta WHERE key = 'format'"_s))
        return fail(error, reasonOf(query));
    if (query.next()) {
        const QString format = query.value(0).toString();
        if (format != QLatin1StringView(Format)) {
            return fail(error, u"unknown format \"%1\" (expected %2)"_s
                                   .arg(format, QLatin1StringView(Format)));
        }
        return true;
    }
    query = QSqlQuery();
    // Two servers starting on one new database both get here: the second insert is a no-op.
    return exec(db, u"INSERT INTO meta (key, value) VALUES ('format', '%1')"
                    " ON CONFLICT (key) DO NOTHING"_s.arg(QLatin1StringView(Format)), error);
}

std::optional<Chain> loadIn(QSqlDatabase &db, const QString &what, int difficulty, bool *empty,
                            QString *error)
{
    *empty = false;
    std::vector<Block> blocks;
    std::vector<int> difficulties;
    {
        QSqlQuery query(db);
        query.setForwardOnly(true);
        if (!query.exec(u"SELECT height, json, difficulty FROM blocks ORDER BY height"_s)) {
            fail(error, what + u"cannot be read: "_s + reasonOf(query));
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
            std::optional<Block> block = storedBlock(height, stored, &reason);
            if (!block) {
                fail(error, what + u"is corrupt: "_s + reason);
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
            fail(error, what + u"cannot be read: "_s + reasonOf(query));
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
        *empty = true;
        return std::nullopt;
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
    Result<Chain> chain = Chain::fromBlocks(std::move(blocks), std::move(difficulties),
                                            difficulty);
    if (!chain) {
        fail(error, what + u"fails verification: "_s + chain.errorMessage());
        return std::nullopt;
    }
    QString reason;

    Json pending;
    if (!readPending(db, &pending, nullptr, &reason)) {
        fail(error, what + (reason.startsWith(u"pending"_s) ? u"is corrupt: "_s
                                                             : u"cannot be read: "_s) + reason);
        return std::nullopt;
    }
    chain->setPendingTransactions(std::move(pending));
    return std::move(*chain);
}

std::optional<Chain> load(QSqlDatabase &db, Dialect dialect, const QString &what, int difficulty,
                          bool *empty, QString *error)
{
    // One snapshot for every read: another server may commit a block meanwhile.
    if (!db.transaction()) {
        *empty = false;
        fail(error, what + u"cannot be read: "_s + db.lastError().text());
        return std::nullopt;
    }
    QString reason;
    if (dialect == Dialect::Postgres
        && !exec(db, u"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"_s, &reason)) {
        db.rollback();
        *empty = false;
        fail(error, what + u"cannot be read: "_s + reason);
        return std::nullopt;
    }
    std::optional<Chain> chain = loadIn(db, what, difficulty, empty, error);
    db.rollback();   // it only read
    return chain;
}

bool createGenesis(QSqlDatabase &db, Dialect dialect, const Block &genesis, bool *created,
                   QString *error)
{
    *created = false;
    if (!db.transaction())
        return fail(error, db.lastError().text());
    QString reason;
    // Servers starting together on a new database: one stores its genesis, the others
    // wait for it here and then read it.
    if (dialect == Dialect::Postgres
        && !exec(db, u"SELECT pg_advisory_xact_lock(%1)"_s.arg(GenesisLockKey), &reason))
        return rollback(db, error, reason);
    const std::optional<qint64> stored = blockCount(db, &reason);
    if (!stored)
        return rollback(db, error, reason);
    if (*stored != 0) {
        db.rollback();
        return true;
    }
    if (!insertBlock(db, genesis, 0, &reason) || !recordTip(db, genesis, &reason)
        || !notify(db, dialect, genesis.index(), &reason))
        return rollback(db, error, reason);
    if (!commit(db, error))
        return false;
    *created = true;
    return true;
}

ChainStore::Outcome forgeNext(QSqlDatabase &db, Dialect dialect, const Block &previous,
                              int difficulty, const ChainStore::BlockBuilder &build, Block *block,
                              QString *error)
{
    using Outcome = ChainStore::Outcome;
    if (!db.transaction()) {
        fail(error, db.lastError().text());
        return Outcome::Failed;
    }
    // The tip this proof was checked against must still be the tip. PostgreSQL: lock its
    // row, so that of several servers forging at once one commits and the others, once it
    // has, read the new tip and stand down. SQLite: one writer per file already.
    QSqlQuery tip(db);
    if (!tip.exec(dialect == Dialect::Postgres
                      ? u"SELECT value FROM meta WHERE key = 'tip' FOR UPDATE"_s
                      : u"SELECT value FROM meta WHERE key = 'tip'"_s)) {
        rollback(db, error, reasonOf(tip));
        return Outcome::Failed;
    }
    if (!tip.next() || tip.value(0).toString() != text(previous.hash())) {
        tip = QSqlQuery();
        rollback(db, error, u"block %1 was already forged"_s.arg(previous.index() + 1));
        return Outcome::Stale;
    }
    tip = QSqlQuery();
    Json pending;
    std::vector<qint64> ids;
    QString reason;
    if (!readPending(db, &pending, &ids, &reason)) {
        rollback(db, error, reason);
        return Outcome::Failed;
    }
    *block = build(pending);
    // The block holds the oldest pending transactions, then the reward: claim exactly those.
    const std::size_t transactions = block->transactions().size();
    const std::size_t held = std::min(ids.size(), transactions > 0 ? transactions - 1 : 0);
    if (!insertBlock(db, *block, difficulty, &reason) || !recordTip(db, *block, &reason)) {
        rollback(db, error, reason);
        return Outcome::Failed;
    }
    if (held > 0) {
        QStringList list;
        for (std::size_t i = 0; i < held; ++i)
            list.append(QString::number(ids[i]));
        QSqlQuery clear(db);
        if (!clear.exec(u"DELETE FROM pending WHERE id IN (%1)"_s.arg(list.join(u',')))
            || clear.numRowsAffected() != static_cast<int>(held)) {
            const QString why = clear.lastError().text().trimmed().isEmpty()
                ? u"the block's pending transactions were claimed by another block"_s
                : reasonOf(clear);
            clear = QSqlQuery();
            rollback(db, error, why);
            return Outcome::Failed;
        }
    }
    if (!notify(db, dialect, block->index(), &reason) || !commit(db, &reason)) {
        rollback(db, error, reason);
        return Outcome::Failed;
    }
    return Outcome::Committed;
}

bool appendBlock(QSqlDatabase &db, Dialect dialect, const Block &block, int difficulty,
                 QString *error)
{
    if (!db.transaction())
        return fail(error, db.lastError().text());
    QString reason;
    if (!insertBlock(db, block, difficulty, &reason) || !recordTip(db, block, &reason))
        return rollback(db, error, reason);
    // The block holds the oldest pending transactions, then the reward.
    const std::size_t transactions = block.transactions().size();
    QSqlQuery clear(db);
    clear.prepare(u"DELETE FROM pending WHERE id IN"
                  " (SELECT id FROM pending ORDER BY id LIMIT ?)"_s);
    clear.addBindValue(QVariant::fromValue(static_cast<qint64>(transactions > 0 ? transactions - 1
                                                                                 : 0)));
    if (!clear.exec()) {
        reason = reasonOf(clear);
        clear = QSqlQuery();
        return rollback(db, error, reason);
    }
    clear = QSqlQuery();
    if (!notify(db, dialect, block.index(), &reason))
        return rollback(db, error, reason);
    return commit(db, error);
}

bool addPendingTransaction(QSqlDatabase &db, const Json &transaction, QString *error)
{
    QSqlQuery insert(db);
    insert.prepare(u"INSERT INTO pending (json) VALUES (?)"_s);
    insert.addBindValue(text(CanonicalJson::dump(transaction)));
    if (!insert.exec())
        return fail(error, reasonOf(insert));
    return true;
}

bool readSince(QSqlDatabase &db, std::int64_t height, std::vector<Block> *blocks,
               std::vector<int> *difficulties, Json *pending, QString *error)
{
    QSqlQuery query(db);
    query.setForwardOnly(true);
    query.prepare(u"SELECT height, json, difficulty FROM blocks WHERE height > ?"
                  " ORDER BY height"_s);
    query.addBindValue(QVariant::fromValue(static_cast<qint64>(height)));
    if (!query.exec())
        return fail(error, reasonOf(query));
    while (query.next()) {
        std::optional<Block> block = storedBlock(query.value(0).toLongLong(),
                                                 query.value(1).toString().toUtf8(), error);
        if (!block)
            return false;
        blocks->push_back(std::move(*block));
        difficulties->push_back(query.value(2).toInt());
    }
    query = QSqlQuery();
    return readPending(db, pending, nullptr, error);
}

bool importChain(QSqlDatabase &db, Dialect dialect, const Chain &chain, QString *error)
{
    if (!db.transaction())
        return fail(error, db.lastError().text());
    QString reason;
    if (dialect == Dialect::Postgres
        && !exec(db, u"LOCK TABLE blocks, pending IN EXCLUSIVE MODE"_s, &reason))
        return rollback(db, error, reason);
    const std::optional<qint64> stored = blockCount(db, &reason);
    if (!stored)
        return rollback(db, error, reason);
    if (*stored != 0)
        return rollback(db, error,
                        u"it already holds %1 blocks: import into a new, empty database"_s
                            .arg(*stored));
    const auto &blocks = chain.blocks();
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        if (!insertBlock(db, blocks[i], chain.difficulties()[i], &reason))
            return rollback(db, error, u"block %1: "_s.arg(blocks[i].index()) + reason);
    }
    for (const Json &transaction : chain.pendingTransactions()) {
        if (!addPendingTransaction(db, transaction, &reason))
            return rollback(db, error, reason);
    }
    if (!recordTip(db, chain.lastBlock(), &reason)
        || !notify(db, dialect, chain.lastBlock().index(), &reason))
        return rollback(db, error, reason);
    return commit(db, error);
}

std::optional<std::int64_t> storedLength(QSqlDatabase &db, QString *error)
{
    QSqlQuery query(db);
    if (!query.exec(u"SELECT value FROM meta WHERE key = 'length'"_s)) {
        fail(error, reasonOf(query));
        return std::nullopt;
    }
    return query.next() ? query.value(0).toLongLong() : 0;
}
}
