#include <QTest>

#include "core/hashratemeter.h"

using Window = HashRateMeter::Window;

// The hash-rate meter's windows, fed with made-up clocks and counters.
class TestHashRateMeter final : public QObject
{
    Q_OBJECT

private slots:
    void nothingBeforeTwoSamples();
    void windowsSeeOnlyTheirSpan();
    void shortHistoryGivesTheWholeHistory();
    void keepsFifteenMinutes();
    void closeSamplesReplaceTheNewest();
    void goingBackwardsStartsAgain();
};

void TestHashRateMeter::nothingBeforeTwoSamples()
{
    HashRateMeter meter(500);
    QVERIFY(!meter.rate(Window::Short));
    meter.add(1000, 5);
    QVERIFY(!meter.rate(Window::Now));
    QCOMPARE(meter.historyMs(), 0);
    meter.add(1500, 505);
    QCOMPARE(*meter.rate(Window::Now), 1000.0);
}

void TestHashRateMeter::windowsSeeOnlyTheirSpan()
{
    // 1000 attempts/s for 60 s, then 3000 attempts/s for 10 s, sampled every 500 ms.
    HashRateMeter meter(500);
    quint64 attempts = 0;
    for (qint64 t = 0; t <= 60'000; t += 500) {
        meter.add(t, attempts);
        attempts += 500;
    }
    attempts -= 500;
    for (qint64 t = 60'500; t <= 70'000; t += 500) {
        attempts += 1500;
        meter.add(t, attempts);
    }
    QCOMPARE(*meter.rate(Window::Now), 3000.0);
    QCOMPARE(*meter.rate(Window::Short), 3000.0);
    // 60 s window: 50 s at 1000 and 10 s at 3000.
    QCOMPARE(*meter.rate(Window::Medium), (50 * 1000.0 + 10 * 3000.0) / 60);
    // Longer than the history: the whole 70 s.
    QCOMPARE(*meter.rate(Window::Long), (60 * 1000.0 + 10 * 3000.0) / 70);
    QCOMPARE(meter.historyMs(), 70'000);
}

void TestHashRateMeter::shortHistoryGivesTheWholeHistory()
{
    HashRateMeter meter(250);
    meter.add(0, 0);
    meter.add(2000, 4000);
    QCOMPARE(*meter.rate(Window::Now), 2000.0);   // no sample within the last second
    QCOMPARE(*meter.rate(Window::Short), 2000.0);
    QCOMPARE(*meter.rate(Window::Long), 2000.0);
}

void TestHashRateMeter::keepsFifteenMinutes()
{
    // An hour at 1 sample per 250 ms: the 15 min window still has its whole span, at
    // a rate that changed 20 minutes in.
    HashRateMeter meter(250);
    quint64 attempts = 0;
    for (qint64 t = 0; t <= 3'600'000; t += 250) {
        meter.add(t, attempts);
        attempts += t < 1'200'000 ? 100 : 250;   // 400/s, then 1000/s
    }
    QCOMPARE(*meter.rate(Window::Long), 1000.0);
    QVERIFY(meter.historyMs() >= HashRateMeter::spanMs(Window::Long));
    QVERIFY(meter.historyMs() < 3'600'000);   // bounded memory: old samples are gone
}

void TestHashRateMeter::closeSamplesReplaceTheNewest()
{
    HashRateMeter meter(500);
    meter.add(0, 0);
    meter.add(500, 500);
    meter.add(600, 600);     // 500 ms or more after the one before the newest: kept
    meter.add(700, 700);     // 200 ms after the one before the newest: replaces 600
    QCOMPARE(*meter.rate(Window::Now), 1000.0);
    QCOMPARE(meter.historyMs(), 700);
}

void TestHashRateMeter::goingBackwardsStartsAgain()
{
    HashRateMeter meter(500);
    meter.add(0, 0);
    meter.add(1000, 1000);
    meter.add(1500, 10);     // a counter reset: the old history means nothing now
    QVERIFY(!meter.rate(Window::Short));
    meter.add(2500, 2010);
    QCOMPARE(*meter.rate(Window::Short), 2000.0);
    meter.add(100, 3000);    // a clock that jumps back
    QVERIFY(!meter.rate(Window::Short));
}

QTEST_APPLESS_MAIN(TestHashRateMeter)
#include "tst_hashratemeter.moc"
