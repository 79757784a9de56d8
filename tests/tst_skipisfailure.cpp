#include <QTest>

// Skips and does nothing else. CTest must report this as a failure (the test has
// checked nothing); its entry is marked WILL_FAIL, so the suite stays green only
// while a QSKIP really fails a test.
class TestSkipIsFailure final : public QObject
{
    Q_OBJECT

private slots:
    void skips();
};

void TestSkipIsFailure::skips()
{
    QSKIP("a skipped test must fail CTest");
}

QTEST_APPLESS_MAIN(TestSkipIsFailure)
#include "tst_skipisfailure.moc"
