#include "core/chainbalance.h"

#include <QTimer>

#include "core/block.h"
#include "core/canonicaljson.h"
#include "core/chainpage.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

namespace
{
std::string utf8(const QString &text)
{
    return text.toStdString();
}

double amountOf(const Json &amount)
{
    if (amount.is_number())
        return amount.get<double>();
    if (CanonicalJson::isBigInteger(amount)) {
        const auto &digits = amount.get_binary();
        return QByteArray(reinterpret_cast<const char *>(digits.data()),
                          static_cast<qsizetype>(digits.size())).toDouble();
    }
    return 0;
}
}

ChainBalance::ChainBalance(QObject *parent)
    : QObject{parent}
    , m_laterTimer{new QTimer(this)}
{
    m_laterTimer->setSingleShot(true);
    connect(m_laterTimer, &QTimer::timeout, this, &ChainBalance::update);
}

ChainBalance::~ChainBalance() = default;

void ChainBalance::setAccount(const QUrl &node, const QString &id, const Progress &saved)
{
    if (m_ticket)
        m_http.abort(m_ticket);
    m_ticket = 0;
    m_again = false;
    m_node = node;
    m_id = id;
    m_progress = saved;
    m_problem.clear();
    m_paged = false;
    m_useQuery = true;
    m_lastWholeChain.invalidate();
    m_laterTimer->stop();
    m_http.setBaseUrl(node);
    emit updated();
}

void ChainBalance::update()
{
    if (!m_node.isValid() || m_id.isEmpty())
        return;
    if (m_ticket) {
        m_again = true;
        return;
    }
    if (!m_paged && m_lastWholeChain.isValid()
        && m_lastWholeChain.elapsed() < m_wholeChainIntervalMs) {
        m_laterTimer->start(static_cast<int>(m_wholeChainIntervalMs - m_lastWholeChain.elapsed()));
        return;
    }
    m_laterTimer->stop();
    m_restarted = false;
    requestNext();
}

bool ChainBalance::isWaiting() const
{
    return m_laterTimer->isActive();
}

double ChainBalance::change(const Json &transaction, const QString &id)
{
    if (!transaction.is_object() || !transaction.contains("amount"))
        return 0;
    const std::string who = utf8(id);
    auto names = [&who](const Json &field) { return field.is_string() && field.get<std::string>() == who; };
    const double amount = amountOf(transaction["amount"]);
    double delta = 0;
    if (transaction.contains("recipient") && names(transaction["recipient"]))
        delta += amount;
    if (transaction.contains("sender") && names(transaction["sender"]))
        delta -= amount;
    return delta;
}

void ChainBalance::requestNext()
{
    const std::int64_t start = m_progress.blocks + 1;
    ++m_requests;
    m_ticket = m_http.get(m_useQuery ? ChainPage::path(start, PageLimit) : ChainPage::wholePath(),
                          [this, start](const HttpResult &answer) {
                              m_ticket = 0;
                              handleAnswer(answer, start);
                          });
}

void ChainBalance::handleAnswer(const HttpResult &answer, std::int64_t start)
{
    if (!answer)
        return finish(u"GET /chain: %1"_s.arg(answer.errorMessage()));
    if (m_useQuery && ChainPage::refusesQuery(answer->status)) {
        m_useQuery = false;   // a classic server that knows only "/chain"
        return requestNext();
    }
    const Result<ChainPage::Page> page = ChainPage::parse(answer->status, answer->body, start);
    if (!page)
        return finish(u"GET /chain: %1"_s.arg(page.errorMessage()));
    m_paged = page->paged;

    // Is the chain still the one read so far? Else count it all again, once per read.
    auto restart = [this] {
        m_progress = {};
        if (m_restarted)
            return false;
        m_restarted = true;
        return true;
    };
    const std::vector<Block> &blocks = page->blocks;
    if (page->paged) {
        const bool replaced = blocks.empty()
            ? page->length < m_progress.blocks
            : m_progress.blocks > 0
                && blocks.front().previousHash().toLatin1() != m_progress.lastHash;
        if (replaced) {
            if (restart())
                return requestNext();
            return finish(u"GET /chain: the chain changed while it was read"_s);
        }
        for (const Block &block : blocks)
            add(block);
        if (!blocks.empty() && m_progress.blocks < page->length)
            return requestNext();
        return finish({});
    }
    // A whole chain (a classic server): skip what was read, if it is still there.
    m_lastWholeChain.start();
    auto first = static_cast<std::size_t>(m_progress.blocks);
    if (first > 0
        && (blocks.size() < first || blocks[first - 1].hash() != m_progress.lastHash)) {
        m_progress = {};
        first = 0;
    }
    for (std::size_t i = first; i < blocks.size(); ++i)
        add(blocks[i]);
    finish({});
}

void ChainBalance::add(const Block &block)
{
    for (const Json &transaction : block.transactions())
        m_progress.balance += change(transaction, m_id);
    m_progress.blocks = block.index();
    m_progress.lastHash = block.hash();
}

void ChainBalance::finish(const QString &problem)
{
    m_problem = problem;
    emit updated();
    if (m_again) {
        m_again = false;
        update();
    }
}
