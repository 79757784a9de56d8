#pragma once

#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QString>
#include <QUrl>

#include "core/httpclient.h"

class QTimer;
class Miner;

// Failover between chain servers, as cpuminer and XMRig do with pools: the miner's nodes
// in order of preference. When the node in use stops answering (failuresToSwitch
// failures in a row, or failures for failingMsToSwitch), the miner moves to the next
// one (round the list); while it mines on any but the first, the nodes before it are
// probed (GET /last_block) every probeIntervalMs and the miner returns to the first
// that answers. Drives a Miner it does not own; only reads its signals and calls
// switchServer().
class NodeList final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NodeList)

public:
    struct Policy
    {
        int failuresToSwitch = 3;
        int failingMsToSwitch = 30'000;
        int probeIntervalMs = 10'000;
        int probeTimeoutMs = 5000;
    };

    explicit NodeList(Miner *miner, QObject *parent = nullptr);
    ~NodeList() override;

    // The miner has just been started on nodes.first(). A single node: nothing to do.
    void start(const QList<QUrl> &nodes, const Policy &policy);
    void stop();

    const QList<QUrl> &nodes() const { return m_nodes; }
    int current() const { return m_current; }

signals:
    // The miner now mines on `to`; reason says why, as plain text.
    void switched(const QUrl &from, const QUrl &to, const QString &reason);

private:
    void failed();
    void succeeded();
    void switchTo(int index, const QString &reason);
    void probe(int index);
    void updateProbing();

    Miner *m_miner = nullptr;        // not owned
    QList<QUrl> m_nodes;
    Policy m_policy;
    int m_current = 0;
    bool m_active = false;
    int m_failures = 0;
    QElapsedTimer m_failingSince;
    QTimer *m_probeTimer = nullptr;  // child of this
    HttpClient m_probe;
    HttpClient::Ticket m_probeTicket = 0;
};
