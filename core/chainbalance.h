#pragma once

#include <cstdint>

#include <QByteArray>
#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QUrl>

#include "core/canonicaljson.h"
#include "core/httpclient.h"

class QTimer;
struct Block;

// The coins an id holds on a node's chain: what the chain's transactions paid to it
// (rewards included) less what it sent, read with GET /chain a page at a time where
// the server pages (ChainPage), else from the whole chain. Incremental: it remembers
// how far it read and the hash of that block, reads only the blocks after it, and
// starts again from the genesis block when the chain it read was replaced (that hash
// is no longer the next block's previous_hash). Asynchronous, on this object's thread.
class ChainBalance final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChainBalance)

public:
    static constexpr int PageLimit = 200;   // blocks of at most 16 KiB: under 4 MiB a page
    // A classic server sends its whole chain each time: read it at most this often.
    static constexpr int WholeChainIntervalMs = 30'000;

    // How far the chain has been read, and what it paid so far: keep it to resume.
    struct Progress
    {
        double balance = 0;
        std::int64_t blocks = 0;   // blocks 1..blocks read
        QByteArray lastHash;       // hash of block `blocks`
    };

    explicit ChainBalance(QObject *parent = nullptr);
    ~ChainBalance() override;

    // The node and id to count for, and where a former reading got to. Drops a read
    // under way.
    void setAccount(const QUrl &node, const QString &id, const Progress &saved);
    const QUrl &node() const { return m_node; }
    const QString &id() const { return m_id; }
    const Progress &progress() const { return m_progress; }

    // Reads the blocks after those already read, to the chain's end; while a read is
    // under way, another follows it. From a classic server, at most every
    // WholeChainIntervalMs (the update waits).
    void update();
    bool isReading() const { return m_ticket != 0; }
    bool isWaiting() const;   // an update() waits for the classic server's interval
    void setWholeChainInterval(int milliseconds) { m_wholeChainIntervalMs = milliseconds; }
    QString problem() const { return m_problem; }   // the last read's failure, if any
    bool isPaged() const { return m_paged; }        // the node answered in pages
    int requestCount() const { return m_requests; }

    // What one transaction changes in id's balance (0 for one that does not name it or
    // has no numeric amount).
    static double change(const CanonicalJson::Json &transaction, const QString &id);

signals:
    void updated();   // progress() or problem() changed

private:
    void requestNext();
    void handleAnswer(const HttpResult &answer, std::int64_t start);
    void add(const Block &block);
    void finish(const QString &problem);

    QUrl m_node;
    QString m_id;
    Progress m_progress;
    HttpClient m_http;
    HttpClient::Ticket m_ticket = 0;
    bool m_again = false;
    bool m_restarted = false;   // this read already started again from the genesis
    bool m_paged = false;
    bool m_useQuery = true;           // false: the node refused ?start&limit
    QElapsedTimer m_lastWholeChain;   // when a classic server last sent its whole chain
    int m_wholeChainIntervalMs = WholeChainIntervalMs;
    QTimer *m_laterTimer = nullptr;   // child of this: the deferred update()
    int m_requests = 0;
    QString m_problem;
};
