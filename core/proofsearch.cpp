#include "core/proofsearch.h"

#include <algorithm>
#include <bit>
#include <cerrno>

#include <QThread>

#include "core/engines/engines.h"
#include "core/engines/searchengine.h"

#ifdef Q_OS_LINUX
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>
#endif

using namespace Qt::StringLiterals;

namespace
{
constexpr int ChunkMilliseconds = 10;          // work per chunk: well under 50 ms
constexpr std::uint64_t MinChunk = 1 << 14;
constexpr std::uint64_t MaxChunk = 1 << 22;
constexpr int LowNice = 10;
constexpr int IdleNice = 19;

// About ChunkMilliseconds of this engine's work on one thread, as a power of two, from
// the registry's calibrated rate (measured once per engine, shared with best()).
std::uint64_t chunkSizeFor(const SearchEngine &engine)
{
    const double perChunk = Engines::rate(engine) * ChunkMilliseconds / 1000.0;
    const auto wanted = static_cast<std::uint64_t>(perChunk);
    return std::clamp(std::bit_floor(std::max<std::uint64_t>(wanted, 1)), MinChunk, MaxChunk);
}

// Lowers the calling thread's scheduling priority. On Linux, QThread's priorities
// are no-ops for SCHED_OTHER threads, so this sets the thread's nice value (Linux
// nice is per thread) or SCHED_IDLE directly. Failure is harmless: the thread runs
// at the inherited priority.
void applyPriority(ProofSearch::Priority priority)
{
    if (priority == ProofSearch::Priority::Normal)
        return;
#ifdef Q_OS_LINUX
    const auto tid = static_cast<id_t>(gettid());
    if (priority == ProofSearch::Priority::Idle) {
        sched_param param {};
        param.sched_priority = 0;
        if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &param) == 0)
            return;
    }
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

void ProofSearch::ThreadJoiner::operator()(QThread *thread) const
{
    thread->wait();
    delete thread;
}

ProofSearch::ProofSearch(const SearchEngine &engine, int threads, Priority priority,
                         QObject *parent)
    : QObject{parent}
    , m_engine{engine}
    , m_threadCount{threads > 0 ? threads : std::max(1, QThread::idealThreadCount())}
    , m_priority{priority}
    , m_chunkSize{chunkSizeFor(engine)}
{
}

ProofSearch::~ProofSearch()
{
    stop();
}

quint64 ProofSearch::start(const Work &work)
{
    stop();
    const quint64 generation = ++m_generation;
    m_control.next.store(std::min(work.firstProof, Pow::MaxProof));
    m_control.live.store(m_threadCount);
    m_control.running.store(true);
    m_attemptsAtStart = m_control.attempts.load();
    m_searching = true;
    m_clock.start();
    m_threads.reserve(static_cast<std::size_t>(m_threadCount));
    for (int i = 0; i < m_threadCount; ++i) {
        QThread *thread = QThread::create([this, work, generation] {
            this->work(work, generation);
        });
        thread->setObjectName(u"ProofSearch-%1"_s.arg(i));
        m_threads.emplace_back(thread);
        thread->start();
    }
    return generation;
}

void ProofSearch::stop()
{
    m_control.running.store(false);
    if (m_searching) {
        m_searching = false;
        m_attemptsAtEnd = m_control.attempts.load();
        m_secondsAtEnd = m_clock.nsecsElapsed() / 1e9;
    }
    m_threads.clear();   // joins: each worker leaves within one chunk
    m_control.exited.load(std::memory_order_acquire);
}

int ProofSearch::liveThreads() const
{
    return m_control.live.load();
}

quint64 ProofSearch::attempts() const
{
    return m_control.attempts.load(std::memory_order_relaxed);
}

quint64 ProofSearch::searchAttempts() const
{
    return (m_searching ? attempts() : m_attemptsAtEnd) - m_attemptsAtStart;
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

std::optional<ProofSearch::Priority> ProofSearch::priorityFromName(const QString &name)
{
    for (const Priority priority : {Priority::Idle, Priority::Low, Priority::Normal}) {
        if (name.compare(priorityName(priority), Qt::CaseInsensitive) == 0)
            return priority;
    }
    return std::nullopt;
}

// The body of each worker thread. No QObject calls, no mutex, no logging in the loop.
void ProofSearch::work(const Work &work, quint64 generation)
{
    applyPriority(m_priority);
    while (m_control.running.load(std::memory_order_relaxed)) {
        const std::uint64_t first =
            m_control.next.fetch_add(m_chunkSize, std::memory_order_relaxed);
        if (first > Pow::MaxProof)
            break;   // the whole range is taken
        const SearchResult r = m_engine.search(work.midstate, work.difficulty, first, m_chunkSize);
        m_control.attempts.fetch_add(r.attempts, std::memory_order_relaxed);
        if (!r.proof)
            continue;
        bool wasRunning = true;   // the first finder wins; the others drop out
        if (m_control.running.compare_exchange_strong(wasRunning, false)) {
            const quint64 proof = *r.proof;
            QMetaObject::invokeMethod(
                this, [this, generation, proof] { finish(generation, proof); },
                Qt::QueuedConnection);
        }
        break;
    }
    // The last worker out with the search still on means the range ran out.
    if (m_control.live.fetch_sub(1) == 1) {
        bool wasRunning = true;
        if (m_control.running.compare_exchange_strong(wasRunning, false)) {
            QMetaObject::invokeMethod(
                this, [this, generation] { finish(generation, std::nullopt); },
                Qt::QueuedConnection);
        }
    }
    m_control.exited.fetch_add(1, std::memory_order_release);
}

void ProofSearch::finish(quint64 generation, std::optional<quint64> proof)
{
    if (generation != m_generation || !m_searching)
        return;   // stopped or restarted since: an old generation's result
    m_searching = false;
    m_attemptsAtEnd = m_control.attempts.load();
    m_secondsAtEnd = m_clock.nsecsElapsed() / 1e9;
    // The other workers leave within one chunk; they are joined by the next start()
    // or stop(), so this (often the GUI) thread never waits here.
    if (proof)
        emit proofFound(generation, *proof, m_attemptsAtEnd - m_attemptsAtStart, m_secondsAtEnd);
    else
        emit searchExhausted(generation);
}
