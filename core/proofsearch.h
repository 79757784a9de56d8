#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <QElapsedTimer>
#include <QObject>
#include <QString>

#include "core/pow.h"
#include "core/result.h"
#include "core/sha256.h"

class SearchEngine;

// Multi-threaded proof search with persistent workers. The worker threads are created
// on the first start() that needs them and then park between searches: start()
// publishes the work under a new generation and wakes them, stop() tells them to
// leave the search. Neither ever waits for a worker, takes a lock a worker holds, or
// joins one: a worker at nice 10 or 15 may get little CPU on a busy machine, and the
// caller is often the GUI thread. Workers take chunks of proofs (about 2 ms of work
// each) from one atomic counter and run a SearchEngine on them; the first to find a
// valid proof wins and posts it back to this object's thread, where a result of an
// older generation is dropped. No locks and no signals in the hot loop; attempts() is
// read by a timer for the hash rate.
class ProofSearch final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProofSearch)

public:
    // OS scheduling of the workers, for their whole life: Idle is nice 15 (a busy
    // program sharing a core with it keeps about 97% of it), Low is nice 10 (about
    // 90%), Normal inherits the caller's.
    enum class Priority { Idle, Low, Normal };
    Q_ENUM(Priority)

    struct Work
    {
        Sha256::Midstate midstate;            // of the last block's block string
        int difficulty = Pow::DefaultDifficulty;
        std::uint64_t firstProof = 0;         // where the shared counter starts
    };

    // How long the destructor lets the workers finish their chunk before it leaves
    // them to end on their own (they hold no reference to this object).
    static constexpr int ShutdownGraceMs = 20;

    // threads <= 0 means QThread::idealThreadCount().
    explicit ProofSearch(const SearchEngine &engine, int threads = 0,
                         Priority priority = Priority::Low, QObject *parent = nullptr);
    ~ProofSearch() override;

    // The engine and number of workers of the next start(); the current search, if
    // any, keeps its own. threads <= 0 means one per core.
    void setEngine(const SearchEngine &engine);
    void setThreadCount(int threads);

    // Ends any running search and starts work under a new generation (returned).
    quint64 start(const Work &work);
    // Ends the search; a result still in flight is dropped. Workers leave within a chunk.
    void stop();

    bool isRunning() const { return m_searching; }
    quint64 generation() const { return m_generation; }
    int threadCount() const { return m_threadCount; }
    Priority priority() const { return m_priority; }
    const SearchEngine &engine() const { return *m_engine; }
    std::uint64_t chunkSize() const;   // of the next start()'s engine
    int workerCount() const;           // worker threads alive, searching or parked
    int busyWorkers() const;           // workers inside a search (0 a chunk after stop())

    quint64 attempts() const;          // every attempt since construction, all threads
    quint64 searchAttempts() const;    // attempts of the current (or last) search
    quint64 searchChunksTaken() const; // chunks of it that workers have begun
    double searchSeconds() const;      // how long the current (or last) search ran

    static QString priorityName(Priority priority);
    static Result<Priority> priorityFromName(const QString &name);

signals:
    // A valid proof for the work of that generation (never an older generation's).
    void proofFound(quint64 generation, quint64 proof, quint64 attempts, double seconds);
    // Every proof up to 2^63 was tried without success.
    void searchExhausted(quint64 generation);

private:
    struct Search;
    struct Pool;

    static void workerMain(std::shared_ptr<Pool> pool, int index);
    static void runSearch(Pool &pool, Search &search);
    static void post(Pool &pool, quint64 generation, std::optional<quint64> proof);
    void ensureWorkers(int count);
    void endSearch();
    void reclaim();
    void finish(quint64 generation, std::optional<quint64> proof);

    const SearchEngine *m_engine;
    int m_threadCount;
    const Priority m_priority;
    quint64 m_generation = 0;
    bool m_searching = false;
    quint64 m_attemptsAtEnd = 0;
    double m_secondsAtEnd = 0;
    QElapsedTimer m_clock;
    Search *m_search = nullptr;                    // the current (or last) search
    std::vector<std::unique_ptr<Search>> m_searches;   // it, and older ones still read
    // Shared with the workers, which outlive this object for at most one chunk.
    std::shared_ptr<Pool> m_pool;
};
