#include "core/sqlchain.h"

#include <optional>
#include <utility>

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

QString text(const QByteArray &utf8)
{
    return QString::fromUtf8(utf8);
}

QString reasonOf(const QSqlQuery &query)
{
    const QString reason = query.lastError().text().trimmed();
    return reason.isEmpty() ? u"unknown database error"_s : reason;
}

Result<void> exec(QSqlDatabase &db, const QString &statement)
{
    QSqlQuery query(db);
    if (!query.exec(statement))
        return Error{reasonOf(query)};
    return {};
}

// How many blocks are stored (in the caller's transaction). The query is gone on return,
// so a rollback may follow at once.
Result<qint64> blockCount(QSqlDatabase &db)
{
    QSqlQuery count(db);
    if (!count.exec(u"SELECT COUNT(*) FROM blocks"_s) || !count.next())
        return Error{reasonOf(count)};
    return count.value(0).toLongLong();
}

// Ends the caller's transaction after a failure: return rollback(db, why);
Error rollback(QSqlDatabase &db, const QString &reason)
{
    db.rollback();
    return Error{reason};
}

Result<void> insertBlock(QSqlDatabase &db, const Block &block, int difficulty)
{
    QSqlQuery insert(db);
    insert.prepare(u"INSERT INTO blocks (height, json, difficulty) VALUES (?, ?, ?)"_s);
    insert.addBindValue(QVariant::fromValue(static_cast<qint64>(block.index())));
    insert.addBindValue(text(block.blockString()));
    insert.addBindValue(difficulty);
    if (!insert.exec())
        return Error{reasonOf(insert)};
    return {};
}

Result<void> recordTip(QSqlDatabase &db, const Block &block)
{
    QSqlQuery meta(db);
    meta.prepare(u"INSERT INTO meta (key, value) VALUES ('tip', ?), ('length', ?)"
                 " ON CONFLICT (key) DO UPDATE SET value = excluded.value"_s);
    meta.addBindValue(text(block.hash()));
    meta.addBindValue(QString::number(block.index()));
    if (!meta.exec())
        return Error{reasonOf(meta)};
    return {};
}

Result<void> notify(QSqlDatabase &db, SqlChain::Dialect dialect, std::int64_t height)
{
    if (dialect != SqlChain::Dialect::Postgres)
        return {};
    return exec(db, u"NOTIFY %1, '%2'"_s.arg(QLatin1StringView(SqlChain::NotifyChannel))
                        .arg(height));
}

Result<void> commit(QSqlDatabase &db)
{
    if (db.commit())
        return {};
    return rollback(db, db.lastError().text());
}

// Parses a stored block and checks it is the block at height in canonical form.
Result<Block> storedBlock(qint64 height, const QByteArray &stored)
{
    Result<Block> block = Block::fromWire(stored);
    if (!block)
        return Error{u"block %1: %2"_s.arg(height).arg(block.errorMessage())};
    if (block->index() != height)
        return Error{u"block %1 says index %2"_s.arg(height).arg(block->index())};
    if (block->blockString() != stored)
        return Error{u"block %1 is not in canonical form"_s.arg(height)};
    return block;
}

// The stored pending transactions, oldest first, with their ids.
struct Pending
{
    Json transactions = Json::array();
    std::vector<qint64> ids;
};

Result<Pending> readPending(QSqlDatabase &db)
{
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!query.exec(u"SELECT id, json FROM pending ORDER BY id LIMIT %1"_s.arg(MaxPendingRead)))
        return Error{reasonOf(query)};
    Pending pending;
    while (query.next()) {
        Result<Json> transaction = CanonicalJson::parse(query.value(1).toString().toUtf8());
        if (!transaction || !transaction->is_object()) {
            return Error{u"pending transaction %1 is not a JSON object"_s
                             .arg(query.value(0).toLongLong())};
        }
        pending.transactions.push_back(std::move(*transaction));
        pending.ids.push_back(query.value(0).toLongLong());
    }
    return pending;
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

Result<void> checkFormat(QSqlDatabase &db)
{
    QSqlQuery query(db);
    if (!query.exec(u"SELECT value FROM meta WHERE key = 'format'"_s))
        return Error{reasonOf(query)};
    if (query.next()) {
        const QString format = query.value(0).toString();
        if (format != QLatin1StringView(Format)) {
            return Error{u"unknown format \"%1\" (expected %2)"_s
                             .arg(format, QLatin1StringView(Format))};
        }
        return {};
    }
    query = QSqlQuery();
    // Two servers starting on one new database both get here: the second insert is a no-op.
    return exec(db, u"INSERT INTO meta (key, value) VALUES ('format', '%1')"
                    " ON CONFLICT (key) DO NOTHING"_s.arg(QLatin1StringView(Format)));
}

Result<std::optional<Chain>> loadIn(QSqlDatabase &db, const QString &what, int difficulty)
{
    std::vector<Block> blocks;
    std::vector<int> difficulties;
    {
        QSqlQuery query(db);
        query.setForwardOnly(true);
        if (!query.exec(u"SELECT height, json, difficulty FROM blocks ORDER BY height"_s))
            return Error{what + u"cannot be read: "_s + reasonOf(query)};
        while (query.next()) {
            const qint64 height = query.value(0).toLongLong();
            const QByteArray stored = query.value(1).toString().toUtf8();
            const int blockDifficulty = query.value(2).toInt();
            const auto expected = static_cast<qint64>(blocks.size()) + 1;
            if (height != expected) {
                return Error{what + u"is corrupt: block %1 is missing (found %2)"_s
                                        .arg(expected).arg(height)};
            }
            Result<Block> block = storedBlock(height, stored);
            if (!block)
                return Error{what + u"is corrupt: "_s + block.errorMessage()};
            if (height > 1 && (blockDifficulty < 1 || blockDifficulty > Pow::MaxDifficulty)) {
                return Error{what + u"is corrupt: block %1 has difficulty %2"_s
                                        .arg(height).arg(blockDifficulty)};
            }
            blocks.push_back(std::move(*block));
            difficulties.push_back(height > 1 ? blockDifficulty : 0);
        }
    }
    QString tipHash;
    qint64 length = -1;
    {
        QSqlQuery query(db);
        if (!query.exec(u"SELECT key, value FROM meta WHERE key IN ('tip', 'length')"_s))
            return Error{what + u"cannot be read: "_s + reasonOf(query)};
        while (query.next()) {
            if (query.value(0).toString() == u"tip"_s)
                tipHash = query.value(1).toString();
            else
                length = query.value(1).toLongLong();
        }
    }

    if (blocks.empty()) {
        if (length != -1)
            return Error{what + u"is corrupt: it records %1 blocks but holds none"_s.arg(length)};
        return std::optional<Chain>();   // a new database
    }

    // The links cover every block but the last; the recorded tip hash covers that one
    // and the recorded length covers a truncated table.
    const auto count = static_cast<qint64>(blocks.size());
    if (length != count) {
        return Error{what + u"is corrupt: it records %1 blocks but holds %2"_s
                                .arg(length).arg(count)};
    }
    if (tipHash != text(blocks.back().hash()))
        return Error{what + u"is corrupt: the last block does not match its recorded hash"_s};
    Result<Chain> chain = Chain::fromBlocks(std::move(blocks), std::move(difficulties),
                                            difficulty);
    if (!chain)
        return Error{what + u"fails verification: "_s + chain.errorMessage()};

    Result<Pending> pending = readPending(db);
    if (!pending) {
        const QString &reason = pending.errorMessage();
        return Error{what + (reason.startsWith(u"pending"_s) ? u"is corrupt: "_s
                                                              : u"cannot be read: "_s) + reason};
    }
    chain->setPendingTransactions(std::move(pending->transactions));
    return std::optional<Chain>(std::move(*chain));
}

Result<std::optional<Chain>> load(QSqlDatabase &db, Dialect dialect, const QString &what,
                                  int difficulty)
{
    // One snapshot for every read: another server may commit a block meanwhile.
    if (!db.transaction())
        return Error{what + u"cannot be read: "_s + db.lastError().text()};
    if (dialect == Dialect::Postgres) {
        const Result<void> isolated =
            exec(db, u"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"_s);
        if (!isolated)
            return rollback(db, what + u"cannot be read: "_s + isolated.errorMessage());
    }
    Result<std::optional<Chain>> chain = loadIn(db, what, difficulty);
    db.rollback();   // it only read
    return chain;
}

Result<bool> createGenesis(QSqlDatabase &db, Dialect dialect, const Block &genesis)
{
    if (!db.transaction())
        return Error{db.lastError().text()};
    // Servers starting together on a new database: one stores its genesis, the others
    // wait for it here and then read it.
    if (dialect == Dialect::Postgres) {
        const Result<void> locked = exec(db, u"SELECT pg_advisory_xact_lock(%1)"_s
                                                 .arg(GenesisLockKey));
        if (!locked)
            return rollback(db, locked.errorMessage());
    }
    const Result<qint64> stored = blockCount(db);
    if (!stored)
        return rollback(db, stored.errorMessage());
    if (*stored != 0) {
        db.rollback();
        return false;
    }
    Result<void> written = insertBlock(db, genesis, 0);
    if (written)
        written = recordTip(db, genesis);
    if (written)
        written = notify(db, dialect, genesis.index());
    if (!written)
        return rollback(db, written.errorMessage());
    if (const Result<void> committed = commit(db); !committed)
        return committed.error();
    return true;
}

Result<std::optional<Block>> forgeNext(QSqlDatabase &db, Dialect dialect, const Block &previous,
                                       int difficulty, const ChainStore::BlockBuilder &build)
{
    if (!db.transaction())
        return Error{db.lastError().text()};
    // The tip this proof was checked against must still be the tip. PostgreSQL: lock its
    // row, so that of several servers forging at once one commits and the others, once it
    // has, read the new tip and stand down. SQLite: one writer per file already.
    {
        QSqlQuery tip(db);
        if (!tip.exec(dialect == Dialect::Postgres
                          ? u"SELECT value FROM meta WHERE key = 'tip' FOR UPDATE"_s
                          : u"SELECT value FROM meta WHERE key = 'tip'"_s)) {
            const QString reason = reasonOf(tip);
            tip = QSqlQuery();
            return rollback(db, reason);
        }
        if (!tip.next() || tip.value(0).toString() != text(previous.hash())) {
            tip = QSqlQuery();
            db.rollback();
            return std::optional<Block>();   // stale: another server forged it
        }
    }
    Result<Pending> pending = readPending(db);
    if (!pending)
        return rollback(db, pending.errorMessage());
    Block block = build(pending->transactions);
    // The block holds the oldest pending transactions, then the reward: claim exactly those.
    const std::vector<qint64> &ids = pending->ids;
    const std::size_t transactions = block.transactions().size();
    const std::size_t held = std::min(ids.size(), transactions > 0 ? transactions - 1 : 0);
    Result<void> written = insertBlock(db, block, difficulty);
    if (written)
        written = recordTip(db, block);
    if (!written)
        return rollback(db, written.errorMessage());
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
            return rollback(db, why);
        }
    }
    written = notify(db, dialect, block.index());
    if (written)
        written = commit(db);
    if (!written)
        return rollback(db, written.errorMessage());
    return std::optional<Block>(std::move(block));
}

Result<void> appendBlock(QSqlDatabase &db, Dialect dialect, const Block &block, int difficulty)
{
    if (!db.transaction())
        return Error{db.lastError().text()};
    Result<void> written = insertBlock(db, block, difficulty);
    if (written)
        written = recordTip(db, block);
    if (!written)
        return rollback(db, written.errorMessage());
    // The block holds the oldest pending transactions, then the reward.
    const std::size_t transactions = block.transactions().size();
    {
        QSqlQuery clear(db);
        clear.prepare(u"DELETE FROM pending WHERE id IN"
                      " (SELECT id FROM pending ORDER BY id LIMIT ?)"_s);
        clear.addBindValue(QVariant::fromValue(
            static_cast<qint64>(transactions > 0 ? transactions - 1 : 0)));
        if (!clear.exec()) {
            const QString reason = reasonOf(clear);
            clear = QSqlQuery();
            return rollback(db, reason);
        }
    }
    written = notify(db, dialect, block.index());
    if (!written)
        return rollback(db, written.errorMessage());
    return commit(db);
}

Result<void> addPendingTransaction(QSqlDatabase &db, const Json &transaction)
{
    QSqlQuery insert(db);
    insert.prepare(u"INSERT INTO pending (json) VALUES (?)"_s);
    insert.addBindValue(text(CanonicalJson::dump(transaction)));
    if (!insert.exec())
        return Error{reasonOf(insert)};
    return {};
}

Result<ChainStore::Update> readSince(QSqlDatabase &db, std::int64_t height)
{
    ChainStore::Update update;
    {
        QSqlQuery query(db);
        query.setForwardOnly(true);
        query.prepare(u"SELECT height, json, difficulty FROM blocks WHERE height > ?"
                      " ORDER BY height"_s);
        query.addBindValue(QVariant::fromValue(static_cast<qint64>(height)));
        if (!query.exec())
            return Error{reasonOf(query)};
        while (query.next()) {
            Result<Block> block = storedBlock(query.value(0).toLongLong(),
                                              query.value(1).toString().toUtf8());
            if (!block)
                return block.error();
            update.blocks.push_back(std::move(*block));
            update.difficulties.push_back(query.value(2).toInt());
        }
    }
    Result<Pending> pending = readPending(db);
    if (!pending)
        return pending.error();
    update.pending = std::move(pending->transactions);
    return update;
}

Result<void> importChain(QSqlDatabase &db, Dialect dialect, const Chain &chain)
{
    if (!db.transaction())
        return Error{db.lastError().text()};
    if (dialect == Dialect::Postgres) {
        const Result<void> locked = exec(db, u"LOCK TABLE blocks, pending IN EXCLUSIVE MODE"_s);
        if (!locked)
            return rollback(db, locked.errorMessage());
    }
    const Result<qint64> stored = blockCount(db);
    if (!stored)
        return rollback(db, stored.errorMessage());
    if (*stored != 0) {
        return rollback(db, u"it already holds %1 blocks: import into a new, empty database"_s
                                .arg(*stored));
    }
    const auto &blocks = chain.blocks();
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        const Result<void> inserted = insertBlock(db, blocks[i], chain.difficulties()[i]);
        if (!inserted) {
            return rollback(db, u"block %1: "_s.arg(blocks[i].index())
                                    + inserted.errorMessage());
        }
    }
    for (const Json &transaction : chain.pendingTransactions()) {
        if (const Result<void> added = addPendingTransaction(db, transaction); !added)
            return rollback(db, added.errorMessage());
    }
    Result<void> written = recordTip(db, chain.lastBlock());
    if (written)
        written = notify(db, dialect, chain.lastBlock().index());
    if (!written)
        return rollback(db, written.errorMessage());
    return commit(db);
}

Result<std::int64_t> storedLength(QSqlDatabase &db)
{
    QSqlQuery query(db);
    if (!query.exec(u"SELECT value FROM meta WHERE key = 'length'"_s))
        return Error{reasonOf(query)};
    return std::int64_t{query.next() ? query.value(0).toLongLong() : 0};
}
}
