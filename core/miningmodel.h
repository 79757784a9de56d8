#pragma once

#include <memory>
#include <optional>

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QUrl>

#include "core/block.h"
#include "core/hashratemeter.h"
#include "core/miner.h"
#include "core/miningsnapshot.h"
#include "core/nodelist.h"
#include "core/proofsearch.h"
#include "core/result.h"

class QTimer;
class ChainServer;

// Mining as the window and the terminal see it (the role of Bitcoin-Qt's ClientModel):
// it owns the Miner and the local ChainServer, keeps the totals of the session across
// runs of the miner, holds the policy (the miner mines on the local server while it
// runs), and hands out an immutable MiningSnapshot, a throttled changed() signal and
// log entries. It never touches a widget; the views render what it gives them.
class MiningModel final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MiningModel)

public:
    static constexpr int UpdateIntervalMs = 250;   // changed() at most this often
    static constexpr int SampleIntervalMs = 500;   // hash-rate samples

    // What the user chose for the miner.
    struct MinerSetup
    {
        // The node, or several in order of preference separated by commas or spaces
        // (failover); not used while the local server runs: it mines there.
        QString nodeUrl;
        QString id;
        QString idFile;        // when set, the id is saved to it before mining starts
        int threads = 0;       // 0: one per core
        QString engine;        // an engine's name; empty or "auto": the fastest here
        Miner::Config tuning;  // poll, timeouts, back-off, grace (url, id, threads and
                               // engine in it are ignored)
        NodeList::Policy failover;
    };

    struct LocalServerSetup
    {
        QString databasePath;
        int port = 0;          // 0: any free port
        bool anyPortIfTaken = false;   // a port in use falls back to any free one
        int difficulty = Pow::DefaultDifficulty;
    };

    explicit MiningModel(ProofSearch::Priority priority = ProofSearch::Priority::Low,
                         QObject *parent = nullptr);
    ~MiningModel() override;

    // Checks the setup (URL, id, engine), saves the id file when one is given, and
    // starts the miner; the error says what is wrong, and nothing is started.
    Result<void> startMining(const MinerSetup &setup);
    void stopMining();   // returns at once; miningStopped() follows
    // Off: the miner polls even where the server pushes new blocks (--no-push).
    void setPushAllowed(bool allowed) { m_pushAllowed = allowed; }
    bool isMining() const { return m_miner.isRunning(); }

    // Starts the chain server inside this process on 127.0.0.1; a running miner moves
    // onto it. Stopping it stops a miner that mines on it.
    Result<void> startLocalServer(const LocalServerSetup &setup);
    void stopLocalServer();
    bool isLocalServerRunning() const { return m_server != nullptr; }
    QUrl localServerUrl() const;

    MiningSnapshot snapshot() const;
    const Miner &miner() const { return m_miner; }
    const NodeList &nodes() const { return *m_nodeList; }

signals:
    void changed();                      // at most every UpdateIntervalMs: read snapshot()
    void logged(const LogEntry &entry);  // as it happens
    void miningStopped();                // the miner has stopped and awaits nothing more
    // Failover moved the miner to another node (reason: plain text, unescaped).
    void nodeSwitched(const QUrl &from, const QUrl &to, const QString &reason);
    // A proof found here was answered (accepted, stale, rejected or an error): as it
    // happens, for the found-blocks table and the coins kept across launches.
    void proofAnswered(const FoundBlock &block);

private:
    void log(LogEntry::Kind kind, const QString &text, qint64 blockIndex = 0);
    void markChanged();
    void sample();
    void handleStarted();
    void handleStateChanged(Miner::State state);
    void handleStopped();
    void handleSearchStarted(qint64 blockIndex, const Block &lastBlock, int difficulty);
    void handleSearchAbandoned(qint64 blockIndex, qint64 newTipIndex);
    void handleProofFound(qint64 blockIndex, quint64 proof, double seconds, quint64 attempts);
    void handleAnswer(qint64 blockIndex, const MinerProtocol::MineAnswer &answer, int retryInMs);
    void handleBlockForged(const Block &block);
    void handleUpdatesChanged(Miner::Updates updates);
    bool minesOnLocalServer() const;
    FoundBlock foundBlock(qint64 blockIndex, const MinerProtocol::MineAnswer &answer) const;

    // Session totals.
    qint64 m_coins = 0;
    int m_accepted = 0;
    int m_stale = 0;
    int m_rejected = 0;
    quint64 m_attempts = 0;           // of finished runs
    qint64 m_miningMs = 0;            // of finished runs
    quint64 m_runAttemptsBase = 0;    // the search's counter when this run started
    QElapsedTimer m_runClock;
    std::optional<MiningSnapshot::Proof> m_lastProof;
    std::optional<Block> m_lastBlock;

    HashRateMeter m_meter {SampleIntervalMs / 2};
    QElapsedTimer m_clock;            // the meter's time base
    bool m_changePending = false;
    bool m_pushAllowed = true;
    QTimer *m_sampleTimer = nullptr;  // child of this
    QTimer *m_changeTimer = nullptr;  // child of this
    std::unique_ptr<ChainServer> m_server;
    Miner m_miner;                    // last: stopped before the server goes
    NodeList *m_nodeList = nullptr;   // child of this; drives m_miner
};
