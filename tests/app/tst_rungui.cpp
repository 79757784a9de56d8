#include <memory>

#include <QFile>
#include <QProcess>
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
    QCOMPARE(settings.value(u"Miner/Threads"_s).toInt(), 1);
    QCOMPARE(settings.value(u"Miner/IdFile"_s).toString(), idFile);
    QCOMPARE(settings.value(u"Miner/Engine"_s).toString(), u"auto"_s);
}

QTEST_GUILESS_MAIN(TestRunGui)
#include "tst_rungui.moc"
