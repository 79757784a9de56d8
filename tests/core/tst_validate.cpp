#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include "core/minerid.h"
#include "core/validate.h"

using namespace Qt::StringLiterals;

// The checks shared by the command line, the settings and the window, and the miner
// id file.
class TestValidate final : public QObject
{
    Q_OBJECT

private slots:
    void nodeUrl_data();
    void nodeUrl();
    void displayUrlMasksCredentials();
    void threadCount_data();
    void threadCount();
    void idFileErrors_data();
    void idFileErrors();
    void idIsTrimmed();
    void saveWritesOnlyWhenTheIdChanges();
    void saveRefusesBlankIdsAndUnwritablePaths();

private:
    QTemporaryDir m_dir;
};

void TestValidate::nodeUrl_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("url");     // empty: refused
    QTest::addColumn<QString>("error");
    QTest::newRow("http") << u"http://127.0.0.1:5000"_s << u"http://127.0.0.1:5000"_s << QString();
    QTest::newRow("https path") << u" https://node.example/chain/ "_s
                                << u"https://node.example/chain/"_s << QString();
    QTest::newRow("no scheme") << u"127.0.0.1:5000"_s << u"http://127.0.0.1:5000"_s << QString();
    QTest::newRow("name only") << u"localhost"_s << u"http://localhost"_s << QString();
    QTest::newRow("ipv6") << u"http://[::1]:8080"_s << u"http://[::1]:8080"_s << QString();
    QTest::newRow("ftp") << u"ftp://example.com"_s << QString()
                         << u"'ftp://example.com' is not an http:// or https:// URL"_s;
    QTest::newRow("port too big") << u"http://127.0.0.1:99999"_s << QString()
                                  << u"'http://127.0.0.1:99999' is not an http:// or https:// URL"
                                     " (Invalid port or port number out of range)"_s;
    QTest::newRow("port 0") << u"http://127.0.0.1:0"_s << QString()
                            << u"(the port must be 1 to 65535)"_s;
    QTest::newRow("no host") << u"http:///last_block"_s << QString() << u"(no host)"_s;
    QTest::newRow("empty port") << u"127.0.0.1:"_s << QString()
                                << u"'127.0.0.1:' is not an http:// or https:// URL (the port is"
                                   " empty: give one from 1 to 65535, or no colon)"_s;
    QTest::newRow("empty port, path") << u"http://127.0.0.1:/x"_s << QString()
                                      << u"(the port is empty"_s;
    QTest::newRow("empty port, ipv6") << u"http://[::1]:"_s << QString() << u"(the port is empty"_s;
    QTest::newRow("credentials kept") << u"http://alice:s3cret@node:5000"_s
                                      << u"http://alice:s3cret@node:5000"_s << QString();
    QTest::newRow("credentials masked") << u"http://alice:s3cret@node:99999"_s << QString()
                                        << u"'http://***@node:99999' is not"_s;
    QTest::newRow("controls escaped") << u"ftp://a\u202eb\x1b"_s << QString()
                                      << u"'ftp://a\\u202eb\\x1b' is not"_s;
    QTest::newRow("empty") << u"  "_s << QString()
                           << u"no URL given (for example http://127.0.0.1:5000)"_s;
}

void TestValidate::nodeUrl()
{
    QFETCH(QString, text);
    QFETCH(QString, url);
    QFETCH(QString, error);
    const Result<QUrl> result = Validate::nodeUrl(text);
    if (url.isEmpty()) {
        QVERIFY(!result);
        QVERIFY2(result.errorMessage().contains(error), qPrintable(result.errorMessage()));
    } else {
        QVERIFY2(result, qPrintable(result.errorMessage()));
        QCOMPARE(result->toString(), url);
    }
}

void TestValidate::displayUrlMasksCredentials()
{
    QCOMPARE(Validate::displayUrl(QUrl(u"http://alice:s3cret@node:5000/x"_s)),
             u"http://***@node:5000/x"_s);
    QCOMPARE(Validate::displayUrl(QUrl(u"https://token@node/"_s)), u"https://***@node/"_s);
    QCOMPARE(Validate::displayUrl(QUrl(u"http://node:5000"_s)), u"http://node:5000"_s);
    QCOMPARE(Validate::displayUrlText(u"a:b@node:1"_s), u"***@node:1"_s);
    QCOMPARE(Validate::displayUrlText(u"http://node/a@b"_s), u"http://node/a@b"_s);
    QCOMPARE(Validate::displayUrlText(u"http://u:p@x@node/"_s), u"http://***@node/"_s);
}

void TestValidate::threadCount_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("threads");   // 0: refused
    QTest::newRow("1") << u"1"_s << 1;
    QTest::newRow("1024") << u"1024"_s << 1024;
    QTest::newRow("spaces") << u" 8 "_s << 8;
    QTest::newRow("0") << u"0"_s << 0;
    QTest::newRow("1025") << u"1025"_s << 0;
    QTest::newRow("-2") << u"-2"_s << 0;
    QTest::newRow("word") << u"many"_s << 0;
    QTest::newRow("float") << u"2.5"_s << 0;
}

void TestValidate::threadCount()
{
    QFETCH(QString, text);
    QFETCH(int, threads);
    const Result<int> result = Validate::threadCount(text);
    if (threads == 0) {
        QVERIFY(!result);
        QCOMPARE(result.errorMessage(), u"'%1' is not a number from 1 to 1024"_s.arg(text));
    } else {
        QCOMPARE(*result, threads);
    }
}

void TestValidate::idFileErrors_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing") << u"missing"_s << u"does not exist"_s;
    QTest::newRow("empty") << u"empty"_s << u"is empty"_s;
    QTest::newRow("blank") << u"blank"_s << u"is empty"_s;
    QTest::newRow("directory") << u"directory"_s << u"Cannot read the miner id"_s;
}

void TestValidate::idFileErrors()
{
    QFETCH(QString, kind);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const QString path = dir.filePath(u"my_id.txt"_s);
    QFile file(path);
    if (kind == u"empty"_s || kind == u"blank"_s) {
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(kind == u"blank"_s ? " \n\t \r\n" : "");
        file.close();
    } else if (kind == u"directory"_s) {
        QVERIFY(QDir(dir.path()).mkdir(u"my_id.txt"_s));
    }
    const Result<QString> id = MinerId::read(path);
    QVERIFY(!id);
    QVERIFY2(id.errorMessage().contains(expected), qPrintable(id.errorMessage()));
    QVERIFY(id.errorMessage().contains(path));
}

void TestValidate::idIsTrimmed()
{
    const QString path = m_dir.filePath(u"trimmed.txt"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("  alice \r\n");
    file.close();
    QCOMPARE(*MinerId::read(path), u"alice"_s);
}

void TestValidate::saveWritesOnlyWhenTheIdChanges()
{
    const QString path = m_dir.filePath(u"saved.txt"_s);
    QCOMPARE(*MinerId::save(path, u" bob "_s), true);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), "bob\n"_ba);
    file.close();
    const QDateTime written = QFileInfo(path).lastModified();
    QCOMPARE(*MinerId::save(path, u"bob"_s), false);   // the same id: not rewritten
    QCOMPARE(QFileInfo(path).lastModified(), written);
    QCOMPARE(*MinerId::save(path, u"carol"_s), true);
    QCOMPARE(*MinerId::read(path), u"carol"_s);
}

void TestValidate::saveRefusesBlankIdsAndUnwritablePaths()
{
    const Result<bool> blank = MinerId::save(m_dir.filePath(u"x.txt"_s), u" \t"_s);
    QVERIFY(!blank);
    QVERIFY(blank.errorMessage().startsWith(u"No miner id"_s));
    QVERIFY(!QFile::exists(m_dir.filePath(u"x.txt"_s)));
    const Result<bool> noPath = MinerId::save(QString(), u"dave"_s);
    QVERIFY(!noPath);
    QVERIFY(noPath.errorMessage().startsWith(u"No id file"_s));
    const QString unwritable = m_dir.filePath(u"no/such/dir/id.txt"_s);
    const Result<bool> cannot = MinerId::save(unwritable, u"dave"_s);
    QVERIFY(!cannot);
    QVERIFY2(cannot.errorMessage().startsWith(u"Cannot save the miner id to \"%1\""_s.arg(
                 unwritable)), qPrintable(cannot.errorMessage()));
}

QTEST_GUILESS_MAIN(TestValidate)
#include "tst_validate.moc"
