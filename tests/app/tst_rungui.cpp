#include <csignal>
#include <memory>

#include <sys/types.h>

#include <QFile>
#include <QProcess>
#include <QScopeGuard>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

namespace
{
constexpr int WaitMs = 30000;
}

// `blockforge` with no mode as a user runs it: the window's command-line options,
// the missing-display message, and the options landing in the settings file.
class TestRunGui final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void badCommandLineExits2_data();
    void badCommandLineExits2();
    void noDisplayExits1();
    void optionsOverrideSettings();
    void secondLaunchRaisesTheFirst();
    void brokenConfigFolderStillOpensTheWindow();
    void frozenFirstWindowIsReported();

private:
    QProcessEnvironment environment(bool display) const;
    QString settingsPath() const { return m_dir->filePath(u"config/blockforge/blockforge.conf"_s); }

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestRunGui::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

QProcessEnvironment TestRunGui::environment(bool display) const
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"QT_LOGGING_RULES"_s);
    environment.remove(u"DISPLAY"_s);
    environment.remove(u"WAYLAND_DISPLAY"_s);
    environment.remove(u"QT_QPA_PLATFORM"_s);
    if (display)
        environment.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);
    environment.insert(u"XDG_CONFIG_HOME"_s, m_dir->filePath(u"config"_s));
    environment.insert(u"XDG_DATA_HOME"_s, m_dir->filePath(u"data"_s));
    return environment;
}

void TestRunGui::badCommandLineExits2_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");
    QTest::newRow("threads 0") << QStringList{u"--url"_s, u"http://a:1"_s, u"--threads"_s, u"0"_s}
                               << u"--threads: '0' is not a number from 1 to 1024"_s;
    QTest::newRow("engine") << QStringList{u"--engine"_s, u"quantum"_s}
                            << u"--engine: 'quantum' is not available here"_s;
    QTest::newRow("url scheme") << QStringList{u"--url"_s, u"ftp://example.org"_s}
                                << u"is not an http:// or https:// URL"_s;
    QTest::newRow("url port") << QStringList{u"--url"_s, u"http://127.0.0.1:99999"_s}
                              << u"--url: 'http://127.0.0.1:99999' is not an http:// or https:// "
                                 "URL (Invalid port or port number out of range)"_s;
}

void TestRunGui::badCommandLineExits2()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    QProcess process;
    process.setProcessEnvironment(environment(true));
    process.setWorkingDirectory(m_dir->path());
    process.start(QStringLiteral(BLOCKFORGE_EXECUTABLE), arguments);
    QVERIFY(process.waitForFinished(WaitMs));
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 2);
    const QString errors = QString::fromUtf8(process.readAllStandardError());
    QVERIFY2(errors.contains(message), qPrintable(errors));
    // A bad command line changes no setting, not even the valid options before it.
    QVERIFY(!QFile::exists(settingsPath()));
}

void TestRunGui::noDisplayExits1()
{
    QProcess process;
    process.setProcessEnvironment(environment(false));
    process.setWorkingDirectory(m_dir->path());
    process.start(QStringLiteral(BLOCKFORGE_EXECUTABLE), QStringList{});
    QVERIFY(process.waitForFinished(WaitMs));
    QCOMPARE(process.exitCode(), 1);
    QVERIFY(QString::fromUtf8(process.readAllStandardError()).contains(u"no display"_s));
}

void TestRunGui::optionsOverrideSettings()
{
    QProcess process;
    process.setProcessEnvironment(environment(true));
    process.setWorkingDirectory(m_dir->path());
    const QString idFile = m_dir->filePath(u"id.txt"_s);
    process.start(QStringLiteral(BLOCKFORGE_EXECUTABLE),
                  {u"--url"_s, u"http://node.example:8080"_s, u"--threads"_s, u"1"_s,
                   u"--id-file"_s, idFile, u"--engine"_s, u"auto"_s});
    QVERIFY(process.waitForStarted(WaitMs));
    // QSettings writes from the event loop: the window is up once the file has them.
    QTRY_VERIFY_WITH_TIMEOUT(QSettings(settingsPath(), QSettings::NativeFormat)
                                     .value(u"Miner/ServerUrl"_s)
                                     .toString()
                                 == u"http://node.example:8080"_s,
                             WaitMs);
    QVERIFY(process.state() == QProcess::Running);
    process.terminate();
    QVERIFY(process.waitForFinished(WaitMs));

    const QSettings settings(settingsPath(), QSettings::NativeFormat);
    QVERIFY(settings.contains(u"Miner/Threads"_s));
    QVERIFY(settings.value(u"Miner/Threads"_s).toInt() != 1023);
    QCOMPARE(settings.value(u"Miner/IdFile"_s).toString(), idFile);
    QCOMPARE(settings.value(u"Miner/Engine"_s).toString(), u"auto"_s);
}

void TestRunGui::secondLaunchRaisesTheFirst()
{
    // The first window, on a first run: its local server opens the chain database.
    auto launch = [this](QProcess &process, const QStringList &arguments) {
        process.setProcessEnvironment(environment(true));
        process.setWorkingDirectory(m_dir->path());
        process.start(QStringLiteral(BLOCKFORGE_EXECUTABLE), arguments);
        return process.waitForStarted(WaitMs);
    };
    QByteArray firstErrors;
    QProcess first;
    QVERIFY(launch(first, {}));
    auto stopFirst = qScopeGuard([&] {
        first.kill();
        first.waitForFinished(WaitMs);
    });
    QTRY_VERIFY_WITH_TIMEOUT((firstErrors += first.readAllStandardError()).contains("Listening on"),
                             WaitMs);
    const QString lockPath = m_dir->filePath(u"config/blockforge/blockforge.lock"_s);
    QVERIFY(QFile::exists(lockPath));
    QVERIFY(!QFile::exists(settingsPath()));   // nothing saved until Start or close

    // A second launch, with options of its own: it asks the first to show itself and
    // ends, without a window, a server or a setting.
    for (int i = 0; i < 2; ++i) {
        QProcess second;
        QVERIFY(launch(second, {u"--url"_s, u"http://other.example:1"_s, u"--threads"_s,
                                u"1023"_s}));
        QVERIFY(second.waitForFinished(WaitMs));
        const QByteArray errors = second.readAllStandardError();
        QCOMPARE(second.exitStatus(), QProcess::NormalExit);
        QVERIFY2(second.exitCode() == 0, errors.constData());
        QVERIFY2(errors.contains(QByteArray("blockforge: already running (process "
                                            + QByteArray::number(first.processId())
                                            + "): its window was raised, and nothing was "
                                              "changed here")),
                 errors.constData());
        QVERIFY2(!errors.contains("Listening on") && !errors.contains("chain database"),
                 errors.constData());
        QTRY_COMPARE_WITH_TIMEOUT(
            (firstErrors += first.readAllStandardError())
                .count("A second launch asked for the window: raised it"), i + 1, WaitMs);
        QVERIFY(!QFile::exists(settingsPath()));
        QCOMPARE(first.state(), QProcess::Running);
    }
    QVERIFY2(!firstErrors.contains("locked") && !firstErrors.contains("Cannot"),
             firstErrors.constData());

    // SIGTERM closes the window as the user would: its settings, not the second's.
    first.terminate();
    QVERIFY(first.waitForFinished(WaitMs));
    QCOMPARE(first.exitCode(), 0);
    QVERIFY(!QFile::exists(lockPath));
    const QSettings settings(settingsPath(), QSettings::NativeFormat);
    QVERIFY(!settings.contains(u"Miner/ServerUrl"_s));
    QVERIFY(settings.contains(u"Miner/Threads"_s));
    QVERIFY(settings.value(u"Miner/Threads"_s).toInt() != 1023);
    QCOMPARE(settings.value(u"Server/Enabled"_s).toBool(), true);

    // A window killed outright leaves its lock behind: the next launch takes it over.
    QProcess killed;
    QVERIFY(launch(killed, {}));
    QByteArray killedErrors;
    QTRY_VERIFY_WITH_TIMEOUT(
        (killedErrors += killed.readAllStandardError()).contains("Listening on"), WaitMs);
    killed.kill();
    QVERIFY(killed.waitForFinished(WaitMs));
    QVERIFY(QFile::exists(lockPath));
    QProcess next;
    QVERIFY(launch(next, {}));
    QByteArray nextErrors;
    QTRY_VERIFY_WITH_TIMEOUT(
        (nextErrors += next.readAllStandardError()).contains("Listening on"), WaitMs);
    next.terminate();
    QVERIFY(next.waitForFinished(WaitMs));
    QCOMPARE(next.exitCode(), 0);
}

void TestRunGui::brokenConfigFolderStillOpensTheWindow()
{
    // The config folder is a file: no lock can be made there, the window opens anyway.
    QFile blocker(m_dir->filePath(u"config"_s));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    QProcess process;
    process.setProcessEnvironment(environment(true));
    process.setWorkingDirectory(m_dir->path());
    process.start(QStringLiteral(BLOCKFORGE_EXECUTABLE), QStringList{});
    QVERIFY(process.waitForStarted(WaitMs));
    QByteArray errors;
    QTRY_VERIFY_WITH_TIMEOUT((errors += process.readAllStandardError()).contains("Listening on"),
                             WaitMs);
    QVERIFY2(errors.contains("blockforge: warning: cannot create the lock file "),
             errors.constData());
    QVERIFY(errors.contains("running without the one-window check"));
    process.terminate();
    QVERIFY(process.waitForFinished(WaitMs));
    QCOMPARE(process.exitCode(), 0);
}

void TestRunGui::frozenFirstWindowIsReported()
{
    // The first window is stopped (SIGSTOP): a second launch waits a few seconds for
    // its answer, then says so and exits 1, opening nothing.
    QProcess first;
    first.setProcessEnvironment(environment(true));
    first.setWorkingDirectory(m_dir->path());
    first.start(QStringLiteral(BLOCKFORGE_EXECUTABLE), QStringList{});
    QVERIFY(first.waitForStarted(WaitMs));
    auto stopFirst = qScopeGuard([&] {
        ::kill(static_cast<pid_t>(first.processId()), SIGCONT);
        first.kill();
        first.waitForFinished(WaitMs);
    });
    QByteArray firstErrors;
    QTRY_VERIFY_WITH_TIMEOUT((firstErrors += first.readAllStandardError()).contains("Listening on"),
                             WaitMs);
    QCOMPARE(::kill(static_cast<pid_t>(first.processId()), SIGSTOP), 0);

    QProcess second;
    second.setProcessEnvironment(environment(true));
    second.setWorkingDirectory(m_dir->path());
    second.start(QStringLiteral(BLOCKFORGE_EXECUTABLE), QStringList{});
    QVERIFY(second.waitForFinished(WaitMs));
    const QByteArray errors = second.readAllStandardError();
    QCOMPARE(second.exitCode(), 1);
    const QByteArray expected = "blockforge: already running (process "
        + QByteArray::number(first.processId()) + ", lock ";
    QVERIFY2(errors.contains(expected), errors.constData());
    QVERIFY(errors.contains("but does not answer"));
    QVERIFY2(!errors.contains("Listening on"), errors.constData());
}

QTEST_GUILESS_MAIN(TestRunGui)
#include "tst_rungui.moc"
