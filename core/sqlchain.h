#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <QString>
#include <QStringList>

#include "core/chainstore.h"
#include "core/result.h"

class QSqlDatabase;

// The chain's tables and transactions in SQL, the same for SQLite and PostgreSQL (the
// stores differ in how they connect, lock and notify): meta (format, tip hash, length),
// blocks (height, canonical JSON, difficulty) and pending (id, JSON).
namespace SqlChain
{
enum class Dialect { Sqlite, Postgres };

QStringList schema(Dialect dialect);   // CREATE TABLE IF NOT EXISTS ...
// Checks the recorded format, or records it in a new database.
Result<void> checkFormat(QSqlDatabase &db);

// Reads and verifies the stored chain, in one snapshot; what starts each message ("Chain
// database ..."). nullopt: the database holds no block (not a failure).
Result<std::optional<Chain>> load(QSqlDatabase &db, Dialect dialect, const QString &what,
                                  int difficulty);
// Stores genesis if the database holds no block yet, in one transaction: true if it did,
// false if a block was there already.
Result<bool> createGenesis(QSqlDatabase &db, Dialect dialect, const Block &genesis);

// ChainStore::forgeNext in one transaction; Postgres also locks the tip row and notifies.
// nullopt: previous is no longer the stored tip (stale).
Result<std::optional<Block>> forgeNext(QSqlDatabase &db, Dialect dialect, const Block &previous,
                                       int difficulty, const ChainStore::BlockBuilder &build);
Result<void> appendBlock(QSqlDatabase &db, Dialect dialect, const Block &block, int difficulty);
Result<void> addPendingTransaction(QSqlDatabase &db, const CanonicalJson::Json &transaction);
Result<ChainStore::Update> readSince(QSqlDatabase &db, std::int64_t height);
Result<void> importChain(QSqlDatabase &db, Dialect dialect, const Chain &chain);
// The recorded length (0 for a new database).
Result<std::int64_t> storedLength(QSqlDatabase &db);

constexpr auto NotifyChannel = "blockforge_tip";
}
