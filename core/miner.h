#pragma once

#include <memory>
#include <optional>

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>

#include "core/block.h"
#include "core/proofsearch.h"

class QNetworkAccessManager;
class QNetworkReply;
class QTimer;
class SearchEngine;

// The mining loop of a client of the classic chain server (PROTOCOL.md, "Miner
// behaviour"): read the id, GET /last_block, search proofs on worker threads (a
// ProofSearch), poll /last_block about once a second and drop the work when the tip
// changes, POST /mine, count the answer, repeat until stopped. All networking is
// asynchronous on this object's thread. Any bad answer (refused connection, timeout,
// HTML, garbage, JSON without the keys, an invalid block) is reported as plain text
// through errorOccurred, and the miner backs off (1, 2, 4 ... 30 s) and keeps going.
class Miner final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Miner)

public:
    enum class ReplyKind { Accepted, Stale, Rejected, Error };
    Q_ENUM(ReplyKind)

    enum class State { Stopped, Fetching, Searching, Submitting, WaitingToRetry };
    Q_ENUM(State)

    struct Config
    {
        QUrl serverUrl {QStringLiteral("http://127.0.0.1:5000")};
        QString idFile = QStringLiteral("my_id.txt");
        int threads = 0;                       // 0: one per core
        const SearchEngine *engine = nullptr;  // nullptr: Engines::best()
        ProofSearch::Priority priority = ProofSearch::Priority::Low;
        int pollIntervalMs = 1000;             // /last_block while searching
        int requestTimeoutMs = 10000;          // no bytes for this long: give up
        int firstBackoffMs = 1000;             // after an error; doubles each time
        int maxBackoffMs = 30000;
        int hashRateIntervalMs = 1000;
    };

    explicit Miner(const Config &config, QObject *parent = nullptr);
    ~Miner() override;

    // Reads the id and starts the loop. Returns false (error set, errorOccurred
    // emitted, nothing sent) when the id file is missing, unreadable or empty.
    bool start(QString *error = nullptr);
    void stop();

    bool isRunning() const { return m_running; }
    State state() const { return m_state; }
    const Config &config() const { return m_config; }
    QString minerId() const { return m_id; }
    QString engineName() const;
    int threadCount() const;
    ProofSearch::Priority priority() const;

    // The work being searched: the server's last block, the index of the block being
    // mined (last block's index + 1, 0 before the first answer) and the difficulty.
    const std::optional<Block> &lastBlock() const { return m_lastBlock; }
    qint64 blockIndex() const { return m_blockIndex; }
    int difficulty() const { return m_difficulty; }

    double hashRate() const { return m_hashRate; }   // attempts/s over the last interval
    double averageHashRate() const;                  // over the current (or last) run
    quint64 attempts() const;                        // in the current (or last) run
    qint64 uptimeMs() const;                         // of the current (or last) run
    qint64 coins() const { return m_coins; }         // over this object's life
    int acceptedCount() const { return m_accepted; }
    int staleCount() const { return m_stale; }
    int rejectedCount() const { return m_rejected; }

    // The trimmed id in the file at path, or nullopt with a message.
    static std::optional<QString> readId(const QString &path, QString *error = nullptr);

signals:
    void started();
    void stopped();
    void searchStarted(qint64 blockIndex, const Block &lastBlock, int difficulty);
    void searchAbandoned(qint64 blockIndex);   // the tip moved on: the work was dropped
    void hashRateChanged(double attemptsPerSecond);
    void proofFound(quint64 proof, double seconds, quint64 attempts);
    void serverReplied(int status, const QString &message, Miner::ReplyKind kind);
    void coinsChanged(qint64 total);
    void countersChanged(int accepted, int stale, int rejected);
    void errorOccurred(const QString &message);

private:
    struct Answer;

    QUrl endpoint(const QString &name) const;
    QNetworkReply *send(const QString &name, const QByteArray *postBody);
    static Answer answerOf(QNetworkReply *reply);
    void abortReply(QPointer<QNetworkReply> &reply);

    void requestWork(bool poll);
    void handleWork(QNetworkReply *reply, bool poll);
    void beginSearch(const Block &block, int difficulty);
    void schedulePoll(int milliseconds);
    void handleProof(quint64 generation, quint64 proof, quint64 attempts, double seconds);
    void handleSearchExhausted(quint64 generation);
    void handleMine(QNetworkReply *reply);
    void retryLater(const QString &what, const QString &problem);
    int nextBackoff();
    void updateHashRate();

    Config m_config;
    QString m_id;
    bool m_running = false;
    State m_state = State::Stopped;
    std::optional<Block> m_lastBlock;
    QByteArray m_lastBlockHash;
    qint64 m_blockIndex = 0;
    int m_difficulty = 0;
    quint64 m_generation = 0;
    int m_backoffMs = 0;
    double m_hashRate = 0;
    quint64 m_rateAttempts = 0;
    qint64 m_rateNsecs = 0;
    quint64 m_attemptsBase = 0;
    quint64 m_runAttempts = 0;
    qint64 m_runMs = 0;
    qint64 m_coins = 0;
    int m_accepted = 0;
    int m_stale = 0;
    int m_rejected = 0;
    QElapsedTimer m_uptime;
    QPointer<QNetworkReply> m_workReply;
    QPointer<QNetworkReply> m_mineReply;
    QNetworkAccessManager *m_network = nullptr;   // child of this
    QTimer *m_pollTimer = nullptr;                // child of this
    QTimer *m_retryTimer = nullptr;               // child of this
    QTimer *m_rateTimer = nullptr;                // child of this
    std::unique_ptr<ProofSearch> m_search;        // last: joins its threads first
};
