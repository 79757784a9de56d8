#include "core/chainpagemodel.h"

#include <algorithm>
#include <cmath>

#include <QDateTime>
#include <QLocale>
#include <QTimer>

#include "core/canonicaljson.h"
#include "core/chainpage.h"
#include "core/printable.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

namespace
{
const QString Pending = u"\u2026"_s;

QString timeText(double timestamp)
{
    if (!std::isfinite(timestamp) || std::abs(timestamp) > 1e13)
        return QString::fromStdString(CanonicalJson::formatDouble(timestamp));
    return QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(std::llround(timestamp * 1000.0)))
        .toString(u"yyyy-MM-dd hh:mm:ss"_s);
}
}

ChainPageModel::ChainPageModel(QObject *parent)
    : QAbstractTableModel{parent}
    , m_followTimer{new QTimer(this)}
{
    m_http.setRequestTimeout(10'000);
    m_followTimer->setInterval(FollowIntervalMs);
    connect(m_followTimer, &QTimer::timeout, this, &ChainPageModel::refresh);
}

ChainPageModel::~ChainPageModel() = default;

void ChainPageModel::setNode(const QUrl &node)
{
    m_node = node;
    m_http.setBaseUrl(node);
    restart();
}

void ChainPageModel::restart()
{
    m_lastRestart.start();
    beginResetModel();
    ++m_generation;
    m_length = 0;
    m_paged = true;
    m_useQuery = true;
    m_problem.clear();
    m_pages.clear();
    m_recent.clear();
    m_pending.clear();
    m_failedAt.clear();
    m_refreshing = false;
    endResetModel();
    emit statusChanged();
    refresh();
}

void ChainPageModel::setFollowing(bool following)
{
    if (following == isFollowing())
        return;
    if (following) {
        m_followTimer->start();
        refresh();
    } else {
        m_followTimer->stop();
    }
}

bool ChainPageModel::isFollowing() const
{
    return m_followTimer->isActive();
}

int ChainPageModel::cachedBlocks() const
{
    int count = 0;
    for (const auto &[number, page] : m_pages)
        count += static_cast<int>(std::count_if(page.blocks.begin(), page.blocks.end(),
                                                [](const auto &b) { return b.has_value(); }));
    return count;
}

void ChainPageModel::refresh()
{
    if (!m_node.isValid() || m_refreshing)
        return;
    m_refreshing = true;
    const std::int64_t start = m_length + 1;
    const std::uint64_t generation = m_generation;
    ++m_requests;
    const QString path = m_useQuery ? ChainPage::path(start, PageSize) : ChainPage::wholePath();
    m_http.get(path, [this, start, generation](const HttpResult &a) {
        if (generation != m_generation)
            return;
        m_refreshing = false;
        handleAnswer(a, start, generation);
    });
}

void ChainPageModel::requestPage(PageNumber page) const
{
    if (m_pending.contains(page) || !m_node.isValid())
        return;
    const auto failed = m_failedAt.constFind(page);
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (failed != m_failedAt.constEnd() && now - *failed < FollowIntervalMs)
        return;
    m_pending.insert(page);
    const std::int64_t start = page * PageSize + 1;
    const std::uint64_t generation = m_generation;
    auto *self = const_cast<ChainPageModel *>(this);   // the cache is not the model's state
    ++m_requests;
    m_http.get(m_useQuery ? ChainPage::path(start, PageSize) : ChainPage::wholePath(),
               [self, page, start, generation](const HttpResult &answer) {
                   if (generation != self->m_generation)
                       return;
                   self->m_pending.remove(page);
                   self->handleAnswer(answer, start, generation);
                   // A failed page is not asked for again at every repaint.
                   if (generation == self->m_generation && !self->m_problem.isEmpty())
                       self->m_failedAt.insert(page, QDateTime::currentMSecsSinceEpoch());
               });
}

void ChainPageModel::handleAnswer(const HttpResult &answer, std::int64_t start,
                                  std::uint64_t generation)
{
    Q_UNUSED(generation);
    if (!answer) {
        m_problem = u"GET /chain: %1"_s.arg(answer.errorMessage());
        emit statusChanged();
        return;
    }
    if (m_useQuery && ChainPage::refusesQuery(answer->status)) {
        m_useQuery = false;   // a classic server that knows only "/chain"
        m_refreshing = false;
        refresh();
        return;
    }
    const Result<ChainPage::Page> page = ChainPage::parse(answer->status, answer->body, start);
    if (!page) {
        m_problem = u"GET /chain: %1"_s.arg(page.errorMessage());
        emit statusChanged();
        return;
    }
    const std::vector<Block> &blocks = page->blocks;

    // Is it still the chain shown? A shorter one, or a next block that does not
    // follow the last one known, is read again from the start.
    bool replaced = page->length < m_length;
    if (!replaced && m_length > 0) {
        for (const Block &block : blocks) {
            if (block.index() > m_length + 1 || block.index() < 2)
                continue;
            const QByteArray *before = cachedHash(block.index() - 1);
            if (before && block.previousHash().toLatin1() != *before) {
                replaced = true;
                break;
            }
            const Block *known = cached(block.index());
            if (known && !(*known == block)) {
                replaced = true;
                break;
            }
        }
    }
    if (replaced) {
        // Once per FollowIntervalMs at most: a node whose blocks never link up is not
        // asked again and again.
        if (m_lastRestart.isValid() && m_lastRestart.elapsed() < FollowIntervalMs) {
            m_problem = u"GET /chain: the blocks do not link up (the chain changed while it "
                         "was read)"_s;
            emit statusChanged();
            return;
        }
        restart();
        return;
    }
    m_paged = page->paged;
    // A classic server sends its whole chain each time: asked less often.
    m_followTimer->setInterval(m_paged ? FollowIntervalMs : ClassicFollowIntervalMs);
    m_problem.clear();
    grow(page->length);
    store(blocks);
    if (!blocks.empty()) {
        const std::int64_t first = blocks.front().index();
        const std::int64_t last = blocks.back().index();
        const int top = rowOf(std::min(last, m_length));
        const int bottom = std::min(rowOf(std::max<std::int64_t>(first, 1)), rowCount() - 1);
        if (top <= bottom)
            emit dataChanged(index(top, 0), index(bottom, ColumnCount - 1));
        emit blocksArrived(first, last);
    }
    emit statusChanged();
}

void ChainPageModel::grow(std::int64_t length)
{
    if (length <= m_length)
        return;
    const std::int64_t rows = std::min(m_length, MaxRows);
    const std::int64_t newRows = std::min(length, MaxRows);
    if (newRows == rows) {   // past MaxRows: the same rows show newer blocks
        beginResetModel();
        m_length = length;
        endResetModel();
        return;
    }
    beginInsertRows({}, 0, static_cast<int>(newRows - rows - 1));
    m_length = length;
    endInsertRows();
}

void ChainPageModel::store(const std::vector<Block> &blocks)
{
    for (const Block &block : blocks) {
        const std::int64_t i = block.index();
        if (i < 1 || i > m_length)
            continue;
        const PageNumber number = (i - 1) / PageSize;
        Page &page = m_pages[number];
        const auto slot = static_cast<std::size_t>((i - 1) % PageSize);
        if (!page.blocks[slot]) {
            page.blocks[slot] = block;
            page.hashes[slot] = block.hash();
        }
        touch(number);
    }
    while (m_pages.size() > static_cast<std::size_t>(MaxCachedPages) && !m_recent.empty()) {
        m_pages.erase(m_recent.back());
        m_recent.pop_back();
    }
}

void ChainPageModel::touch(PageNumber page) const
{
    if (!m_recent.empty() && m_recent.front() == page)
        return;
    m_recent.remove(page);
    m_recent.push_front(page);
}

const Block *ChainPageModel::cached(std::int64_t blockIndex) const
{
    if (blockIndex < 1)
        return nullptr;
    const auto page = m_pages.find((blockIndex - 1) / PageSize);
    if (page == m_pages.end())
        return nullptr;
    const std::optional<Block> &block =
        page->second.blocks[static_cast<std::size_t>((blockIndex - 1) % PageSize)];
    return block ? &*block : nullptr;
}

const QByteArray *ChainPageModel::cachedHash(std::int64_t blockIndex) const
{
    if (!cached(blockIndex))
        return nullptr;
    return &m_pages.find((blockIndex - 1) / PageSize)
                ->second.hashes[static_cast<std::size_t>((blockIndex - 1) % PageSize)];
}

std::optional<Block> ChainPageModel::blockAt(int row) const
{
    const std::int64_t i = indexAt(row);
    if (row < 0 || i < 1)
        return std::nullopt;
    if (const Block *block = cached(i)) {
        touch((i - 1) / PageSize);
        return *block;
    }
    requestPage((i - 1) / PageSize);
    return std::nullopt;
}

QString ChainPageModel::minerOf(const Block &block)
{
    for (const Json &transaction : block.transactions()) {
        if (transaction.is_object() && transaction.contains("sender")
            && transaction["sender"] == "0" && transaction.contains("recipient")
            && transaction["recipient"].is_string())
            return QString::fromStdString(transaction["recipient"].get<std::string>());
    }
    return {};
}

int ChainPageModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(std::min(m_length, MaxRows));
}

int ChainPageModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ChainPageModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const std::int64_t blockIndex = indexAt(index.row());
    if (role == BlockIndexRole)
        return QVariant::fromValue<qint64>(blockIndex);
    if (role == Qt::TextAlignmentRole)
        return index.column() == IndexColumn || index.column() == TransactionsColumn
                || index.column() == ProofColumn
            ? QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter)
            : QVariant();
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    if (index.column() == IndexColumn)
        return QString::number(blockIndex);
    const Block *block = cached(blockIndex);
    if (!block) {
        requestPage((blockIndex - 1) / PageSize);
        return role == Qt::DisplayRole ? QVariant(Pending) : QVariant(u"Reading\u2026"_s);
    }
    touch((blockIndex - 1) / PageSize);
    switch (index.column()) {
    case TimeColumn:
        return timeText(block->timestamp());
    case TransactionsColumn:
        return QString::number(block->transactions().is_array() ? block->transactions().size() : 0);
    case MinerColumn:
        return Printable::escaped(minerOf(*block));
    case ProofColumn:
        return QString::number(block->proof());
    case HashColumn:
        return QString::fromLatin1(*cachedHash(blockIndex));
    }
    return {};
}

QVariant ChainPageModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case IndexColumn:
            return u"Block"_s;
        case TimeColumn:
            return u"Time"_s;
        case TransactionsColumn:
            return u"Txs"_s;
        case MinerColumn:
            return u"Miner"_s;
        case ProofColumn:
            return u"Proof"_s;
        case HashColumn:
            return u"Hash"_s;
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case IndexColumn:
            return u"The block's index (the genesis block is 1)"_s;
        case TimeColumn:
            return u"When it was forged (local time)"_s;
        case TransactionsColumn:
            return u"Transactions in the block, the reward included"_s;
        case MinerColumn:
            return u"Who got the reward"_s;
        case ProofColumn:
            return u"The block's proof of work"_s;
        case HashColumn:
            return u"SHA-256 of the block string: the next block's previous_hash"_s;
        }
    }
    return {};
}
