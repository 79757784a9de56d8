#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include "core/chainbackup.h"
#include "core/pow.h"
#include "core/sqlitechainstore.h"
#include "tests/verifyresult.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

class TestChainStore final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void emptyDatabaseGetsGenesis();
    void blocksAndPendingSurviveReopen();
    void appendClearsPending();
    void refusesTamperedDatabase_data();
    void refusesTamperedDatabase();
    void refusesNonDatabaseFile();
    void secondStoreOnSameFileIsRefused();
    void storesWorkSideBySide();
    void deletedJournalLosesNothing();
    void backupWhileOpen();

private:
    static constexpr int Difficulty = 2;
    QString dbPath() const { return m_dir->filePath(u"chain.db"_s); }
    // A store holding genesis plus `blocks` mined blocks, closed again.
    Chain populate(int blocks);
    static void editDatabase(const QString &path, const QString &statement);

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestChainStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

Chain TestChainStore::populate(int blocks)
{
    SqliteChainStore store(dbPath());
    if (const Result<void> opened = store.open(); !opened)
        qFatal("open: %s", qPrintable(opened.errorMessage()));
    Result<Chain> chain = store.load(Difficulty);
    if (!chain)
        qFatal("load: %s", qPrintable(chain.errorMessage()));
    for (int i = 0; i < blocks; ++i) {
        const Json transaction = Chain::transaction(u"alice"_s, u"bob"_s, i + 1);
        if (const Result<void> added = store.addPendingTransaction(transaction); !added)
            qFatal("pending: %s", qPrintable(added.errorMessage()));
        chain->addTransaction(transaction);
        const auto proof = Pow::search(chain->lastBlockString(), Difficulty, 0, 1'000'000);
        if (!proof)
            qFatal("no proof found");
        Block block = chain->forge(*proof, u"miner"_s, 1);
        if (const Result<void> appended = store.appendBlock(block, Difficulty); !appended)
            qFatal("append: %s", qPrintable(appended.errorMessage()));
        chain->append(std::move(block));
    }
    return *chain;
}

void TestChainStore::editDatabase(const QString &path, const QString &statement)
{
    const QString name = u"tst_chainstore_edit"_s;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, name);
        db.setDatabaseName(path);
        QVERIFY(db.open());
        QSqlQuery query(db);
        QVERIFY2(query.exec(statement), qPrintable(statement));
        QVERIFY(query.numRowsAffected() > 0);
    }
    QSqlDatabase::removeDatabase(name);
}

void TestChainStore::emptyDatabaseGetsGenesis()
{
    QByteArray genesisHash;
    {
        SqliteChainStore store(dbPath());
        VERIFY_RESULT(store.open());
        const Result<Chain> chain = store.load(Difficulty);
        VERIFY_RESULT(chain);
        QCOMPARE(chain->length(), 1);
        QCOMPARE(chain->lastBlock().index(), 1);
        QCOMPARE(chain->lastBlock().proof(), 100u);
        genesisHash = chain->lastBlock().hash();
    }
    QVERIFY(QFile::exists(dbPath()));
    SqliteChainStore store(dbPath());
    VERIFY_RESULT(store.open());
    const Result<Chain> chain = store.load(Difficulty);
    VERIFY_RESULT(chain);
    QCOMPARE(chain->length(), 1);
    QCOMPARE(chain->lastBlock().hash(), genesisHash);   // the same genesis, not a new one
}

void TestChainStore::blocksAndPendingSurviveReopen()
{
    const Chain written = populate(4);
    {
        SqliteChainStore store(dbPath());
        VERIFY_RESULT(store.open());
        VERIFY_RESULT(store.addPendingTransaction(Chain::transaction(u"carol"_s, u"dave"_s, 2.5)));
    }
    SqliteChainStore store(dbPath());
    VERIFY_RESULT(store.open());
    // Loaded at a different difficulty: each stored block keeps the one it was checked at.
    const Result<Chain> chain = store.load(5);
    VERIFY_RESULT(chain);
    QCOMPARE(chain->length(), 5);
    QCOMPARE(chain->toWire(), written.toWire());
    QVERIFY(chain->difficulties() == (std::vector<int>{0, 2, 2, 2, 2}));
    QCOMPARE(chain->difficulty(), 5);
    QCOMPARE(CanonicalJson::dump(chain->pendingTransactions()),
             CanonicalJson::dump(Json::array({Chain::transaction(u"carol"_s, u"dave"_s, 2.5)})));
    QCOMPARE(CanonicalJson::dump(chain->pendingTransactions()[0]["amount"]), QByteArray("2.5"));
}

void TestChainStore::appendClearsPending()
{
    populate(1);
    SqliteChainStore store(dbPath());
    VERIFY_RESULT(store.open());
    Result<Chain> chain = store.load(Difficulty);
    QVERIFY(chain);
    VERIFY_RESULT(store.addPendingTransaction(Chain::transaction(u"a"_s, u"b"_s, 1)));
    chain->addTransaction(Chain::transaction(u"a"_s, u"b"_s, 1));
    const auto proof = Pow::search(chain->lastBlockString(), Difficulty, 0, 1'000'000);
    QVERIFY(proof);
    const Block block = chain->forge(*proof, u"m"_s, 1);
    VERIFY_RESULT(store.appendBlock(block, Difficulty));
    store.close();
    VERIFY_RESULT(store.open());
    chain = store.load(Difficulty);
    VERIFY_RESULT(chain);
    QCOMPARE(chain->length(), 3);
    QVERIFY(chain->pendingTransactions().empty());
    QCOMPARE(chain->lastBlock().transactions().size(), 2u);   // the transaction and the reward
}

void TestChainStore::refusesTamperedDatabase_data()
{
    QTest::addColumn<QString>("statement");
    QTest::addColumn<QString>("expected");
    QTest::newRow("middle block edited")
        << u"UPDATE blocks SET json = replace(json, '\"recipient\": \"bob\"', "
           "'\"recipient\": \"eve\"') WHERE height = 2"_s
        << u"block 3 has previous_hash"_s;
    QTest::newRow("last block edited")
        << u"UPDATE blocks SET json = replace(json, '\"recipient\": \"miner\"', "
           "'\"recipient\": \"eve\"') WHERE height = 4"_s
        << u"the last block does not match its recorded hash"_s;
    QTest::newRow("last block removed")
        << u"DELETE FROM blocks WHERE height = 4"_s << u"records 4 blocks but holds 3"_s;
    QTest::newRow("block removed in the middle")
        << u"DELETE FROM blocks WHERE height = 2"_s << u"block 2 is missing"_s;
    QTest::newRow("not canonical")
        << u"UPDATE blocks SET json = replace(json, '\"index\": 3, ', '\"index\":3, ') "
           "WHERE height = 3"_s
        << u"block 3 is not in canonical form"_s;
    QTest::newRow("not JSON")
        << u"UPDATE blocks SET json = 'garbage' WHERE height = 3"_s << u"block 3: invalid JSON"_s;
    QTest::newRow("difficulty lowered below its proof")
        << u"UPDATE blocks SET difficulty = 9 WHERE height = 3"_s
        << u"block 3 has proof"_s;
    QTest::newRow("pending not an object")
        << u"INSERT INTO pending (json) VALUES ('[1, 2]')"_s
        << u"is not a JSON object"_s;
    QTest::newRow("foreign format")
        << u"UPDATE meta SET value = 'other' WHERE key = 'format'"_s << u"unknown format"_s;
}

void TestChainStore::refusesTamperedDatabase()
{
    QFETCH(QString, statement);
    QFETCH(QString, expected);
    populate(3);
    {
        SqliteChainStore store(dbPath());   // one pending transaction, id 1
        VERIFY_RESULT(store.open());
        VERIFY_RESULT(store.addPendingTransaction(Chain::transaction(u"x"_s, u"y"_s, 1)));
    }
    editDatabase(dbPath(), statement);
    QFile file(dbPath());
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray before = file.readAll();
    file.close();

    SqliteChainStore store(dbPath());
    QString error;
    if (const Result<void> opened = store.open(); !opened) {
        error = opened.errorMessage();
    } else {
        const Result<Chain> chain = store.load(Difficulty);
        QVERIFY(!chain);
        error = chain.errorMessage();
        store.close();
    }
    QVERIFY2(error.contains(expected), qPrintable(error));
    QVERIFY2(error.contains(dbPath()), qPrintable(error));
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), before);   // refused, never "fixed"
}

void TestChainStore::refusesNonDatabaseFile()
{
    QFile file(dbPath());
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QByteArray(4096, 'x'));
    file.close();
    SqliteChainStore store(dbPath());
    const Result<void> opened = store.open();
    QVERIFY(!opened);
    const QString &error = opened.errorMessage();
    QVERIFY2(error.contains(u"Cannot open chain database"_s), qPrintable(error));
    QVERIFY2(error.contains(u"not a database"_s), qPrintable(error));
    QVERIFY(!store.isOpen());

    SqliteChainStore folder(m_dir->path());
    const Result<void> folderOpened = folder.open();
    QVERIFY(!folderOpened);
    QVERIFY2(folderOpened.errorMessage().contains(u"folder"_s),
             qPrintable(folderOpened.errorMessage()));
}

void TestChainStore::secondStoreOnSameFileIsRefused()
{
    SqliteChainStore first(dbPath());
    VERIFY_RESULT(first.open());
    VERIFY_RESULT(first.load(Difficulty));
    SqliteChainStore second(dbPath());
    QString error;
    if (const Result<void> opened = second.open(); !opened) {
        error = opened.errorMessage();
    } else {
        const Result<Chain> chain = second.load(Difficulty);
        QVERIFY(!chain);
        error = chain.errorMessage();
    }
    QVERIFY2(error.contains(u"locked"_s), qPrintable(error));
    first.close();
    VERIFY_RESULT(second.open());
    VERIFY_RESULT(second.load(Difficulty));
}

void TestChainStore::storesWorkSideBySide()
{
    SqliteChainStore a(m_dir->filePath(u"a.db"_s));
    SqliteChainStore b(m_dir->filePath(u"b.db"_s));
    VERIFY_RESULT(a.open());
    VERIFY_RESULT(b.open());
    Result<Chain> chainA = a.load(Difficulty);
    Result<Chain> chainB = b.load(Difficulty);
    QVERIFY(chainA && chainB);
    VERIFY_RESULT(a.addPendingTransaction(Chain::transaction(u"a"_s, u"b"_s, 1)));
    a.close();
    b.close();
    VERIFY_RESULT(a.open());
    VERIFY_RESULT(b.open());
    const Result<Chain> reloadedA = a.load(Difficulty);
    const Result<Chain> reloadedB = b.load(Difficulty);
    VERIFY_RESULT(reloadedA);
    VERIFY_RESULT(reloadedB);
    QCOMPARE(reloadedA->pendingTransactions().size(), 1u);
    QCOMPARE(reloadedB->pendingTransactions().size(), 0u);
}

void TestChainStore::deletedJournalLosesNothing()
{
    // Someone deletes the -wal and -shm files of a running server's database: the blocks
    // since the last checkpoint must not vanish on the next start.
    SqliteChainStore store(dbPath());
    VERIFY_RESULT(store.open());
    Result<Chain> chain = store.load(Difficulty);
    QVERIFY(chain);
    const auto forge = [&] {
        const auto proof = Pow::search(chain->lastBlockString(), Difficulty, 0, 1'000'000);
        Block block = chain->forge(*proof, u"m"_s, 1);
        Result<void> stored = store.appendBlock(block, Difficulty);
        chain->append(std::move(block));
        return stored;
    };
    VERIFY_RESULT(forge());
    QVERIFY(QFile::exists(dbPath() + u"-wal"_s));
    QVERIFY(QFile::remove(dbPath() + u"-wal"_s));
    QVERIFY(QFile::remove(dbPath() + u"-shm"_s));
    VERIFY_RESULT(forge());
    VERIFY_RESULT(forge());
    const QByteArray wire = chain->toWire();

    // A crash now (the files copied as they are) or a clean close: all four blocks.
    QVERIFY(QFile::copy(dbPath(), m_dir->filePath(u"crash.db"_s)));
    QFile::copy(dbPath() + u"-wal"_s, m_dir->filePath(u"crash.db-wal"_s));
    store.close();
    for (const QString &path : {dbPath(), m_dir->filePath(u"crash.db"_s)}) {
        SqliteChainStore again(path);
        VERIFY_RESULT(again.open());
        const Result<Chain> loaded = again.load(Difficulty);
        VERIFY_RESULT(loaded);
        QCOMPARE(loaded->length(), 4);
        QCOMPARE(loaded->toWire(), wire);
    }
}

void TestChainStore::backupWhileOpen()
{
    const Chain written = populate(3);
    SqliteChainStore store(dbPath());   // a server holds it
    VERIFY_RESULT(store.open());
    Result<Chain> chain = store.load(Difficulty);
    QVERIFY(chain);
    const QString target = m_dir->filePath(u"backup/copy.db"_s);
    QVERIFY(QDir().mkpath(QFileInfo(target).absolutePath()));
    qint64 blocks = 0;
    const Result<void> backedUp = ChainBackup::write(dbPath(), target, &blocks);
    QVERIFY2(backedUp, qPrintable(backedUp.errorMessage()));
    QCOMPARE(blocks, 4);
    QVERIFY(!QFile::exists(target + u".partial"_s));
    // The server goes on; the copy stays the snapshot it was.
    const auto proof = Pow::search(chain->lastBlockString(), Difficulty, 0, 1'000'000);
    VERIFY_RESULT(store.appendBlock(chain->forge(*proof, u"m"_s, 1), Difficulty));
    SqliteChainStore copy(target);
    VERIFY_RESULT(copy.open());
    const Result<Chain> loaded = copy.load(Difficulty);
    VERIFY_RESULT(loaded);
    QCOMPARE(loaded->toWire(), written.toWire());

    // A backup over an older one replaces it whole; a missing source leaves it alone.
    const Result<void> again = ChainBackup::write(dbPath(), target, &blocks);
    QVERIFY2(again, qPrintable(again.errorMessage()));
    QCOMPARE(blocks, 5);
    const Result<void> missing = ChainBackup::write(m_dir->filePath(u"none.db"_s), target, &blocks);
    QVERIFY(!missing);
    QVERIFY2(missing.errorMessage().contains(u"there is no database file there"_s),
             qPrintable(missing.errorMessage()));
    QVERIFY(QFile::exists(target));
}

QTEST_GUILESS_MAIN(TestChainStore)
#include "tst_chainstore.moc"
