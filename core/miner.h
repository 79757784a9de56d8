#pragma once

#include <optional>

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QString>
#include <QUrl>

#include "core/block.h"
#include "core/httpclient.h"
#include "core/minerprotocol.h"
#include "core/proofsearch.h"
#include "core/result.h"

class QTimer;
class SearchEngine;

// The mining loop of a client of the classic chain server (PROTOCOL.md, "Miner
// behaviour"), as a state machine on this object's thread: GET /last_block, search
// proofs (ProofSearch), poll /last_block about once a second and drop the work when
// the tip changes, POST /mine, report the answer, repeat until stopped. A new tip can
// also come from elsewhere (offerTip). Every bad answer is reported as plain text and
// the miner backs off (1, 2, 4 ... 30 s) and keeps going.
//
// Push: when the server's answers announce a long poll (MinerProtocol::longPollMs), the
// poll while searching is GET /last_block?wait=HASH, sent again as soon as it returns,
// so a new block reaches the workers the moment the server has it. A classic server
// gets the 1 s poll. A long poll that fails falls back to polling: after a lost
// connection (a restart) push resumes with the next answer that announces it; after an
// answer that is not work (a 503), or one that returns the same block too soon to be a
// long poll, after pushRetryMs. It keeps no totals: whoever
// listens counts (MiningModel). One Miner can be started and stopped any number of
// times; its worker threads live as long as it does.
class Miner final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Miner)

public:
    // Stopping: stopped, but a proof was sent just before and its answer is awaited
    // (at most submitGraceMs), so that a block the server did forge is counted.
    enum class State { Stopped, Fetching, Searching, Submitting, WaitingToRetry, Stopping };
    Q_ENUM(State)
    // How the miner learns of new blocks: not yet known (no answer yet), the 1 s poll,
    // or the server's push (long poll).
    enum class Updates { Unknown, Polling, Push };
    Q_ENUM(Updates)

    struct Config
    {
        QUrl serverUrl;
        QString id;                            // trimmed; never empty
        int threads = 0;                       // 0: one per core
        const SearchEngine *engine = nullptr;  // nullptr: Engines::best()
        int pollIntervalMs = 1000;             // /last_block while searching
        int requestTimeoutMs = 10'000;         // no bytes for this long: give up
        int firstBackoffMs = 1000;             // after an error; doubles each time
        int maxBackoffMs = 30'000;
        int submitGraceMs = 2000;              // what stop() lets a POST /mine take
        bool push = true;                      // use the server's long poll when offered
        int pushRetryMs = 30'000;              // after a long poll the server refused
    };

    explicit Miner(ProofSearch::Priority priority = ProofSearch::Priority::Low,
                   QObject *parent = nullptr);
    ~Miner() override;

    // Starts the loop; an error (nothing sent) for a blank id or an unusable URL.
    Result<void> start(const Config &config);

    // Returns at once: the search ends, polls and retries stop. A POST /mine already
    // sent may still be answered (within submitGraceMs) and is reported; stopped()
    // follows when nothing is awaited any more.
    void stop();
    // A tip from any source (a poll, a local server, a push): while searching, work on
    // another block is dropped and the search restarts on this one at once.
    void offerTip(const MinerProtocol::Tip &tip);
    // Points the miner at another server. While running, the loop starts again there
    // (a proof already sent to the old one is still answered and reported, as on stop).
    void switchServer(const QUrl &url);

    bool isRunning() const { return m_running; }
    State state() const { return m_state; }
    const Config &config() const { return m_config; }
    // The last failure while it lasts: set by a failed request, cleared by an answer;
    // unreachable when that request got no HTTP answer at all.
    const QString &problem() const { return m_problem; }
    bool isServerUnreachable() const { return m_unreachable; }
    Updates updates() const { return m_updates; }
    int longPollMs() const { return m_longPollMs; }   // the server's offer; 0: none
    const ProofSearch &search() const { return m_search; }

    // The work: the server's last block, the index of the block being mined (last
    // block's index + 1, 0 before the first answer) and the difficulty.
    const std::optional<Block> &lastBlock() const { return m_lastBlock; }
    qint64 blockIndex() const { return m_blockIndex; }
    int difficulty() const { return m_difficulty; }

signals:
    void started();
    void stopped();
    void stateChanged(Miner::State state);
    void searchStarted(qint64 blockIndex, const Block &lastBlock, int difficulty);
    void searchAbandoned(qint64 blockIndex, qint64 newTipIndex);   // someone else forged it
    void proofFound(qint64 blockIndex, quint64 proof, double seconds, quint64 attempts);
    // The server's answer to a proof; retryInMs > 0 when the miner now backs off.
    void answered(qint64 blockIndex, const MinerProtocol::MineAnswer &answer, int retryInMs);
    // A failed request or search, with what the miner does about it, as plain text.
    void problemOccurred(const QString &message);
    void recovered();   // the server answers again after a problem
    void updatesChanged(Miner::Updates updates);

private:
    void setState(State state);
    void requestWork(bool poll);
    void handleWork(const HttpResult &answer, bool poll, bool longPoll, qint64 sentAt);
    bool isPushing() const;
    void noteOffer(const HttpReply &reply);
    void setUpdates(Updates updates);
    bool isCurrentWork(const MinerProtocol::Tip &tip) const;
    void beginSearch(const MinerProtocol::Tip &tip);
    void schedulePoll(int milliseconds);
    void handleProof(quint64 generation, quint64 proof, quint64 attempts, double seconds);
    void handleSearchExhausted(quint64 generation);
    void handleMine(quint64 submission, qint64 blockIndex, const QByteArray &tipHash,
                    const HttpResult &answer);
    void checkClaim(qint64 blockIndex, const QByteArray &tipHash,
                    MinerProtocol::MineAnswer *mine);
    void recheckAfterFailure(qint64 blockIndex, const MinerProtocol::MineAnswer &mine);
    void endGrace(quint64 submission, qint64 blockIndex);
    void retryLater(const QString &what, const QString &problem, bool unreachable);
    void waitToRetry(int delayMs, const QString &problem, bool unreachable);
    void halt();
    void stopPolling();
    void clearProblem();
    void forgetWork();
    int nextBackoff();

    Config m_config;
    bool m_running = false;
    State m_state = State::Stopped;
    QString m_problem;
    bool m_unreachable = false;
    std::optional<Block> m_lastBlock;
    QByteArray m_lastBlockHash;
    qint64 m_blockIndex = 0;
    int m_difficulty = 0;
    quint64 m_generation = 0;
    int m_backoffMs = 0;
    Updates m_updates = Updates::Unknown;
    int m_longPollMs = 0;                                 // offered by the server
    QElapsedTimer m_clock;
    qint64 m_pushAgainAt = 0;                             // m_clock ms; push off until then
    HttpClient::Ticket m_workTicket = 0;
    HttpClient::Ticket m_mineTicket = 0;
    quint64 m_submission = 0;                             // of m_mineTicket
    quint64 m_lastSubmission = 0;
    qint64 m_claimIndex = 0;                              // the last block claimed forged
    QByteArray m_claimTipHash;                            // on this last block
    bool m_mineFailing = false;                           // the last proof's answer failed
    QHash<quint64, HttpClient::Ticket> m_lingering;       // sent before stop()
    HttpClient m_client;
    QTimer *m_pollTimer = nullptr;                        // child of this
    QTimer *m_retryTimer = nullptr;                       // child of this
    ProofSearch m_search;                                 // its workers hold no reference here
};
