#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include <QByteArray>
#include <QElapsedTimer>
#include <QHostAddress>
#include <QObject>
#include <QString>

#include "core/block.h"
#include "core/chain.h"
#include "core/chainstore.h"
#include "core/httpanswer.h"
#include "core/pow.h"
#include "core/result.h"
#include "core/servermetrics.h"

class QTimer;
class QUrlQuery;
class HttpDeferred;
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
//
// Push: GET /last_block?wait=HASH is a long poll. It is answered at once when the last
// block's hash is not HASH, else when the tip next changes (tipChanged()) or after
// longPollTimeoutMs with the last block as it is. Every /last_block answer carries the
// header "X-Blockforge-Wait: <seconds>" to announce it; the classic body is unchanged.
// A waiting client holds its connection (counted against maxConnections, never taken for
// idle) and costs no CPU; at most maxWaiters wait (never more than half the connections),
// further ones get a 503 that says to poll.
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
    static constexpr char WaitHeader[] = "X-Blockforge-Wait";   // announces the long poll

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
        int maxConnections = 2000;
        qint64 maxQueuedBytesPerConnection = 1 << 20;
        qint64 maxQueuedBytes = 64 << 20;
        // The long poll (GET /last_block?wait=HASH): how long a client waits for a new
        // block at most (0 turns push off: no header, wait is ignored), and how many may
        // wait at once (at most maxConnections / 2, so others always find a connection).
        int longPollTimeoutMs = 30'000;
        int maxWaiters = 1000;
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
    const ServerMetrics &metrics() const { return m_metrics; }
    int waiterCount() const;   // clients waiting for a new block
    int maxWaiters() const;

    // The answers to POST /mine and POST /transactions/new for a request body. The
    // routes call these; so do the fuzz targets, without any socket.
    HttpAnswer submitProof(const QByteArray &body);
    HttpAnswer newTransaction(const QByteArray &body);

signals:
    void blockForged(const Block &block);   // forged here, after the block is committed
    // The chain has a new last block: the one place a change of tip is announced, and
    // the only thing waiting clients are answered on. A block forged here is announced as
    // soon as it is forged, while it is committed, and the block before it is announced
    // again should the commit fail; one forged by another server on the same database
    // once the chain holds it.
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
    HttpAnswer metricsAnswer() const;
    HttpAnswer judgeProof(const QByteArray &body);
    QByteArray lastBlockAnswer(const QByteArray &blockString) const;
    HttpAnswer waitForBlock(const QUrlQuery &query);
    void answerWaiters();
    void expireWaiters();
    void scheduleExpiry();
    HttpAnswer fullChain(const QUrlQuery &query) const;
    HttpAnswer chainAnswer(qsizetype first, qsizetype end, const QByteArray &extraFields) const;

    Config m_config;
    ChainStore *m_store = nullptr;   // child of this: moves to the server's thread with it
    Chain m_chain;
    QByteArray m_lastBlockAnswer;   // serialised once per block
    QByteArray m_tipHash;           // the last block's hash
    QByteArray m_waitHeader;        // "X-Blockforge-Wait: 30\r\n", or empty
    // Every block's canonical JSON, joined by ", ", appended to per block (never rebuilt
    // whole), with each block's offset; GET /chain answers are cut from it, a piece at a
    // time as the client reads.
    QByteArray m_chainBlocks;
    std::vector<qsizetype> m_blockOffsets;
    struct Waiter
    {
        std::shared_ptr<HttpDeferred> deferred;
        QByteArray hash;   // what the client has
        qint64 deadline;   // m_clock ms
    };
    std::deque<Waiter> m_waiters;   // by deadline (the timeout is the same for all)
    QElapsedTimer m_clock;
    QTimer *m_waitTimer = nullptr;        // child of this: the next deadline
    HttpListener *m_listener = nullptr;   // child of this
    QString m_errorString;
    QString m_followError;   // the last failure to follow the store, said once
    quint16 m_port = 0;
    ServerMetrics m_metrics;
    QElapsedTimer m_uptime;   // since listen()
};
