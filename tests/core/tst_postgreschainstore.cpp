#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "core/chainimport.h"
#include "core/postgreschainstore.h"
#include "core/pow.h"
#include "core/sqlitechainstore.h"
#include "tests/verifyresult.h"
#include "pgcluster.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

// The PostgreSQL store against a real PostgreSQL (one cluster for the whole program,
// tables dropped before each test).
class TestPostgresChainStore final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void emptyDatabaseGetsGenesis();
    void blocksAndPendingSurviveReopen();
    void refusesTamperedDatabase_data();
    void refusesTamperedDatabase();
    void wrongPasswordIsOneClearLine();
    void firstForgeWinsSecondIsStale();
    void pendingTransactionsGoIntoOneBlock();
    void otherStoresHearOfNewBlocks();
    void repeatsTheStoredHeight();
    void reconnectsAfterRestart();
    void importMovesChainBothWays();
    void importRefusesNonEmptyTarget();

private:
    static constexpr int Difficulty = 2;
    // A store holding genesis plus `blocks` mined blocks (one transaction each).
    static Chain populate(ChainStore &store, int blocks);
    static std::optional<std::uint64_t> proofFor(const Chain &chain);

    PgCluster m_cluster;
};

void TestPostgresChainStore::initTestCase()
{
    VERIFY_RESULT(m_cluster.start());
}

void TestPostgresChainStore::init()
{
    VERIFY_RESULT(m_cluster.reset());
}

std::optional<std::uint64_t> TestPostgresChainStore::proofFor(const Chain &chain)
{
    return Pow::search(chain.lastBlockString(), chain.difficulty(), 0, 1'000'000);
}

Chain TestPostgresChainStore::populate(ChainStore &store, int blocks)
{
    QString error;
    std::optional<Chain> chain = store.load(Difficulty, &error);
    if (!chain)
        qFatal("load: %s", qPrintable(error));
    for (int i = 0; i < blocks; ++i) {
        const Json transaction = Chain::transaction(u"alice"_s, u"bob"_s, i + 1);
        if (!store.addPendingTransaction(transaction, &error))
            qFatal("pending: %s", qPrintable(error));
        const auto proof = proofFor(*chain);
        Block block;
        const auto outcome = store.forgeNext(
            chain->lastBlock(), Difficulty,
            [&](const Json &pending) { return chain->forgeFrom(pending, *proof, u"miner"_s, 1); },
            &block, &error);
        if (outcome != ChainStore::Outcome::Committed)
            qFatal("forge: %s", qPrintable(error));
        chain->append(std::move(block));
    }
    return *chain;
}

void TestPostgresChainStore::emptyDatabaseGetsGenesis()
{
    PostgresChainStore store(m_cluster.url());
    QString error;
    QVERIFY2(store.open(&error), qPrintable(error));
    QVERIFY(store.isShared());
    QVERIFY(store.isAvailable());
    QVERIFY2(!store.displayName().contains(PgCluster::password()), qPrintable(store.displayName()));
    const std::optional<Chain> chain = store.load(Difficulty, &error);
    QVERIFY2(chain, qPrintable(error));
    QCOMPARE(chain->length(), 1);
    QCOMPARE(m_cluster.psql(u"SELECT count(*) FROM blocks"_s).valueOr(QString()), u"1"_s);
    // A second store on the same database reads the same genesis, not a new one.
    PostgresChainStore second(m_cluster.url());
    QVERIFY2(second.open(&error), qPrintable(error));
    const std::optional<Chain> same = second.load(Difficulty, &error);
    QVERIFY2(same, qPrintable(error));
    QCOMPARE(same->lastBlockString(), chain->lastBlockString());
}

void TestPostgresChainStore::blocksAndPendingSurviveReopen()
{
    Chain chain(Difficulty);
    {
        PostgresChainStore store(m_cluster.url());
        QString error;
        QVERIFY2(store.open(&error), qPrintable(error));
        chain = populate(store, 3);
        QVERIFY(store.addPendingTransaction(Chain::transaction(u"carol"_s, u"dave"_s, 2.5),
                                            &error));
    }
    PostgresChainStore store(m_cluster.url());
    QString error;
    QVERIFY2(store.open(&error), qPrintable(error));
    const std::optional<Chain> loaded = store.load(Difficulty, &error);
    QVERIFY2(loaded, qPrintable(error));
    QCOMPARE(loaded->length(), 4);
    QCOMPARE(loaded->lastBlockString(), chain.lastBlockString());
    QCOMPARE(CanonicalJson::dump(loaded->pendingTransactions()),
             CanonicalJson::dump(Json::array({Chain::transaction(u"carol"_s, u"dave"_s, 2.5)})));
    // Each block took its one transaction and the reward.
    QCOMPARE(loaded->blocks()[1].transactions().size(), 2u);
}

void TestPostgresChainStore::refusesTamperedDatabase_data()
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
    QTest::newRow("difficulty lowered below its proof")
        << u"UPDATE blocks SET difficulty = 9 WHERE height = 3"_s << u"block 3 has proof"_s;
    QTest::newRow("foreign format")
        << u"UPDATE meta SET value = 'other' WHERE key = 'format'"_s << u"unknown format"_s;
}

void TestPostgresChainStore::refusesTamperedDatabase()
{
    QFETCH(QString, statement);
    QFETCH(QString, expected);
    {
        PostgresChainStore store(m_cluster.url());
        QString error;
        QVERIFY2(store.open(&error), qPrintable(error));
        populate(store, 3);
    }
    VERIFY_RESULT(m_cluster.psql(statement));
    const Result<QString> before = m_cluster.psql(u"SELECT height, json, difficulty FROM blocks"
                                                  " ORDER BY height"_s);
    VERIFY_RESULT(before);
    PostgresChainStore store(m_cluster.url());
    QString error;
    const bool opened = store.open(&error);
    if (opened) {
        QVERIFY(!store.load(Difficulty, &error));
        store.close();
    }
    QVERIFY2(error.contains(expected), qPrintable(error));
    QVERIFY2(error.contains(u"127.0.0.1"_s), qPrintable(error));
    QVERIFY2(!error.contains(PgCluster::password()), qPrintable(error));
    QCOMPARE(m_cluster.psql(u"SELECT height, json, difficulty FROM blocks ORDER BY height"_s)
                 .valueOr(QString()),
             *before);   // refused, never "fixed"
}

void TestPostgresChainStore::wrongPasswordIsOneClearLine()
{
    QString url = m_cluster.url();
    url.replace(PgCluster::password(), u"not-the-password"_s);
    PostgresChainStore store(url);
    QString error;
    QVERIFY(!store.open(&error));
    QVERIFY2(error.contains(u"password authentication failed"_s), qPrintable(error));
    QVERIFY2(!error.contains(u"not-the-password"_s), qPrintable(error));
    QVERIFY2(!error.contains(u'\n'), qPrintable(error));
}

void TestPostgresChainStore::firstForgeWinsSecondIsStale()
{
    PostgresChainStore a(m_cluster.url());
    PostgresChainStore b(m_cluster.url());
    QString error;
    QVERIFY2(a.open(&error) && b.open(&error), qPrintable(error));
    std::optional<Chain> chainA = a.load(Difficulty, &error);
    std::optional<Chain> chainB = b.load(Difficulty, &error);
    QVERIFY2(chainA && chainB, qPrintable(error));
    const auto proof = proofFor(*chainA);
    QVERIFY(proof);
    Block block;
    QCOMPARE(a.forgeNext(chainA->lastBlock(), Difficulty,
                         [&](const Json &p) { return chainA->forgeFrom(p, *proof, u"a"_s, 1); },
                         &block, &error),
             ChainStore::Outcome::Committed);
    // b still believes block 1 is the tip: the database says no.
    Block lost;
    QCOMPARE(b.forgeNext(chainB->lastBlock(), Difficulty,
                         [&](const Json &p) { return chainB->forgeFrom(p, *proof, u"b"_s, 1); },
                         &lost, &error),
             ChainStore::Outcome::Stale);
    QVERIFY2(error.contains(u"block 2 was already forged"_s), qPrintable(error));
    QCOMPARE(m_cluster.psql(u"SELECT count(*) FROM blocks"_s).valueOr(QString()), u"2"_s);
    QVERIFY(m_cluster.psql(u"SELECT json FROM blocks WHERE height = 2"_s).valueOr(QString())
                .contains(u"\"recipient\": \"a\""_s));
    // b catches up with what a forged.
    std::vector<Block> blocks;
    std::vector<int> difficulties;
    Json pending;
    QVERIFY2(b.readSince(1, &blocks, &difficulties, &pending, &error), qPrintable(error));
    QCOMPARE(blocks.size(), 1u);
    QCOMPARE(blocks[0].blockString(), block.blockString());
    QCOMPARE(difficulties[0], Difficulty);
}

void TestPostgresChainStore::pendingTransactionsGoIntoOneBlock()
{
    PostgresChainStore a(m_cluster.url());
    PostgresChainStore b(m_cluster.url());
    QString error;
    QVERIFY2(a.open(&error) && b.open(&error), qPrintable(error));
    std::optional<Chain> chain = a.load(Difficulty, &error);
    QVERIFY2(chain && b.load(Difficulty, &error), qPrintable(error));
    // A budget of two transactions per block; five pending, from both stores.
    chain->setPendingBudget(2 * Chain::transactionBytes(Chain::transaction(u"s0"_s, u"r"_s, 1)));
    for (int i = 0; i < 5; ++i) {
        ChainStore &store = i % 2 ? static_cast<ChainStore &>(b) : a;
        QVERIFY(store.addPendingTransaction(Chain::transaction(u"s%1"_s.arg(i), u"r"_s, 1),
                                            &error));
    }
    QStringList senders;
    for (int block = 0; block < 3; ++block) {
        ChainStore &store = block % 2 ? static_cast<ChainStore &>(b) : a;
        const auto proof = proofFor(*chain);
        Block forged;
        QCOMPARE(store.forgeNext(chain->lastBlock(), Difficulty,
                                 [&](const Json &p) {
                                     return chain->forgeFrom(p, *proof, u"m"_s, 1);
                                 },
                                 &forged, &error),
                 ChainStore::Outcome::Committed);
        const Json transactions = forged.transactions();
        QCOMPARE(transactions.size(), block < 2 ? 3u : 2u);   // with the reward
        for (std::size_t i = 0; i + 1 < transactions.size(); ++i)
            senders.append(QString::fromStdString(transactions[i]["sender"].get<std::string>()));
        chain->append(std::move(forged));
    }
    QCOMPARE(senders, (QStringList{u"s0"_s, u"s1"_s, u"s2"_s, u"s3"_s, u"s4"_s}));
    QCOMPARE(m_cluster.psql(u"SELECT count(*) FROM pending"_s).valueOr(QString()), u"0"_s);
}

void TestPostgresChainStore::otherStoresHearOfNewBlocks()
{
    PostgresChainStore a(m_cluster.url());
    PostgresChainStore b(m_cluster.url());
    QString error;
    QVERIFY2(a.open(&error) && b.open(&error), qPrintable(error));
    QVERIFY2(b.load(Difficulty, &error), qPrintable(error));
    QSignalSpy heard(&b, &ChainStore::tipChanged);
    populate(a, 2);
    QTRY_VERIFY_WITH_TIMEOUT(!heard.isEmpty() && heard.last().at(0).toLongLong() == 3, 5000);
}

// A follower that missed a block (the database went away while it read it) is not left
// behind once the notification has passed: the store repeats the stored height.
void TestPostgresChainStore::repeatsTheStoredHeight()
{
    PostgresChainStore a(m_cluster.url());
    PostgresChainStore b(m_cluster.url());
    QString error;
    QVERIFY2(a.open(&error) && b.open(&error), qPrintable(error));
    QVERIFY2(b.load(Difficulty, &error), qPrintable(error));
    QSignalSpy notified(&b, &ChainStore::tipChanged);
    populate(a, 2);
    QTRY_VERIFY_WITH_TIMEOUT(!notified.isEmpty() && notified.last().at(0).toLongLong() == 3,
                             5000);
    // Nothing is forged any more: what b says now are the repeats, each of the height.
    QSignalSpy repeated(&b, &ChainStore::tipChanged);
    QTRY_VERIFY_WITH_TIMEOUT(repeated.count() >= 2, 10000);
    for (const QList<QVariant> &arguments : repeated)
        QCOMPARE(arguments.at(0).toLongLong(), 3);
}

void TestPostgresChainStore::reconnectsAfterRestart()
{
    PostgresChainStore store(m_cluster.url());
    QString error;
    QVERIFY2(store.open(&error), qPrintable(error));
    Chain chain = populate(store, 1);
    QSignalSpy availability(&store, &ChainStore::availabilityChanged);
    VERIFY_RESULT(m_cluster.stop());
    // Gone: writes fail and say so; the store notices by itself within a second or so.
    QVERIFY(!store.addPendingTransaction(Chain::transaction(u"x"_s, u"y"_s, 1), &error));
    QTRY_VERIFY_WITH_TIMEOUT(!store.isAvailable(), 10000);
    Block block;
    const auto proof = proofFor(chain);
    QCOMPARE(store.forgeNext(chain.lastBlock(), Difficulty,
                             [&](const Json &p) { return chain.forgeFrom(p, *proof, u"m"_s, 1); },
                             &block, &error),
             ChainStore::Outcome::Unavailable);
    VERIFY_RESULT(m_cluster.start());
    QTRY_VERIFY_WITH_TIMEOUT(store.isAvailable(), 15000);
    QCOMPARE(availability.count(), 2);
    QCOMPARE(availability.at(0).at(0).toBool(), false);
    QCOMPARE(availability.at(1).at(0).toBool(), true);
    QCOMPARE(store.forgeNext(chain.lastBlock(), Difficulty,
                             [&](const Json &p) { return chain.forgeFrom(p, *proof, u"m"_s, 1); },
                             &block, &error),
             ChainStore::Outcome::Committed);
    QCOMPARE(m_cluster.psql(u"SELECT count(*) FROM blocks"_s).valueOr(QString()), u"3"_s);
}

void TestPostgresChainStore::importMovesChainBothWays()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString source = dir.filePath(u"source.db"_s);
    Chain chain(Difficulty);
    {
        SqliteChainStore store(source);
        QString error;
        QVERIFY2(store.open(&error), qPrintable(error));
        chain = populate(store, 4);
        QVERIFY(store.addPendingTransaction(Chain::transaction(u"p"_s, u"q"_s, 7), &error));
    }
    ChainImport::Counts counts;
    QString error;
    const Result<void> imported = ChainImport::run(source, m_cluster.url(), &counts);
    QVERIFY2(imported, qPrintable(imported.errorMessage()));
    QCOMPARE(counts.blocks, 5);
    QCOMPARE(counts.pending, 1);
    QCOMPARE(m_cluster.psql(u"SELECT count(*) FROM blocks"_s).valueOr(QString()), u"5"_s);
    // And back into a new SQLite file: the same bytes.
    const QString back = dir.filePath(u"back.db"_s);
    const Result<void> importedBack = ChainImport::run(m_cluster.url(), back, &counts);
    QVERIFY2(importedBack, qPrintable(importedBack.errorMessage()));
    SqliteChainStore copy(back);
    QVERIFY2(copy.open(&error), qPrintable(error));
    const std::optional<Chain> loaded = copy.load(Difficulty, &error);
    QVERIFY2(loaded, qPrintable(error));
    QCOMPARE(loaded->toWire(), chain.toWire());
    QCOMPARE(loaded->pendingTransactions().size(), 1u);
}

void TestPostgresChainStore::importRefusesNonEmptyTarget()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString source = dir.filePath(u"source.db"_s);
    {
        SqliteChainStore store(source);
        QString error;
        QVERIFY2(store.open(&error), qPrintable(error));
        populate(store, 1);
    }
    {
        PostgresChainStore store(m_cluster.url());
        QString error;
        QVERIFY2(store.open(&error), qPrintable(error));
        populate(store, 2);
    }
    ChainImport::Counts counts;
    const Result<void> nonEmpty = ChainImport::run(source, m_cluster.url(), &counts);
    QVERIFY(!nonEmpty);
    QVERIFY2(nonEmpty.errorMessage().contains(u"already holds 3 blocks"_s),
             qPrintable(nonEmpty.errorMessage()));
    QCOMPARE(m_cluster.psql(u"SELECT count(*) FROM blocks"_s).valueOr(QString()), u"3"_s);
    const Result<void> missing = ChainImport::run(dir.filePath(u"missing.db"_s), m_cluster.url(),
                                                  &counts);
    QVERIFY(!missing);
    QVERIFY2(missing.errorMessage().contains(u"no such file"_s),
             qPrintable(missing.errorMessage()));
}

QTEST_GUILESS_MAIN(TestPostgresChainStore)
#include "tst_postgreschainstore.moc"
