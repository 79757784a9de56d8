#include <algorithm>

#include <QDir>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

// The command line as the real executable reads it (app/options.*): each mode refuses
// the options of another, before it opens anything; --help and --version.
class TestOptions final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void otherModesOptionsExit2_data();
    void otherModesOptionsExit2();
    void helpListsEveryOptionAndExitStatus();
    void enginesMarksTheFastestItMeasured();

private:
    struct Result
    {
        int exitCode = -1;
        QString out;
        QString err;
    };
    Result run(const QStringList &arguments);

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestOptions::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

TestOptions::Result TestOptions::run(const QStringList &arguments)
{
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"XDG_DATA_HOME"_s, m_dir->filePath(u"data"_s));
    environment.insert(u"XDG_CONFIG_HOME"_s, m_dir->filePath(u"config"_s));
    environment.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);   // the window could open
    process.setProcessEnvironment(environment);
    process.setWorkingDirectory(m_dir->path());
    process.start(QStringLiteral(BLOCKFORGE_EXECUTABLE), arguments);
    Result result;
    if (!process.waitForFinished(30'000)) {
        process.kill();
        process.waitForFinished();
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err = QString::fromUtf8(process.readAllStandardError());
    return result;
}

void TestOptions::otherModesOptionsExit2_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");
    const QString notServer = u"is a miner option (--mine or the window), not a --server option"_s;
    QTest::newRow("server url") << QStringList{u"--server"_s, u"--url"_s, u"http://a:1"_s}
                                << u"--url "_s + notServer;
    QTest::newRow("server threads") << QStringList{u"--server"_s, u"--threads"_s, u"2"_s}
                                    << u"--threads "_s + notServer;
    QTest::newRow("server id-file") << QStringList{u"--server"_s, u"--id-file"_s, u"id.txt"_s}
                                    << u"--id-file "_s + notServer;
    QTest::newRow("server engine") << QStringList{u"--server"_s, u"--engine"_s, u"openssl"_s}
                                   << u"--engine "_s + notServer;
    QTest::newRow("server priority") << QStringList{u"--server"_s, u"--priority"_s, u"idle"_s}
                                     << u"--priority "_s + notServer;
    QTest::newRow("server engines") << QStringList{u"--engines"_s, u"--server"_s}
                                    << u"--engines "_s + notServer;
    // The port after the miner option: the refusal does not depend on the order.
    QTest::newRow("server threads, valid rest")
        << QStringList{u"--threads"_s, u"2"_s, u"--server"_s, u"--port"_s, u"0"_s}
        << u"--threads "_s + notServer;
    QTest::newRow("mine port") << QStringList{u"--mine"_s, u"--port"_s, u"5000"_s}
                               << u"--port is a --server option"_s;
    QTest::newRow("mine host") << QStringList{u"--mine"_s, u"--host"_s, u"0.0.0.0"_s}
                               << u"--host is a --server option"_s;
    QTest::newRow("mine db") << QStringList{u"--mine"_s, u"--db"_s, u"chain.db"_s}
                             << u"--db is a --server option"_s;
    QTest::newRow("mine reward") << QStringList{u"--mine"_s, u"--reward"_s, u"5"_s}
                                 << u"--reward is a --server option"_s;
    QTest::newRow("mine verbose") << QStringList{u"--mine"_s, u"--verbose"_s}
                                  << u"--verbose is a --server option"_s;
    QTest::newRow("window difficulty") << QStringList{u"--difficulty"_s, u"3"_s}
                                       << u"--difficulty is a --server option"_s;
    QTest::newRow("help-all") << QStringList{u"--help-all"_s} << u"Unknown option 'help-all'."_s;
}

void TestOptions::otherModesOptionsExit2()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    const Result result = run(arguments);
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(result.err.contains(u"blockforge: "_s + message + u"\nTry 'blockforge --help'."_s),
             qPrintable(result.err));
    QVERIFY2(result.out.isEmpty(), qPrintable(result.out));
    // Refused before anything was opened or created.
    QCOMPARE(QDir(m_dir->path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot),
             QStringList());
}

void TestOptions::helpListsEveryOptionAndExitStatus()
{
    const Result result = run({u"--help"_s});
    QCOMPARE(result.exitCode, 0);
    QVERIFY(result.out.startsWith(u"Usage: blockforge [options]\n"_s));
    for (const char *option : {"-h, --help", "-v, --version", "--server", "--mine", "--host",
                               "--port", "--difficulty", "--db", "--reward", "--verbose", "--url",
                               "--threads", "--id-file", "--engine", "--engines", "--priority"})
        QVERIFY2(result.out.contains(u"\n  "_s + QLatin1StringView(option)), option);
    QVERIFY(result.out.endsWith(
        u"\nExit status: 0 success, 1 runtime failure, 2 bad command line.\n"_s));

    const Result version = run({u"--version"_s});
    QCOMPARE(version.exitCode, 0);
    QCOMPARE(version.out, u"blockforge %1\n"_s.arg(QStringLiteral(BLOCKFORGE_VERSION)));
}

void TestOptions::enginesMarksTheFastestItMeasured()
{
    // Every engine this CPU runs, with the figures the choice was made from: "(chosen)"
    // stands beside the fastest, or beside one within 3% of it, never beside a figure
    // well below another engine's. (The choice compares slices side by side, with a
    // 1% tie rule; the figures are each engine's median slice, so the two can differ
    // by a little.)
    const Result result = run({u"--engines"_s});
    QCOMPARE(result.exitCode, 0);
    static const QRegularExpression line(
        uR"(^(\S+)\s+([0-9.]+) M attempts/s per thread(  \(chosen\))?$)"_s);
    QStringList names;
    double fastest = 0;
    double chosen = -1;
    for (const QString &text : result.out.split(u'\n')) {
        const QRegularExpressionMatch match = line.match(text);
        if (!match.hasMatch())
            continue;
        names << match.captured(1);
        const double rate = match.captured(2).toDouble();
        QVERIFY2(rate > 0, qPrintable(text));
        fastest = std::max(fastest, rate);
        if (match.hasCaptured(3)) {
            QCOMPARE(chosen, -1.0);   // one chosen engine
            chosen = rate;
        }
    }
    QVERIFY2(names.contains(u"openssl"_s), qPrintable(result.out));
    QVERIFY2(chosen > 0, qPrintable(result.out));
    // 0.1 M/s of rounding in the printed figures.
    QVERIFY2(chosen >= 0.97 * fastest - 0.1, qPrintable(result.out));
}

QTEST_GUILESS_MAIN(TestOptions)
#include "tst_options.moc"
