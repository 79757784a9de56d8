#include <QFileInfo>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include "core/settings.h"

using namespace Qt::StringLiterals;

// Settings: every key's default, typed round trips through a real INI file, and
// out-of-range or junk values falling back to the defaults.
class TestSettings final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void defaults();
    void roundTrip();
    void junkFallsBackToDefaults();
    void keysAreTheDocumentedOnes();
    void localServerIsTheDefaultUntilANodeUrlIsSet();

private:
    QString path() const { return m_dir.filePath(u"settings.ini"_s); }

    QTemporaryDir m_dir;
};

void TestSettings::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_dir.isValid());
}

void TestSettings::defaults()
{
    const Settings settings(m_dir.filePath(u"empty.ini"_s));
    QCOMPARE(settings.serverUrl(), u"http://127.0.0.1:5000"_s);
    // The window's id file lives in the app data folder, by its full path.
    QCOMPARE(settings.idFile(),
             QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + u"/my_id.txt"_s);
    QVERIFY(QFileInfo(settings.idFile()).isAbsolute());
    QCOMPARE(settings.threads(), std::max(1, QThread::idealThreadCount()));
    QCOMPARE(settings.engine(), u"auto"_s);
    // First run: no node URL set, so the local server is the default.
    QVERIFY(!settings.hasServerUrl());
    QCOMPARE(settings.serverEnabled(), true);
    QCOMPARE(settings.serverPort(), 5000);
    QCOMPARE(settings.serverDifficulty(), 6);
    QVERIFY(settings.serverDatabasePath().endsWith(u"/chain.db"_s));
    QVERIFY(settings.windowGeometry().isEmpty());
    QVERIFY(settings.windowState().isEmpty());
}

void TestSettings::roundTrip()
{
    const QByteArray geometry("\x01\x02\x00\xff geometry", 14);
    {
        Settings settings(path());
        settings.setServerUrl(u"http://node.example:8080/chain/"_s);
        settings.setIdFile(u"/home/alice/id.txt"_s);
        settings.setThreads(3);
        settings.setEngine(u"openssl"_s);
        settings.setServerEnabled(true);
        settings.setServerPort(0);
        settings.setServerDifficulty(3);
        settings.setServerDatabasePath(m_dir.filePath(u"db/chain.db"_s));
        settings.setWindowGeometry(geometry);
        settings.setWindowState("state");
        settings.sync();
        QCOMPARE(settings.fileName(), path());
    }
    const Settings settings(path());
    QCOMPARE(settings.serverUrl(), u"http://node.example:8080/chain/"_s);
    QCOMPARE(settings.idFile(), u"/home/alice/id.txt"_s);
    QCOMPARE(settings.threads(), 3);
    QCOMPARE(settings.engine(), u"openssl"_s);
    QCOMPARE(settings.serverEnabled(), true);
    QCOMPARE(settings.serverPort(), 0);
    QCOMPARE(settings.serverDifficulty(), 3);
    QCOMPARE(settings.serverDatabasePath(), m_dir.filePath(u"db/chain.db"_s));
    QCOMPARE(settings.windowGeometry(), geometry);
    QCOMPARE(settings.windowState(), QByteArray("state"));
}

void TestSettings::junkFallsBackToDefaults()
{
    const QString junkPath = m_dir.filePath(u"junk.ini"_s);
    {
        QSettings raw(junkPath, QSettings::IniFormat);
        raw.setValue(u"Miner/ServerUrl"_s, u"   "_s);
        raw.setValue(u"Miner/IdFile"_s, QString());
        raw.setValue(u"Miner/Threads"_s, u"many"_s);
        raw.setValue(u"Server/Port"_s, 70000);
        raw.setValue(u"Server/Difficulty"_s, 0);
    }
    Settings settings(junkPath);
    QCOMPARE(settings.serverUrl(), Settings::defaultServerUrl());
    QCOMPARE(settings.idFile(), Settings::defaultIdFile());
    QCOMPARE(settings.threads(), Settings::defaultThreads());
    QCOMPARE(settings.serverPort(), Settings::DefaultServerPort);
    QCOMPARE(settings.serverDifficulty(), Settings::DefaultServerDifficulty);

    // The node URL and the thread count pass the checks the command line and the window
    // use (Validate), or the default stands.
    for (const QString &url : {u"ftp://example.org"_s, u"http://127.0.0.1:99999"_s,
                               u"http:///no-host"_s}) {
        settings.setServerUrl(url);
        QCOMPARE(settings.serverUrl(), Settings::defaultServerUrl());
    }
    settings.setServerUrl(u"node.example:8080"_s);
    QCOMPARE(settings.serverUrl(), u"node.example:8080"_s);
    QSettings(junkPath, QSettings::IniFormat).setValue(u"Miner/Threads"_s, 5000);
    QCOMPARE(Settings(junkPath).threads(), Settings::defaultThreads());

    // Setters clamp what they store.
    settings.setThreads(0);
    QCOMPARE(settings.threads(), 1);
    settings.setThreads(5000);
    QCOMPARE(settings.threads(), 1024);
    settings.setServerPort(-5);
    QCOMPARE(settings.serverPort(), 0);
    settings.setServerDifficulty(1000);
    QCOMPARE(settings.serverDifficulty(), 64);
}

void TestSettings::keysAreTheDocumentedOnes()
{
    const QString keysPath = m_dir.filePath(u"keys.ini"_s);
    {
        Settings settings(keysPath);
        settings.setServerUrl(u"http://a:1"_s);
        settings.setIdFile(u"id"_s);
        settings.setThreads(2);
        settings.setEngine(u"auto"_s);
        settings.setServerEnabled(true);
        settings.setServerPort(5001);
        settings.setServerDifficulty(4);
        settings.setServerDatabasePath(u"db"_s);
        settings.setWindowGeometry("g");
        settings.setWindowState("s");
    }
    const QSettings raw(keysPath, QSettings::IniFormat);
    QStringList keys = raw.allKeys();
    keys.sort();
    QCOMPARE(keys, QStringList({u"Miner/Engine"_s, u"Miner/IdFile"_s, u"Miner/ServerUrl"_s,
                                u"Miner/Threads"_s, u"Server/DatabasePath"_s,
                                u"Server/Difficulty"_s, u"Server/Enabled"_s, u"Server/Port"_s,
                                u"Window/Geometry"_s, u"Window/State"_s}));
}

void TestSettings::localServerIsTheDefaultUntilANodeUrlIsSet()
{
    const QString firstRun = m_dir.filePath(u"first.ini"_s);
    Settings settings(firstRun);
    QVERIFY(!settings.hasServerUrl());
    QVERIFY(settings.serverEnabled());

    // Setting a node URL makes it the default...
    settings.setServerUrl(u"http://node.example:5000"_s);
    QVERIFY(settings.hasServerUrl());
    QVERIFY(!settings.serverEnabled());
    // ... unless the local server was turned on explicitly.
    settings.setServerEnabled(true);
    QVERIFY(settings.serverEnabled());
    settings.setServerEnabled(false);
    QVERIFY(!settings.serverEnabled());

    // A blank URL forgets the choice (the key goes) but keeps an explicit Enabled.
    settings.setServerUrl(u"  "_s);
    QVERIFY(!settings.hasServerUrl());
    QCOMPARE(settings.serverUrl(), Settings::defaultServerUrl());
    QVERIFY(!settings.serverEnabled());
    settings.sync();
    QVERIFY(!QSettings(firstRun, QSettings::IniFormat).contains(u"Miner/ServerUrl"_s));
}

QTEST_GUILESS_MAIN(TestSettings)
#include "tst_settings.moc"
