#include "core/nodelist.h"

#include <QTimer>

#include "core/logging.h"
#include "core/miner.h"
#include "core/minerprotocol.h"
#include "core/validate.h"

using namespace Qt::StringLiterals;

NodeList::NodeList(Miner *miner, QObject *parent)
    : QObject{parent}
    , m_miner{miner}
    , m_probeTimer{new QTimer(this)}
{
    m_probeTimer->setSingleShot(true);
    connect(m_probeTimer, &QTimer::timeout, this, [this] { probe(0); });
    connect(m_miner, &Miner::problemOccurred, this, &NodeList::failed);
    connect(m_miner, &Miner::searchStarted, this, &NodeList::succeeded);
    connect(m_miner, &Miner::recovered, this, &NodeList::succeeded);
    connect(m_miner, &Miner::answered, this,
            [this](qint64, const MinerProtocol::MineAnswer &answer, int) {
                if (answer.kind == MinerProtocol::ReplyKind::Error)
                    failed();
                else
                    succeeded();
            });
    connect(m_miner, &Miner::stopped, this, &NodeList::stop);
}

NodeList::~NodeList() = default;

void NodeList::start(const QList<QUrl> &nodes, const Policy &policy)
{
    m_nodes = nodes;
    m_policy = policy;
    m_current = 0;
    m_failures = 0;
    m_failingSince.invalidate();
    m_active = m_nodes.size() > 1;
    updateProbing();
}

void NodeList::stop()
{
    m_active = false;
    m_probeTimer->stop();
    m_probe.abort(m_probeTicket);
    m_probeTicket = 0;
}

void NodeList::failed()
{
    if (!m_active || !m_miner->isRunning())
        return;
    ++m_failures;
    if (!m_failingSince.isValid())
        m_failingSince.start();
    const bool tooMany = m_failures >= m_policy.failuresToSwitch;
    const bool tooLong = m_failingSince.elapsed() >= m_policy.failingMsToSwitch;
    if (!tooMany && !tooLong)
        return;
    const QString why = tooMany
        ? u"%1 failures in a row"_s.arg(m_failures)
        : u"failing for %1 s"_s.arg(m_failingSince.elapsed() / 1000);
    const int from = m_current;
    const QString reason = u"%1 stopped answering (%2)"_s.arg(
        Validate::displayUrl(m_nodes[from]), why);
    m_failures = 0;
    m_failingSince.invalidate();
    // Once the miner has finished reacting to this failure (it schedules its retry after
    // reporting it): switching then cancels that retry and asks the next node at once.
    QMetaObject::invokeMethod(this, [this, from, reason] {
        if (m_active && m_current == from && m_miner->isRunning())
            switchTo((from + 1) % static_cast<int>(m_nodes.size()), reason);
    }, Qt::QueuedConnection);
}

void NodeList::succeeded()
{
    m_failures = 0;
    m_failingSince.invalidate();
}

void NodeList::switchTo(int index, const QString &reason)
{
    const QUrl from = m_nodes[m_current];
    m_current = index;
    m_failures = 0;
    m_failingSince.invalidate();
    qCDebug(lcMiner).noquote() << reason << "- mining on" << Validate::displayUrl(m_nodes[index]);
    m_miner->switchServer(m_nodes[index]);
    emit switched(from, m_nodes[index], reason);
    updateProbing();
}

void NodeList::updateProbing()
{
    m_probe.abort(m_probeTicket);
    m_probeTicket = 0;
    if (m_active && m_current > 0)
        m_probeTimer->start(m_policy.probeIntervalMs);
    else
        m_probeTimer->stop();
}

// Asks the preferred nodes, first to last before the one in use, one at a time: the
// first with a usable tip gets the miner back.
void NodeList::probe(int index)
{
    if (!m_active || index >= m_current) {
        updateProbing();
        return;
    }
    m_probe.setBaseUrl(m_nodes[index]);
    m_probe.setRequestTimeout(m_policy.probeTimeoutMs);
    m_probeTicket = m_probe.get(u"last_block"_s, [this, index](const HttpResult &answer) {
        m_probeTicket = 0;
        const bool back = answer && MinerProtocol::parseWork(answer->status, answer->body).ok();
        if (back && m_miner->isRunning())
            switchTo(index, u"%1 answers again"_s.arg(Validate::displayUrl(m_nodes[index])));
        else
            probe(index + 1);
    });
}
