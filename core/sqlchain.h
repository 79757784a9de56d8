#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <QString>
#include <QStringList>

#include "core/chainstore.h"

class QSqlDatabase;

// The chain's tables and transactions in SQL, the same for SQLite and PostgreSQL (the
// stores differ in how they connect, lock and notify): meta (format, tip hash, length),
// blocks (height, canonical JSON, difficulty) and pending (id, JSON).
namespace SqlChain
{
enum class Dialect { Sqlite, Postgres };

QStringList schema(Dialect dialect);   // CREATE TABLE IF NOT EXISTS ...
// Checks the recorded format, or records it in a new database.
bool checkFormat(QSqlDatabase &db, QString *error);

// Reads and verifies the stored chain, in one snapshot; what starts each message ("Chain
// database ..."). An empty database: nullopt with *empty set and no error.
std::optional<Chain> load(QSqlDatabase &db, Dialect dialect, const QString &what, int difficulty,
                          bool *empty, QString *error);
// Stores genesis if the database holds no block yet (*created), in one transaction.
bool createGenesis(QSqlDatabase &db, Dialect dialect, const Block &genesis, bool *created,
                   QString *error);

// ChainStore::forgeNext in one transaction; Postgres also locks the tip row and notifies.
ChainStore::Outcome forgeNext(QSqlDatabase &db, Dialect dialect, const Block &previous,
                              int difficulty, const ChainStore::BlockBuilder &build, Block *block,
                              QString *error);
bool appendBlock(QSqlDatabase &db, Dialect dialect, const Block &block, int difficulty,
                 QString *error);
bool addPendingTransaction(QSqlDatabase &db, const CanonicalJson::Json &transaction,
                           QString *error);
bool readSince(QSqlDatabase &db, std::int64_t height, std::vector<Block> *blocks,
               std::vector<int> *difficulties, CanonicalJson::Json *pending, QString *error);
bool importChain(QSqlDatabase &db, Dialect dialect, const Chain &chain, QString *error);
// The recorded length (0 for a new database), or nullopt on a failed query.
std::optional<std::int64_t> storedLength(QSqlDatabase &db, QString *error);

constexpr auto NotifyChannel = "blockforge_tip";
}
