#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QSet>
#include <QSignalSpy>
#include <QTest>
#include <QThread>

#include "core/engines/engines.h"
#include "core/engines/searchengine.h"
#include "core/pow.h"
#include "core/proofsearch.h"
#include "core/sha256.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr int Unfindable = 30;   // leading zero hex digits: never found in a test's time
constexpr int WaitMs = 20000;
constexpr int NiceField = 19;
// How long a worker may take to notice: generous, since CI shares two cores.
constexpr int LeaveMs = 20000;

const QByteArray BlockString =
    "{\"index\": 1, \"previous_hash\": 1, \"proof\": 100, \"timestamp\": 1732435200.0,"
    " \"transactions\": []}";

ProofSearch::Work workFor(const QByteArray &blockString, int difficulty, quint64 first = 0)
{
    ProofSearch::Work work;
    work.midstate = Sha256::midstate(blockString);
    work.difficulty = difficulty;
    work.firstProof = first;
    return work;
}

// The real engine behind a gate: each chunk waits until the test opens it. A worker
// stuck at the gate is a worker the scheduler gives no CPU (nice 10 or SCHED_IDLE on
// a busy machine), made certain rather than likely.
class GatedEngine final : public SearchEngine
{
public:
    QString name() const override { return u"gated"_s; }

    SearchResult search(const Sha256::Midstate &midstate, int difficulty, std::uint64_t first,
                        std::uint64_t count) const override
    {
        m_entered.fetch_add(1);
        {
            std::unique_lock lock(m_mutex);
            m_changed.wait(lock, [this] { return m_open; });
        }
        return Engines::best().search(midstate, difficulty, first, count);
    }

    // Closing the gate starts the count of chunks that reached it.
    void setOpen(bool open)
    {
        {
            const std::lock_guard lock(m_mutex);
            m_open = open;
            if (!open)
                m_entered.store(0);
        }
        m_changed.notify_all();
    }
    int entered() const { return m_entered.load(); }

private:
    mutable std::mutex m_mutex;
    mutable std::condition_variable m_changed;
    bool m_open = true;
    mutable std::atomic<int> m_entered {0};
};

// Worker threads of this process, from the kernel (so leaked threads show up). A
// worker that was told to leave may still be ending its chunk, hence QTRY.
int osThreadCount()
{
    int count = 0;
    const QDir tasks(u"/proc/self/task"_s);
    for (const QString &tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile comm(tasks.filePath(tid + u"/comm"_s));
        if (comm.open(QIODevice::ReadOnly) && comm.readAll().startsWith("ProofSearch-"))
            ++count;
    }
    return count;
}

// The kernel's ids of this process's worker threads: the same set across searches
// means the same threads.
QSet<QString> workerThreadIds()
{
    QSet<QString> ids;
    const QDir tasks(u"/proc/self/task"_s);
    for (const QString &tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile comm(tasks.filePath(tid + u"/comm"_s));
        if (comm.open(QIODevice::ReadOnly) && comm.readAll().startsWith("ProofSearch-"))
            ids << tid;
    }
    return ids;
}

// A /proc stat field (19: nice) of this process's threads
// whose name starts with prefix (Linux).
QList<int> statOfThreads(const QString &prefix, int field)
{
    QList<int> nices;
    const QDir tasks(u"/proc/self/task"_s);
    for (const QString &tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile comm(tasks.filePath(tid + u"/comm"_s));
        QFile stat(tasks.filePath(tid + u"/stat"_s));
        if (!comm.open(QIODevice::ReadOnly) || !stat.open(QIODevice::ReadOnly))
            continue;
        if (!QString::fromUtf8(comm.readAll()).startsWith(prefix))
            continue;
        // Fields after the ")" closing the name: state is field 3, nice is field 19.
        const QByteArray line = stat.readAll();
        const QList<QByteArray> fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
        nices << fields.value(field - 3).toInt();
    }
    return nices;
}

int currentNice()
{
    QFile stat(u"/proc/thread-self/stat"_s);
    if (!stat.open(QIODevice::ReadOnly))
        qFatal("cannot read /proc/thread-self/stat: %s", qPrintable(stat.errorString()));
    const QByteArray line = stat.readAll();
    return line.mid(line.lastIndexOf(')') + 2).split(' ').value(NiceField - 3).toInt();
}
}


class TestProofSearch final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void findsValidProofs_data();
    void findsValidProofs();
    void workersPersistAcrossSearches();
    void stopLeavesWorkersParked();
    void stopAndRestartNeverWaitForAWorker();
    void destructorLeavesAStuckWorkerBehind();
    void threadCountChangesBetweenSearches();
    void restartDropsOldGeneration();
    void exhaustedRangeIsReported();
    void prioritiesApplyToWorkers();
    void priorityNames();
    void chunkIsBounded();
    void cleanup();

private:
    // Lives as long as the test program: workers may still be at its gate when a test
    // function ends, and leave once cleanup() opens it.
    GatedEngine m_gated;
};

void TestProofSearch::initTestCase()
{
    QVERIFY(!Engines::available().empty());
}

void TestProofSearch::cleanup()
{
    m_gated.setOpen(true);
}

void TestProofSearch::init()
{
    // Each test starts with no worker left over from the one before.
    QTRY_COMPARE_WITH_TIMEOUT(osThreadCount(), 0, LeaveMs);
}

void TestProofSearch::findsValidProofs_data()
{
    QTest::addColumn<int>("difficulty");
    QTest::addColumn<int>("threads");
    QTest::addColumn<quint64>("first");
    for (const int difficulty : {3, 4}) {
        for (const int threads : {1, 2, 4}) {
            QTest::addRow("d%d-t%d", difficulty, threads) << difficulty << threads << quint64(0);
        }
    }
    QTest::addRow("d4-t3-far") << 4 << 3 << quint64(9'000'000'000'000'000'000ULL);
}

void TestProofSearch::findsValidProofs()
{
    QFETCH(int, difficulty);
    QFETCH(int, threads);
    QFETCH(quint64, first);
    for (const SearchEngine *engine : Engines::available()) {
        ProofSearch search(*engine, threads, ProofSearch::Priority::Normal);
        QCOMPARE(search.threadCount(), threads);
        QSignalSpy found(&search, &ProofSearch::proofFound);
        QElapsedTimer wall;
        wall.start();
        const quint64 generation = search.start(workFor(BlockString, difficulty, first));
        QVERIFY(search.isRunning());
        QVERIFY(found.wait(WaitMs));
        const double wallSeconds = wall.nsecsElapsed() / 1e9;
        QCOMPARE(found.size(), 1);
        QCOMPARE(found[0][0].toULongLong(), generation);
        const quint64 proof = found[0][1].toULongLong();
        QVERIFY(proof >= first);
        QVERIFY2(Pow::validProof(BlockString, proof, difficulty),
                 qPrintable(u"%1 found %2"_s.arg(engine->name()).arg(proof)));
        // Attempts: at least the ones up to the proof in its chunk, and what the search
        // and the total counter say.
        const quint64 attempts = found[0][2].toULongLong();
        QVERIFY(attempts >= 1);
        QCOMPARE(search.searchAttempts(), attempts);
        QVERIFY(search.attempts() >= attempts);
        // Seconds: measured by the search itself, within the test's own measurement.
        const double seconds = found[0][3].toDouble();
        QVERIFY2(seconds > 0 && seconds <= wallSeconds,
                 qPrintable(u"%1 s reported, %2 s measured"_s.arg(seconds).arg(wallSeconds)));
        QCOMPARE(search.searchSeconds(), seconds);
        QVERIFY(!search.isRunning());
        QTRY_COMPARE_WITH_TIMEOUT(search.busyWorkers(), 0, LeaveMs);
        QCOMPARE(search.workerCount(), threads);   // parked, not gone
    }
}

void TestProofSearch::workersPersistAcrossSearches()
{
    ProofSearch search(Engines::best(), 2, ProofSearch::Priority::Normal);
    QCOMPARE(search.workerCount(), 0);   // none before the first search
    QSignalSpy found(&search, &ProofSearch::proofFound);
    QSet<QString> firstIds;
    for (int block = 0; block < 20; ++block) {
        const QByteArray blockString = BlockString + QByteArray::number(block);
        search.start(workFor(blockString, 3));
        QVERIFY(found.wait(WaitMs));
        QVERIFY(Pow::validProof(blockString, found.last()[1].toULongLong(), 3));
        if (block == 0) {
            // Each worker names itself when it starts, maybe after the first proof.
            QTRY_COMPARE_WITH_TIMEOUT(workerThreadIds().size(), 2, WaitMs);
            firstIds = workerThreadIds();
        }
        // No thread is created per block: the same two threads search every one.
        QCOMPARE(search.workerCount(), 2);
        QCOMPARE(workerThreadIds(), firstIds);
    }
    QCOMPARE(firstIds.size(), 2);
    QCOMPARE(found.size(), 20);
}

void TestProofSearch::stopLeavesWorkersParked()
{
    ProofSearch search(Engines::best(), 4, ProofSearch::Priority::Low);
    QSignalSpy found(&search, &ProofSearch::proofFound);
    search.start(workFor(BlockString, Unfindable));
    QTRY_VERIFY_WITH_TIMEOUT(search.attempts() > 0, WaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(search.busyWorkers(), 4, WaitMs);
    QCOMPARE(osThreadCount(), 4);

    search.stop();
    QVERIFY(!search.isRunning());
    // Each worker leaves within its chunk and parks: alive, idle, nothing counted.
    QTRY_COMPARE_WITH_TIMEOUT(search.busyWorkers(), 0, LeaveMs);
    const quint64 attempts = search.attempts();
    QTest::qWait(100);
    QCOMPARE(search.attempts(), attempts);
    QCOMPARE(found.size(), 0);
    QCOMPARE(search.workerCount(), 4);
    QCOMPARE(osThreadCount(), 4);
    search.stop();   // idempotent
    QCOMPARE(search.busyWorkers(), 0);
}

void TestProofSearch::stopAndRestartNeverWaitForAWorker()
{
    GatedEngine &gated = m_gated;
    Engines::rate(gated);   // calibrated while the gate is open
    ProofSearch search(gated, 2, ProofSearch::Priority::Normal);
    QSignalSpy found(&search, &ProofSearch::proofFound);
    gated.setOpen(false);

    // Difficulty 0: the first attempt of the old generation wins, once its workers
    // get through the gate; by then its result must be dropped.
    const QByteArray oldString = BlockString + "old";
    search.start(workFor(oldString, 0));
    QTRY_COMPARE_WITH_TIMEOUT(gated.entered(), 2, WaitMs);   // both stuck mid-chunk

    // With both workers stuck, stop() and start() still return (a join would hang
    // here until the gate opens, which it never would).
    search.stop();
    QVERIFY(!search.isRunning());
    QCOMPARE(search.busyWorkers(), 2);
    const quint64 generation = search.start(workFor(BlockString, 3));
    QVERIFY(search.isRunning());
    const quint64 newer = search.start(workFor(BlockString, 4));
    QCOMPARE(newer, generation + 1);
    QCOMPARE(search.workerCount(), 2);

    gated.setOpen(true);
    QVERIFY(found.wait(WaitMs));
    QTest::qWait(50);   // anything else queued would arrive now
    QCOMPARE(found.size(), 1);
    QCOMPARE(found[0][0].toULongLong(), newer);
    QVERIFY(Pow::validProof(BlockString, found[0][1].toULongLong(), 4));
}

void TestProofSearch::destructorLeavesAStuckWorkerBehind()
{
    GatedEngine &gated = m_gated;
    Engines::rate(gated);
    {
        ProofSearch search(gated, 2, ProofSearch::Priority::Normal);
        QSignalSpy found(&search, &ProofSearch::proofFound);
        gated.setOpen(false);
        search.start(workFor(BlockString, 0));
        QTRY_COMPARE_WITH_TIMEOUT(gated.entered(), 2, WaitMs);
    }   // returns after the grace period although both workers are stuck
    QCOMPARE(osThreadCount(), 2);
    // Once they get CPU again they find their proof, report it to nobody and end.
    gated.setOpen(true);
    QTRY_COMPARE_WITH_TIMEOUT(osThreadCount(), 0, LeaveMs);
}

void TestProofSearch::threadCountChangesBetweenSearches()
{
    ProofSearch search(Engines::best(), 3, ProofSearch::Priority::Normal);
    search.start(workFor(BlockString, Unfindable));
    QTRY_COMPARE_WITH_TIMEOUT(search.busyWorkers(), 3, WaitMs);

    // Fewer: the extra workers stay parked.
    search.setThreadCount(1);
    QCOMPARE(search.threadCount(), 1);
    search.start(workFor(BlockString + "1", Unfindable));
    QTRY_COMPARE_WITH_TIMEOUT(search.busyWorkers(), 1, LeaveMs);
    QTest::qWait(100);
    QCOMPARE(search.busyWorkers(), 1);
    QCOMPARE(search.workerCount(), 3);

    // More: only the missing ones are created.
    search.setThreadCount(4);
    search.start(workFor(BlockString + "4", Unfindable));
    QTRY_COMPARE_WITH_TIMEOUT(search.busyWorkers(), 4, WaitMs);
    QCOMPARE(search.workerCount(), 4);
    QCOMPARE(osThreadCount(), 4);
    search.stop();
}

void TestProofSearch::restartDropsOldGeneration()
{
    ProofSearch search(Engines::best(), 2, ProofSearch::Priority::Normal);
    QSignalSpy found(&search, &ProofSearch::proofFound);

    // Difficulty 0: the first attempt wins, so the old generation's result is already
    // posted when the restart happens; it must be dropped.
    const QByteArray oldString = BlockString + "old";
    const quint64 oldGeneration = search.start(workFor(oldString, 0));
    QTRY_COMPARE_WITH_TIMEOUT(search.busyWorkers(), 0, WaitMs);
    const quint64 newGeneration = search.start(workFor(BlockString, 3));
    QCOMPARE(newGeneration, oldGeneration + 1);
    QVERIFY(found.wait(WaitMs));
    QTest::qWait(50);   // anything else queued would arrive now
    QCOMPARE(found.size(), 1);
    QCOMPARE(found[0][0].toULongLong(), newGeneration);
    QVERIFY(Pow::validProof(BlockString, found[0][1].toULongLong(), 3));

    // A restart in the middle of a long search moves every worker to the new work.
    search.start(workFor(BlockString, Unfindable));
    QTRY_COMPARE_WITH_TIMEOUT(search.busyWorkers(), 2, WaitMs);
    const quint64 third = search.start(workFor(oldString, 3));
    QVERIFY(found.wait(WaitMs));
    QCOMPARE(found.size(), 2);
    QCOMPARE(found[1][0].toULongLong(), third);
    QVERIFY(Pow::validProof(oldString, found[1][1].toULongLong(), 3));
    QCOMPARE(search.workerCount(), 2);
}

void TestProofSearch::exhaustedRangeIsReported()
{
    ProofSearch search(Engines::best(), 2, ProofSearch::Priority::Normal);
    QSignalSpy exhausted(&search, &ProofSearch::searchExhausted);
    QSignalSpy found(&search, &ProofSearch::proofFound);
    const quint64 generation = search.start(workFor(BlockString, Pow::MaxDifficulty,
                                                    Pow::MaxProof - 5000));
    QVERIFY(exhausted.wait(WaitMs));
    QCOMPARE(exhausted[0][0].toULongLong(), generation);
    QCOMPARE(found.size(), 0);
    QCOMPARE(search.searchAttempts(), quint64(5001));
    QVERIFY(!search.isRunning());
}

void TestProofSearch::prioritiesApplyToWorkers()
{
#ifndef Q_OS_LINUX
    QFAIL("thread nice values are read from /proc: Linux only");
#else
    // Low is nice 10 and Idle nice 15, or the process's own nice when that is higher.
    const int callerNice = currentNice();
    const QList<std::pair<ProofSearch::Priority, int>> cases = {
        {ProofSearch::Priority::Low, std::max(10, currentNice())},
        {ProofSearch::Priority::Idle, std::max(15, currentNice())},
        {ProofSearch::Priority::Normal, currentNice()}};
    for (const auto &[priority, nice] : cases) {
        {
            ProofSearch search(Engines::best(), 2, priority);
            search.start(workFor(BlockString, Unfindable));
            QTRY_COMPARE_WITH_TIMEOUT(statOfThreads(u"ProofSearch-"_s, NiceField),
                                      (QList<int>{nice, nice}), WaitMs);
            // Parked between searches, they keep it.
            search.stop();
            QTRY_COMPARE_WITH_TIMEOUT(search.busyWorkers(), 0, LeaveMs);
            search.start(workFor(BlockString + "2", Unfindable));
            QCOMPARE(statOfThreads(u"ProofSearch-"_s, NiceField), (QList<int>{nice, nice}));
        }
        QTRY_COMPARE_WITH_TIMEOUT(osThreadCount(), 0, LeaveMs);
    }
    QCOMPARE(currentNice(), callerNice);   // the caller keeps its own
#endif
}

void TestProofSearch::priorityNames()
{
    QCOMPARE(*ProofSearch::priorityFromName(u"idle"_s), ProofSearch::Priority::Idle);
    QCOMPARE(*ProofSearch::priorityFromName(u"LOW"_s), ProofSearch::Priority::Low);
    QCOMPARE(*ProofSearch::priorityFromName(u"normal"_s), ProofSearch::Priority::Normal);
    const Result<ProofSearch::Priority> high = ProofSearch::priorityFromName(u"high"_s);
    QVERIFY(!high);
    QCOMPARE(high.errorMessage(), u"'high' is not one of idle, low, normal"_s);
    QVERIFY(!ProofSearch::priorityFromName(QString()));
    QCOMPARE(ProofSearch::priorityName(ProofSearch::Priority::Low), u"low"_s);
}

void TestProofSearch::chunkIsBounded()
{
    ProofSearch search(Engines::best());
    QCOMPARE(search.threadCount(), std::max(1, QThread::idealThreadCount()));
    QVERIFY(search.chunkSize() >= (1u << 14));
    QVERIFY(search.chunkSize() <= (1u << 22));
    QCOMPARE(search.chunkSize() & (search.chunkSize() - 1), 0u);   // a power of two
}

QTEST_GUILESS_MAIN(TestProofSearch)
#include "tst_proofsearch.moc"
