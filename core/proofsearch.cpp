#include "core/proofsearch.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <system_error>
#include <thread>

#include <QThread>

#include "core/engines/engines.h"
#include "core/engines/searchengine.h"
#include "core/logging.h"
#include "core/validate.h"

#ifdef Q_OS_LINUX
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>
#endif

using namespace Qt::StringLiterals;

namespace
{
// Work per chunk. A worker notices a new generation between chunks, so this is what a
// tip change costs it: at nice 10 next to a busy program (about a tenth of a core) 2 ms
// of work take some 20 ms.
constexpr int ChunkMilliseconds = 2;
constexpr std::uint64_t MinChunk = 1 << 12;
constexpr std::uint64_t MaxChunk = 1 << 22;
constexpr int LowNice = 10;
constexpr int IdleNice = 15;
constexpr std::size_t MaxWorkers = Validate::MaxThreads;

// About ChunkMilliseconds of this engine's work on one thread, as a power of two, from
// the registry's calibrated rate (measured once per engine, shared with best()).
std::uint64_t chunkSizeFor(const SearchEngine &engine)
{
    const double perChunk = Engines::rate(engine) * ChunkMilliseconds / 1000.0;
    const auto wanted = static_cast<std::uint64_t>(perChunk);
    return std::clamp(std::bit_floor(std::max<std::uint64_t>(wanted, 1)), MinChunk, MaxChunk);
}

int threadsFor(int requested)
{
    return requested > 0 ? requested : std::max(1, QThread::idealThreadCount());
}

void nameThisThread(int index)
{
#ifdef Q_OS_LINUX
    // The kernel keeps 15 characters: "ProofSearch-" and up to three digits.
    const QByteArray name = "ProofSearch-" + QByteArray::number(index);
    pthread_setname_np(pthread_self(), name.left(15).constData());
#else
    Q_UNUSED(index);
#endif
}

// Lowers the calling thread's scheduling priority: its nice value (Linux nice is per
// thread; QThread's priorities are no-ops for SCHED_OTHER threads). A process ends only
// once each of its threads has had the CPU again, and a busy low-priority thread on a
// busy machine waits long for it: a bare program with two such threads next to two
// busy loops took (median, worst of 12) 5.2 s, 14 s to exit under SCHED_IDLE, 0.46 s,
// 0.75 s at nice 19, 0.19 s, 0.37 s at nice 15, 0.09 s, 0.14 s at nice 10. So Idle is
// nice 15 (about 3% of a core shared with a busy program), which lets Ctrl-C end the
// miner within a second. Failure is harmless: the thread keeps the inherited priority.
void applyPriority(ProofSearch::Priority priority)
{
    if (priority == ProofSearch::Priority::Normal)
        return;
#ifdef Q_OS_LINUX
    const auto tid = static_cast<id_t>(gettid());
    const int wanted = priority == ProofSearch::Priority::Idle ? IdleNice : LowNice;
    errno = 0;
    const int current = getpriority(PRIO_PROCESS, tid);
    if (errno == 0 && current >= wanted)
        return;   // already at least as nice; raising priority back would need root
    setpriority(PRIO_PROCESS, tid, wanted);
#else
    QThread::currentThread()->setPriority(priority == ProofSearch::Priority::Idle
                                              ? QThread::IdlePriority
                                              : QThread::LowPriority);
#endif
}
}

// One generation's work, shared by the workers that search it. The owner allocates and
// frees it; a worker uses it only under its hazard pointer (Pool::hazards).
struct ProofSearch::Search
{
    Work work;
    const SearchEngine *engine = nullptr;
    std::uint64_t chunk = MinChunk;
    int threads = 1;
    quint64 generation = 0;
    std::atomic<bool> running {true};          // false once stopped, won or exhausted
    std::atomic<std::uint64_t> next {0};
    std::atomic<std::uint64_t> attempts {0};
    std::atomic<int> live {0};                 // participating workers still in it
};

// What the workers and this object share. The workers hold it, so it outlives this
// object until the last worker has ended. The owner never takes a lock a worker may
// hold while it searches: a worker the scheduler starves would stall the GUI thread.
struct ProofSearch::Pool
{
    explicit Pool(Priority p) : priority{p} {}

    const Priority priority;
    std::atomic<Search *> current {nullptr};
    std::atomic<std::uint32_t> wake {0};       // bumped for every new generation; parked
                                               // workers wait on it
    std::atomic<bool> quit {false};
    // What each worker is reading: the owner frees no Search that is listed here.
    std::array<std::atomic<Search *>, MaxWorkers> hazards {};
    std::atomic<std::uint64_t> attempts {0};
    std::atomic<int> busy {0};
    std::atomic<int> alive {0};
    std::atomic<int> exited {0};
    // Guards receiver, for the rare post of a result (once per search).
    std::mutex postMutex;
    ProofSearch *receiver = nullptr;
    // Searches the owner could not free because a worker still read them when it was
    // destroyed; the last one to let go of the pool frees them.
    std::vector<std::unique_ptr<Search>> orphans;
};

ProofSearch::ProofSearch(const SearchEngine &engine, int threads, Priority priority,
                         QObject *parent)
    : QObject{parent}
    , m_engine{&engine}
    , m_threadCount{threadsFor(threads)}
    , m_priority{priority}
    , m_pool{std::make_shared<Pool>(priority)}
{
    m_pool->receiver = this;
}

ProofSearch::~ProofSearch()
{
    {
        const std::lock_guard lock(m_pool->postMutex);
        m_pool->receiver = nullptr;   // a result posted from now on goes nowhere
    }
    if (m_search)
        m_search->running.store(false);
    m_pool->quit.store(true);
    m_pool->wake.fetch_add(1);
    m_pool->wake.notify_all();
    // Give the workers a moment to leave their chunk, for a tidy exit; a worker the
    // scheduler starves is not waited for.
    const auto deadline = std::chrono::steady_clock::now()
        + std::chrono::milliseconds(ShutdownGraceMs);
    while (m_pool->exited.load() < m_pool->alive.load()
           && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    reclaim();
    for (std::unique_ptr<Search> &search : m_searches)
        m_pool->orphans.push_back(std::move(search));   // still read by a worker
}

void ProofSearch::setEngine(const SearchEngine &engine)
{
    m_engine = &engine;
}

void ProofSearch::setThreadCount(int threads)
{
    m_threadCount = std::min(threadsFor(threads), static_cast<int>(MaxWorkers));
}

std::uint64_t ProofSearch::chunkSize() const
{
    return chunkSizeFor(*m_engine);
}

void ProofSearch::ensureWorkers(int count)
{
    while (m_pool->alive.load() < count) {
        // Counted before it runs, so that reclaim() already looks at its hazard.
        const int index = m_pool->alive.fetch_add(1);
        try {
            std::thread(workerMain, m_pool, index).detach();
        } catch (const std::system_error &error) {
            m_pool->alive.fetch_sub(1);
            qCWarning(lcMiner) << "Cannot start proof-search thread" << index << ":"
                               << error.what();
            return;
        }
    }
}

quint64 ProofSearch::start(const Work &work)
{
    endSearch();
    ensureWorkers(m_threadCount);
    auto search = std::make_unique<Search>();
    search->work = work;
    search->engine = m_engine;
    search->chunk = chunkSizeFor(*m_engine);
    search->threads = std::min(m_threadCount, std::max(1, m_pool->alive.load()));
    search->generation = ++m_generation;
    search->next.store(std::min(work.firstProof, Pow::MaxProof));
    search->live.store(search->threads);
    m_search = search.get();
    m_searches.push_back(std::move(search));
    m_searching = true;
    m_clock.start();
    m_pool->current.store(m_search);
    m_pool->wake.fetch_add(1);
    m_pool->wake.notify_all();
    reclaim();
    return m_generation;
}

void ProofSearch::stop()
{
    endSearch();
}

void ProofSearch::endSearch()
{
    if (!m_searching)
        return;
    m_searching = false;
    m_search->running.store(false);
    m_attemptsAtEnd = m_search->attempts.load();
    m_secondsAtEnd = m_clock.nsecsElapsed() / 1e9;
}

// Frees every search but the current one that no worker reads any more.
void ProofSearch::reclaim()
{
    const auto inUse = [this](const Search *search) {
        const int workers = m_pool->alive.load();
        for (int i = 0; i < workers; ++i) {
            if (m_pool->hazards[static_cast<std::size_t>(i)].load() == search)
                return true;
        }
        return false;
    };
    std::erase_if(m_searches, [&](const std::unique_ptr<Search> &search) {
        return search.get() != m_search && !inUse(search.get());
    });
}

int ProofSearch::workerCount() const
{
    return m_pool->alive.load();
}

int ProofSearch::busyWorkers() const
{
    return m_pool->busy.load();
}

quint64 ProofSearch::attempts() const
{
    return m_pool->attempts.load(std::memory_order_relaxed);
}

quint64 ProofSearch::searchAttempts() const
{
    if (!m_search)
        return 0;
    return m_searching ? m_search->attempts.load(std::memory_order_relaxed) : m_attemptsAtEnd;
}

quint64 ProofSearch::searchChunksTaken() const
{
    if (!m_search)
        return 0;
    const std::uint64_t first = std::min(m_search->work.firstProof, Pow::MaxProof);
    return (m_search->next.load(std::memory_order_relaxed) - first) / m_search->chunk;
}

double ProofSearch::searchSeconds() const
{
    return m_searching ? m_clock.nsecsElapsed() / 1e9 : m_secondsAtEnd;
}

QString ProofSearch::priorityName(Priority priority)
{
    switch (priority) {
    case Priority::Idle:
        return u"idle"_s;
    case Priority::Low:
        return u"low"_s;
    case Priority::Normal:
        return u"normal"_s;
    }
    return {};
}

Result<ProofSearch::Priority> ProofSearch::priorityFromName(const QString &name)
{
    for (const Priority priority : {Priority::Idle, Priority::Low, Priority::Normal}) {
        if (name.compare(priorityName(priority), Qt::CaseInsensitive) == 0)
            return priority;
    }
    return Error{u"'%1' is not one of idle, low, normal"_s.arg(name)};
}

// The body of each worker thread: park until a new generation, search it if this
// worker takes part, repeat until told to quit.
void ProofSearch::workerMain(std::shared_ptr<Pool> pool, int index)
{
    nameThisThread(index);
    applyPriority(pool->priority);
    std::atomic<Search *> &hazard = pool->hazards[static_cast<std::size_t>(index)];
    quint64 seen = 0;
    for (;;) {
        // Read before looking for work, so a generation published meanwhile wakes us.
        const std::uint32_t wake = pool->wake.load();
        if (pool->quit.load())
            break;
        // Announce the search before using it, then check it is still the current one:
        // the owner frees only searches that are neither current nor announced.
        Search *search = pool->current.load();
        hazard.store(search);
        while (search != pool->current.load()) {
            search = pool->current.load();
            hazard.store(search);
        }
        if (search && search->generation != seen) {
            seen = search->generation;
            if (index < search->threads) {
                pool->busy.fetch_add(1);
                runSearch(*pool, *search);
                pool->busy.fetch_sub(1);
            }
            hazard.store(nullptr);
            continue;
        }
        hazard.store(nullptr);
        pool->wake.wait(wake);   // parked until the next generation or quit
    }
    pool->exited.fetch_add(1);
}

// One worker's part of one search. No QObject calls, no lock, no logging in the loop.
void ProofSearch::runSearch(Pool &pool, Search &search)
{
    const Sha256::Midstate &midstate = search.work.midstate;
    const int difficulty = search.work.difficulty;
    while (search.running.load(std::memory_order_relaxed)) {
        const std::uint64_t first = search.next.fetch_add(search.chunk, std::memory_order_relaxed);
        if (first > Pow::MaxProof)
            break;   // the whole range is taken
        const SearchResult r = search.engine->search(midstate, difficulty, first, search.chunk);
        search.attempts.fetch_add(r.attempts, std::memory_order_relaxed);
        pool.attempts.fetch_add(r.attempts, std::memory_order_relaxed);
        if (!r.proof)
            continue;
        bool wasRunning = true;   // the first finder wins; the others drop out
        if (search.running.compare_exchange_strong(wasRunning, false))
            post(pool, search.generation, *r.proof);
        break;
    }
    // The last worker out with the search still on means the range ran out.
    if (search.live.fetch_sub(1) == 1) {
        bool wasRunning = true;
        if (search.running.compare_exchange_strong(wasRunning, false))
            post(pool, search.generation, std::nullopt);
    }
}

void ProofSearch::post(Pool &pool, quint64 generation, std::optional<quint64> proof)
{
    // Under the lock, so the receiver cannot be destroyed in between; an event still
    // queued when it is destroyed is removed by QObject's destructor. Once per search.
    const std::lock_guard lock(pool.postMutex);
    if (ProofSearch *receiver = pool.receiver) {
        QMetaObject::invokeMethod(
            receiver, [receiver, generation, proof] { receiver->finish(generation, proof); },
            Qt::QueuedConnection);
    }
}

void ProofSearch::finish(quint64 generation, std::optional<quint64> proof)
{
    if (generation != m_generation || !m_searching)
        return;   // stopped or restarted since: an old generation's result
    endSearch();
    if (proof)
        emit proofFound(generation, *proof, m_attemptsAtEnd, m_secondsAtEnd);
    else
        emit searchExhausted(generation);
}
