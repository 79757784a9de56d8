#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <QElapsedTimer>
#include <QObject>
#include <QString>

#include "core/pow.h"
#include "core/sha256.h"

class QThread;
class SearchEngine;

// Multi-threaded proof search: N worker threads take chunks of proofs from one
// atomic counter and run a SearchEngine on them; the first worker to find a valid
// proof wins and posts it back to this object's thread. Workers check an atomic
// flag between chunks (a chunk is about 10 ms of work), so stop() and a restart
// (start() while running) return promptly and join every thread. No locks and no
// signals in the hot loop; attempts() is read by a timer for the hash rate.
class ProofSearch final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProofSearch)

public:
    // OS scheduling of the workers: Idle runs only when the CPU has nothing else to
    // do (SCHED_IDLE on Linux), Low is nice 10, Normal inherits the caller's.
    enum class Priority { Idle, Low, Normal };
    Q_ENUM(Priority)

    struct Work
    {
        Sha256::Midstate midstate;            // of the last block's block string
        int difficulty = Pow::DefaultDifficulty;
        std::uint64_t firstProof = 0;         // where the shared counter starts
    };

    // threads <= 0 means QThread::idealThreadCount().
    explicit ProofSearch(const SearchEngine &engine, int threads = 0,
                         Priority priority = Priority::Low, QObject *parent = nullptr);
    ~ProofSearch() override;   // stops and joins the workers

    // Stops any running search, then starts work under a new generation (returned).
    quint64 start(const Work &work);
    // Asks the workers to stop and joins them; a result still in flight is dropped.
    void stop();

    bool isRunning() const { return m_searching; }
    quint64 generation() const { return m_generation; }
    int threadCount() const { return m_threadCount; }
    Priority priority() const { return m_priority; }
    const SearchEngine &engine() const { return m_engine; }
    std::uint64_t chunkSize() const { return m_chunkSize; }
    // Workers alive right now (0 once stopped or finished).
    int liveThreads() const;

    quint64 attempts() const;         // every attempt since construction, all threads
    quint64 searchAttempts() const;   // attempts of the current (or last) search
    double searchSeconds() const;     // how long the current (or last) search ran

    static QString priorityName(Priority priority);
    static std::optional<Priority> priorityFromName(const QString &name);

signals:
    // A valid proof for the work of that generation (never an older generation's).
    void proofFound(quint64 generation, quint64 proof, quint64 attempts, double seconds);
    // Every proof up to 2^63 was tried without success.
    void searchExhausted(quint64 generation);

private:
    struct Control
    {
        std::atomic<bool> running {false};
        std::atomic<std::uint64_t> next {0};
        std::atomic<std::uint64_t> attempts {0};
        std::atomic<int> live {0};
    };
    struct ThreadJoiner
    {
        void operator()(QThread *thread) const;
    };

    void work(const Work &work, quint64 generation);
    void finish(quint64 generation, std::optional<quint64> proof);

    const SearchEngine &m_engine;
    const int m_threadCount;
    const Priority m_priority;
    const std::uint64_t m_chunkSize;
    quint64 m_generation = 0;
    bool m_searching = false;
    quint64 m_attemptsAtStart = 0;
    quint64 m_attemptsAtEnd = 0;
    double m_secondsAtEnd = 0;
    QElapsedTimer m_clock;
    Control m_control;
    std::vector<std::unique_ptr<QThread, ThreadJoiner>> m_threads;   // last: joined first
};
