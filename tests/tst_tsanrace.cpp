#include <thread>

#include <QCoreApplication>
#include <QTest>

// A deliberate data race in a slot: a lambda slot and a std::thread both increment a
// plain int, the slot called directly, from the event loop, or queued by that thread. Built and run only by ThreadSanitizer builds (scripts/sanitize tsan), one
// CTest entry per function, each passing only when TSan, with scripts/tsan.supp, reports
// the race in this file: a suppression broad enough to hide a race in our slots (a
// frame every slot call passes through, like QObject::activate or QMetaCallEvent, or a
// header whose frames are our lambdas) fails them.
class Emitter final : public QObject
{
    Q_OBJECT

signals:
    void poked();
};

class TestTsanRace final : public QObject
{
    Q_OBJECT

private slots:
    void directSlotRacesThread();
    void queuedSlotRacesThread();
    void slotRacesThreadThatQueuedIt();
};

namespace
{
constexpr int Rounds = 10000;
}

void TestTsanRace::directSlotRacesThread()
{
    int counter = 0;
    Emitter emitter;
    connect(&emitter, &Emitter::poked, this, [&counter] { ++counter; });
    std::thread thread([&counter] {
        for (int i = 0; i < Rounds; ++i)
            ++counter;
    });
    for (int i = 0; i < Rounds; ++i)
        emit emitter.poked();   // the slot runs here, inside QObject::activate
    thread.join();
    QVERIFY(counter > 0);
}

void TestTsanRace::queuedSlotRacesThread()
{
    int counter = 0;
    int calls = 0;
    Emitter emitter;
    connect(&emitter, &Emitter::poked, this, [&counter, &calls] { ++counter; ++calls; },
            Qt::QueuedConnection);
    std::thread thread([&counter] {
        for (int i = 0; i < Rounds; ++i)
            ++counter;
    });
    for (int i = 0; i < Rounds; ++i)
        emit emitter.poked();   // posted: the slot runs from the event loop, in QMetaCallEvent
    QTRY_COMPARE_WITH_TIMEOUT(calls, Rounds, 60000);
    thread.join();
}

// The thread queues the slot, then writes: only what it did before queuing is ordered
// before the slot (the hand-off tests/tsanqtqueue.cpp shows TSan), not what follows.
void TestTsanRace::slotRacesThreadThatQueuedIt()
{
    int counter = 0;
    int calls = 0;   // this thread's only
    std::thread thread([this, &counter, &calls] {
        QMetaObject::invokeMethod(this, [&counter, &calls] { ++counter; ++calls; },
                                  Qt::QueuedConnection);
        for (int i = 0; i < Rounds; ++i)
            ++counter;
    });
    QTRY_COMPARE_WITH_TIMEOUT(calls, 1, 60000);
    thread.join();
}

QTEST_GUILESS_MAIN(TestTsanRace)
#include "tst_tsanrace.moc"
