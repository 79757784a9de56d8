#include <QCoreApplication>
#include <QProcess>
#include <QRegularExpression>
#include <QTest>

#include "qtestfailures.h"

using namespace Qt::StringLiterals;

// A skipped test has checked nothing, so CTest must fail it. QtTest exits 0 on a QSKIP,
// so only the FAIL_REGULAR_EXPRESSION that tests/CMakeLists.txt gives every Qt test can
// fail it: this checks that those patterns catch a skip's output and pass a clean run's.
// (The CTest entry tst_skipisfailure_skips runs skips() under CTest itself, WILL_FAIL.)
class TestSkipIsFailure final : public QObject
{
    Q_OBJECT

private slots:
    void skips();
    void skipOutputFailsTheSuite();
};

// Skips and does nothing else: run on its own, never as part of the check below.
void TestSkipIsFailure::skips()
{
    QSKIP("a skipped test must fail CTest");
}

void TestSkipIsFailure::skipOutputFailsTheSuite()
{
    const QRegularExpression failures(QString::fromLatin1(QtestFailures));
    QVERIFY2(failures.isValid(), qPrintable(failures.errorString()));

    QProcess child;
    child.setProcessChannelMode(QProcess::MergedChannels);
    child.start(QCoreApplication::applicationFilePath(), {u"skips"_s});
    QVERIFY2(child.waitForFinished(60'000), qPrintable(child.errorString()));
    const QString output = QString::fromUtf8(child.readAll());
    // A skip exits 0: CTest would call it passed without the patterns.
    QCOMPARE(child.exitStatus(), QProcess::NormalExit);
    QCOMPARE(child.exitCode(), 0);
    QVERIFY2(output.contains(u"SKIP   : TestSkipIsFailure::skips()"_s), qPrintable(output));
    QVERIFY2(failures.match(output).hasMatch(), qPrintable(output));

    // A clean run's summary is not caught: the patterns do not fail every test.
    const QString clean = u"PASS   : TestSkipIsFailure::initTestCase()\n"
                          "Totals: 3 passed, 0 failed, 0 skipped, 0 blacklisted, 5ms\n"_s;
    QVERIFY(!failures.match(clean).hasMatch());
}

QTEST_GUILESS_MAIN(TestSkipIsFailure)
#include "tst_skipisfailure.moc"
