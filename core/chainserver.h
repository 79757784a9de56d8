#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <QByteArray>
#include <QHostAddress>
#include <QObject>
#include <QString>

#include "core/block.h"
#include "core/chain.h"
#include "core/chainstore.h"
#include "core/httpanswer.h"
#include "core/pow.h"
#include "core/result.h"

class QUrlQuery;
class HttpListener;
struct HttpRequest;

// The classic chain server (PROTOCOL.md): GET /last_block, GET /chain, POST /mine,
// POST /transactions/new, on our own HTTP/1.1 layer (HttpListener). Everything runs on
// the thread that owns it, from its event loop; several may run in one process. The
// first valid proof for a block wins: a handler checks and commits in one go on that one
// thread. The only wait is that commit (SQLite with synchronous=FULL: one fsync, about a
// millisecond), since a block is acknowledged only once it is durable.
//
// On PostgreSQL (databasePath "postgresql://..."), several servers share one chain: the
// database decides which proof wins (ChainStore::forgeNext), and each server follows the
// blocks the others forge (ChainStore::tipChanged), so its /last_block, /chain and stale
// window move with them. Every change of the tip, forged here or elsewhere, goes through
// tipChanged().
class ChainServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChainServer)

public:
    static constexpr qsizetype MaxIdLength = 64;   // code points, after trimming
    static constexpr qsizetype MaxBodyBytes = 64 * 1024;
    // 16 KiB: 1/256 of our miner's 4 MiB answer cap, and a classic Python miner's attempt
    // (json.dumps text + proof, hashed whole) stays at tens of microseconds.
    static constexpr qsizetype DefaultMaxBlockBytes = 16 * 1024;
    // What a block holds besides its pending transactions: index, timestamp, proof,
    // previous_hash and the reward to an id of up to MaxIdLength code points (about
    // 1,040 bytes at most, astral characters escaped). The rest is the pending budget.
    static constexpr qsizetype BlockReserve = 2048;
    static constexpr qsizetype MaxChainPage = 1000;   // GET /chain?start=&limit= cap

    struct Config
    {
        QString databasePath;   // a SQLite file, or a postgresql:// URL
        int difficulty = Pow::DefaultDifficulty;
        std::int64_t reward = 1;
        // The largest block string a new block may have: pending transactions are taken
        // only while the next block stays within it (see BlockReserve).
        qsizetype maxBlockBytes = DefaultMaxBlockBytes;
        // Connection limits (HttpListener::Limits).
        int requestTimeoutMs = 10'000;
        int idleTimeoutMs = 60'000;
        int maxConnections = 1000;
        qint64 maxQueuedBytesPerConnection = 1 << 20;
        qint64 maxQueuedBytes = 64 << 20;
    };

    explicit ChainServer(const Config &config, QObject *parent = nullptr);
    ~ChainServer() override;

    Result<void> open();   // open/create the database, load and verify the chain
    // Starts listening; returns the real port, or 0 on failure (see errorString()).
    quint16 listen(const QHostAddress &address, quint16 port);
    quint16 port() const { return m_port; }
    QString errorString() const { return m_errorString; }
    void close();                // stop listening, close the database

    const Chain &chain() const { return m_chain; }
    const ChainStore &store() const { return *m_store; }
    const Config &config() const { return m_config; }
    const HttpListener *listener() const { return m_listener; }

    // The answers to POST /mine and POST /transactions/new for a request body. The
    // routes call these; so do the fuzz targets, without any socket.
    HttpAnswer submitProof(const QByteArray &body);
    HttpAnswer newTransaction(const QByteArray &body);

signals:
    void blockForged(const Block &block);   // forged here, after the block is committed
    // The chain has a new last block, forged here (after blockForged) or by another server
    // on the same database: the one place a change of tip is announced.
    void tipChanged(const Block &lastBlock);
    // The path as sent, percent-decoded, with control, C1 and bidi characters escaped
    // (Printable::escaped): safe to print.
    void requestServed(const QString &method, const QString &path, int status,
                       double milliseconds);

private:
    HttpAnswer handle(const HttpRequest &request);
    HttpAnswer route(const QString &path, const HttpRequest &request);
    void refreshAnswers(bool rebuildChain);
    // Adopts the blocks after ours from the store (forged by other servers).
    Result<void> catchUp();
    HttpAnswer lastBlock() const;
    HttpAnswer fullChain(const QUrlQuery &query) const;
    HttpAnswer chainAnswer(qsizetype first, qsizetype end, const QByteArray &extraFields) const;

    Config m_config;
    ChainStore *m_store = nullptr;   // child of this: moves to the server's thread with it
    Chain m_chain;
    QByteArray m_lastBlockAnswer;   // serialised once per block
    // Every block's canonical JSON, joined by ", ", appended to per block (never rebuilt
    // whole), with each block's offset; GET /chain answers are cut from it, a piece at a
    // time as the client reads.
    QByteArray m_chainBlocks;
    std::vector<qsizetype> m_blockOffsets;
    HttpListener *m_listener = nullptr;   // child of this
    QString m_errorString;
    quint16 m_port = 0;
};
