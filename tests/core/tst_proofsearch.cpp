#include <QDir>
#include <QElapsedTimer>
#include <QFile>
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
constexpr int PolicyField = 41;
constexpr int SchedIdle = 5;   // SCHED_IDLE
// A stop must not hang: generous, since CI shares two cores (this is not a speed test).
constexpr qint64 StopBoundMs = 2000;

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

// Worker threads of this process, from the kernel (so leaked threads show up). A
// joined QThread's OS thread may still be tearing down for a moment, hence QTRY.
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

// A /proc stat field (19: nice, 41: scheduling policy) of this process's threads
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
        return 0;
    const QByteArray line = stat.readAll();
    return line.mid(line.lastIndexOf(')') + 2).split(' ').value(NiceField - 3).toInt();
}
}

class TestProofSearch final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void findsValidProofs_data();
    void findsValidProofs();
    void stopMidSearchJoinsEveryThread();
    void restartDropsOldGeneration();
    void destructorJoinsThreads();
    void exhaustedRangeIsReported();
    void prioritiesApplyToWorkers();
    void priorityNames();
    void chunkIsBounded();
};

void TestProofSearch::initTestCase()
{
    QVERIFY(!Engines::available().empty());
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
        const quint64 generation = search.start(workFor(BlockString, difficulty, first));
        QVERIFY(search.isRunning());
        QVERIFY(found.wait(WaitMs));
        QCOMPARE(found.size(), 1);
        QCOMPARE(found[0][0].toULongLong(), generation);
        const quint64 proof = found[0][1].toULongLong();
        QVERIFY(proof >= first);
        QVERIFY2(Pow::validProof(BlockString, proof, difficulty),
                 qPrintable(u"%1 found %2"_s.arg(engine->name()).arg(proof)));
        QVERIFY(found[0][2].toULongLong() >= 1);   // attempts
        QVERIFY(found[0][3].toDouble() >= 0);      // seconds
        QVERIFY(!search.isRunning());
        QCOMPARE(search.searchAttempts(), found[0][2].toULongLong());
        search.stop();
        QCOMPARE(search.liveThreads(), 0);
    }
}

void TestProofSearch::stopMidSearchJoinsEveryThread()
{
    QTRY_COMPARE_WITH_TIMEOUT(osThreadCount(), 0, StopBoundMs);
    const int before = 0;
    ProofSearch search(Engines::best(), 4, ProofSearch::Priority::Low);
    QSignalSpy found(&search, &ProofSearch::proofFound);
    search.start(workFor(BlockString, Unfindable));
    QTRY_VERIFY_WITH_TIMEOUT(search.attempts() > 0, WaitMs);
    QCOMPARE(search.liveThreads(), 4);
    QTRY_COMPARE_WITH_TIMEOUT(osThreadCount(), before + 4, StopBoundMs);

    QElapsedTimer clock;
    clock.start();
    search.stop();
    const qint64 stopMs = clock.elapsed();
    QVERIFY2(stopMs < StopBoundMs, qPrintable(u"stop() took %1 ms"_s.arg(stopMs)));
    QVERIFY(!search.isRunning());
    QCOMPARE(search.liveThreads(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(osThreadCount(), before, StopBoundMs);

    // Stopped means stopped: no attempts are added any more and nothing is reported.
    const quint64 attempts = search.attempts();
    QTest::qWait(100);
    QCOMPARE(search.attempts(), attempts);
    QCOMPARE(found.size(), 0);
    search.stop();   // idempotent
    QTRY_COMPARE_WITH_TIMEOUT(osThreadCount(), before, StopBoundMs);
}

void TestProofSearch::restartDropsOldGeneration()
{
    QTRY_COMPARE_WITH_TIMEOUT(osThreadCount(), 0, StopBoundMs);
    const int before = 0;
    ProofSearch search(Engines::best(), 2, ProofSearch::Priority::Normal);
    QSignalSpy found(&search, &ProofSearch::proofFound);

    // Difficulty 0: the first attempt wins, so the old generation's result is already
    // posted when the restart happens; it must be dropped.
    const QByteArray oldString = BlockString + "old";
    const quint64 oldGeneration = search.start(workFor(oldString, 0));
    QElapsedTimer clock;
    clock.start();
    while (search.liveThreads() > 0 && clock.elapsed() < WaitMs)
        QThread::yieldCurrentThread();
    QCOMPARE(search.liveThreads(), 0);

    const quint64 newGeneration = search.start(workFor(BlockString, 3));
    QCOMPARE(newGeneration, oldGeneration + 1);
    QVERIFY(found.wait(WaitMs));
    QTest::qWait(50);   // anything else queued would arrive now
    QCOMPARE(found.size(), 1);
    QCOMPARE(found[0][0].toULongLong(), newGeneration);
    QVERIFY(Pow::validProof(BlockString, found[0][1].toULongLong(), 3));

    // A restart in the middle of a long search is prompt and reuses no old thread.
    search.start(workFor(BlockString, Unfindable));
    QTRY_VERIFY_WITH_TIMEOUT(search.liveThreads() == 2, WaitMs);
    clock.start();
    const quint64 third = search.start(workFor(oldString, 3));
    QVERIFY2(clock.elapsed() < StopBoundMs, "restart hung");
    QVERIFY(found.wait(WaitMs));
    QCOMPARE(found.size(), 2);
    QCOMPARE(found[1][0].toULongLong(), third);
    QVERIFY(Pow::validProof(oldString, found[1][1].toULongLong(), 3));
    search.stop();
    QTRY_COMPARE_WITH_TIMEOUT(osThreadCount(), before, StopBoundMs);
}

void TestProofSearch::destructorJoinsThreads()
{
    QTRY_COMPARE_WITH_TIMEOUT(osThreadCount(), 0, StopBoundMs);
    const int before = 0;
    {
        ProofSearch search(Engines::best(), 3);
        search.start(workFor(BlockString, Unfindable));
        QTRY_VERIFY_WITH_TIMEOUT(search.attempts() > 0, WaitMs);
    }
    QTRY_COMPARE_WITH_TIMEOUT(osThreadCount(), before, StopBoundMs);
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
    QSKIP("thread nice values are read from /proc");
#else
    if (currentNice() >= 10)
        QSKIP("this process already runs at nice 10 or more");
    ProofSearch search(Engines::best(), 2, ProofSearch::Priority::Low);
    search.start(workFor(BlockString, Unfindable));
    QTRY_COMPARE_WITH_TIMEOUT(statOfThreads(u"ProofSearch-"_s, NiceField), (QList<int>{10, 10}),
                              WaitMs);
    QCOMPARE(currentNice() < 10, true);   // the caller's thread keeps its priority
    search.stop();

    ProofSearch idle(Engines::best(), 2, ProofSearch::Priority::Idle);
    idle.start(workFor(BlockString, Unfindable));
    QTRY_COMPARE_WITH_TIMEOUT(statOfThreads(u"ProofSearch-"_s, PolicyField),
                              (QList<int>{SchedIdle, SchedIdle}), WaitMs);
    idle.stop();
    QTRY_COMPARE_WITH_TIMEOUT(statOfThreads(u"ProofSearch-"_s, PolicyField), QList<int>{}, WaitMs);

    ProofSearch normal(Engines::best(), 1, ProofSearch::Priority::Normal);
    normal.start(workFor(BlockString, Unfindable));
    QTRY_COMPARE_WITH_TIMEOUT(statOfThreads(u"ProofSearch-"_s, NiceField),
                              (QList<int>{currentNice()}), WaitMs);
#endif
}

void TestProofSearch::priorityNames()
{
    QCOMPARE(ProofSearch::priorityFromName(u"idle"_s), ProofSearch::Priority::Idle);
    QCOMPARE(ProofSearch::priorityFromName(u"LOW"_s), ProofSearch::Priority::Low);
    QCOMPARE(ProofSearch::priorityFromName(u"normal"_s), ProofSearch::Priority::Normal);
    QVERIFY(!ProofSearch::priorityFromName(u"high"_s));
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
