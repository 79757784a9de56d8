#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <unordered_map>
#include <vector>

#include <QAbstractTableModel>
#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QSet>
#include <QString>
#include <QUrl>

#include "core/block.h"
#include "core/httpclient.h"

class QTimer;

// A node's chain as a table, newest block first, read a page at a time: the model
// knows the chain's length from one small request, and fetches a page of PageSize
// blocks (GET /chain?start&limit) only when a view asks for a row in it, keeping at
// most MaxCachedPages pages. A 100,000-block chain is never loaded whole; a classic
// server, which answers every /chain with the whole chain, gives it all at once (as
// far as the client's 4 MiB answer cap allows). While following, it asks every
// FollowIntervalMs (a classic server: ClassicFollowIntervalMs) for blocks after the
// last one and inserts them at the top; a chain
// that got shorter or whose next block does not follow the last one read is read
// again from the start.
class ChainPageModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChainPageModel)

public:
    enum Column { IndexColumn, TimeColumn, TransactionsColumn, MinerColumn, ProofColumn,
                  HashColumn, ColumnCount };
    static constexpr int PageSize = 100;
    static constexpr int MaxCachedPages = 40;
    static constexpr int FollowIntervalMs = 2000;
    static constexpr int ClassicFollowIntervalMs = 30'000;   // a whole chain each time
    static constexpr int BlockIndexRole = Qt::UserRole;   // qint64, known before the block
    // Rows shown at most (the newest blocks): a node's "length" is only its word, and a
    // view's scroll range is an int of pixels.
    static constexpr std::int64_t MaxRows = 10'000'000;

    explicit ChainPageModel(QObject *parent = nullptr);
    ~ChainPageModel() override;

    void setNode(const QUrl &node);      // empties the model and reads the new chain
    const QUrl &node() const { return m_node; }
    void refresh();                      // asks for blocks after the last one known
    void setFollowing(bool following);   // refresh() every FollowIntervalMs
    bool isFollowing() const;

    std::int64_t length() const { return m_length; }
    bool isPaged() const { return m_paged; }
    QString problem() const { return m_problem; }   // the last failure, empty after a success
    int requestCount() const { return m_requests; }
    int cachedBlocks() const;

    // The block at a row, when its page is here (else the page is asked for).
    std::optional<Block> blockAt(int row) const;
    std::int64_t indexAt(int row) const { return m_length - row; }
    int rowOf(std::int64_t blockIndex) const { return static_cast<int>(m_length - blockIndex); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // The reward's recipient (a transaction from "0"), or empty.
    static QString minerOf(const Block &block);

signals:
    void statusChanged();            // length(), problem() or isPaged() changed
    void blocksArrived(std::int64_t first, std::int64_t last);

private:
    struct Page
    {
        std::vector<std::optional<Block>> blocks = std::vector<std::optional<Block>>(PageSize);
        std::vector<QByteArray> hashes = std::vector<QByteArray>(PageSize);
    };
    using PageNumber = std::int64_t;   // blocks PageNumber * PageSize + 1 ...

    const Block *cached(std::int64_t blockIndex) const;
    const QByteArray *cachedHash(std::int64_t blockIndex) const;
    void requestPage(PageNumber page) const;
    void handleAnswer(const HttpResult &answer, std::int64_t start, std::uint64_t generation);
    void store(const std::vector<Block> &blocks);
    void touch(PageNumber page) const;
    void grow(std::int64_t length);   // new blocks at the top
    void restart();

    QUrl m_node;
    std::int64_t m_length = 0;
    bool m_paged = true;
    bool m_useQuery = true;                // false: the node refused ?start&limit
    QString m_problem;
    std::uint64_t m_generation = 0;        // answers for an older node are dropped
    bool m_refreshing = false;
    QElapsedTimer m_lastRestart;
    // Pages are fetched from const data(): the cache is not the model's state.
    mutable std::unordered_map<PageNumber, Page> m_pages;
    mutable std::list<PageNumber> m_recent;   // most recent first
    mutable QSet<PageNumber> m_pending;
    mutable QHash<PageNumber, qint64> m_failedAt;   // not asked again for a while
    mutable HttpClient m_http;
    mutable int m_requests = 0;
    QTimer *m_followTimer = nullptr;       // child of this
};
