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
    Result<Chain> chain = store.load(Difficulty);
    if (!chain)
        qFatal("load: %s", qPrintable(chain.errorMessage()));
    for (int i = 0; i < blocks; ++i) {
        const Json transaction = Chain::transaction(u"alice"_s, u"bob"_s, i + 1);
        if (const Result<void> added = store.addPendingTransaction(transaction); !added)
            qFatal("pending: %s", qPrintable(added.errorMessage()));
        const auto proof = proofFor(*chain);
        Result<std::optional<Block>> forged = store.forgeNext(
            chain->lastBlock(), Difficulty,
            [&](const Json &pending) { return chain->forgeFrom(pending, *proof, u"miner"_s, 1); });
        if (!forged || !*forged)
            qFatal("forge: %s", forged ? "stale" : qPrintable(forged.errorMessage()));
        chain->append(std::move(**forged));
    }
    return *chain;
}

void TestPostgresChainStore::emptyDatabaseGetsGenesis()
{
    PostgresChainStore store(m_cluster.url());
    VERIFY_RESULT(store.open());
    QVERIFY(store.isShared());
    QVERIFY(store.isAvailable());
    QVERIFY2(!store.displayName().contains(PgCluster::password()), qPrintable(store.displayName()));
    const Result<Chain> chain = store.load(Difficulty);
    VERIFY_RESULT(chain);
    QCOMPARE(chain->length(), 1);
    QCOMPARE(m_cluster.psql(u"SELECT count(*) FROM blocks"_s).valueOr(QString()), u"1"_s);
    // A second store on the same database reads the same genesis, not a new one.
    PostgresChainStore second(m_cluster.url());
    VERIFY_RESULT(second.open());
    const Result<Chain> same = second.load(Difficulty);
    VERIFY_RESULT(same);
    QCOMPARE(same->lastBlockString(), chain->lastBlockString());
}

void TestPostgresChainStore::blocksAndPendingSurviveReopen()
{
    Chain chain(Difficulty);
    {
        PostgresChainStore store(m_cluster.url());
        VERIFY_RESULT(store.open());
        chain = populate(store, 3);
        VERIFY_RESULT(store.addPendingTransaction(Chain::transaction(u"carol"_s, u"dave"_s, 2.5)));
    }
    PostgresChainStore store(m_cluster.url());
    VERIFY_RESULT(store.open());
    const Result<Chain> loaded = store.load(Difficulty);
    VERIFY_RESULT(loaded);
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
        VERIFY_RESULT(store.open());
        populate(store, 3);
    }
    VERIFY_RESULT(m_cluster.psql(statement));
    const Result<QString> before = m_cluster.psql(u"SELECT height, json, difficulty FROM blocks"
                                                  " ORDER BY height"_s);
    VERIFY_RESULT(before);
    PostgresChainStore store(m_cluster.url());
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
    const Result<void> opened = store.open();
    QVERIFY(!opened);
    const QString &error = opened.errorMessage();
    QVERIFY2(error.contains(u"password authentication failed"_s), qPrintable(error));
    QVERIFY2(!error.contains(u"not-the-password"_s), qPrintable(error));
    QVERIFY2(!error.contains(u'\n'), qPrintable(error));
}

void TestPostgresChainStore::firstForgeWinsSecondIsStale()
{
    PostgresChainStore a(m_cluster.url());
    PostgresChainStore b(m_cluster.url());
    VERIFY_RESULT(a.open());
    VERIFY_RESULT(b.open());
    Result<Chain> chainA = a.load(Difficulty);
    Result<Chain> chainB = b.load(Difficulty);
    VERIFY_RESULT(chainA);
    VERIFY_RESULT(chainB);
    const auto proof = proofFor(*chainA);
    QVERIFY(proof);
    const Result<std::optional<Block>> forged = a.forgeNext(
        chainA->lastBlock(), Difficulty,
        [&](const Json &p) { return chainA->forgeFrom(p, *proof, u"a"_s, 1); });
    VERIFY_RESULT(forged);
    QVERIFY(*forged);   // committed
    // b still believes block 1 is the tip: the database says no (stale, not a failure).
    const Result<std::optional<Block>> lost = b.forgeNext(
        chainB->lastBlock(), Difficulty,
        [&](const Json &p) { return chainB->forgeFrom(p, *proof, u"b"_s, 1); });
    VERIFY_RESULT(lost);
    QVERIFY(!*lost);
    QCOMPARE(m_cluster.psql(u"SELECT count(*) FROM blocks"_s).valueOr(QString()), u"2"_s);
    QVERIFY(m_cluster.psql(u"SELECT json FROM blocks WHERE height = 2"_s).valueOr(QString())
                .contains(u"\"recipient\": \"a\""_s));
    // b catches up with what a forged.
    const Result<ChainStore::Update> update = b.readSince(1);
    VERIFY_RESULT(update);
    QCOMPARE(update->blocks.size(), 1u);
    QCOMPARE(update->blocks[0].blockString(), (*forged)->blockString());
    QCOMPARE(update->difficulties[0], Difficulty);
}

void TestPostgresChainStore::pendingTransactionsGoIntoOneBlock()
{
    PostgresChainStore a(m_cluster.url());
    PostgresChainStore b(m_cluster.url());
    VERIFY_RESULT(a.open());
    VERIFY_RESULT(b.open());
    Result<Chain> chain = a.load(Difficulty);
    VERIFY_RESULT(chain);
    VERIFY_RESULT(b.load(Difficulty));
    // A budget of two transactions per block; five pending, from both stores.
    chain->setPendingBudget(2 * Chain::transactionBytes(Chain::transaction(u"s0"_s, u"r"_s, 1)));
    for (int i = 0; i < 5; ++i) {
        ChainStore &store = i % 2 ? static_cast<ChainStore &>(b) : a;
        VERIFY_RESULT(store.addPendingTransaction(Chain::transaction(u"s%1"_s.arg(i), u"r"_s, 1)));
    }
    QStringList senders;
    for (int block = 0; block < 3; ++block) {
        ChainStore &store = block % 2 ? static_cast<ChainStore &>(b) : a;
        const auto proof = proofFor(*chain);
        Result<std::optional<Block>> forged = store.forgeNext(
            chain->lastBlock(), Difficulty,
            [&](const Json &p) { return chain->forgeFrom(p, *proof, u"m"_s, 1); });
        VERIFY_RESULT(forged);
        QVERIFY(*forged);   // committed
        const Json transactions = (*forged)->transactions();
        QCOMPARE(transactions.size(), block < 2 ? 3u : 2u);   // with the reward
        for (std::size_t i = 0; i + 1 < transactions.size(); ++i)
            senders.append(QString::fromStdString(transactions[i]["sender"].get<std::string>()));
        chain->append(std::move(**forged));
    }
    QCOMPARE(senders, (QStringList{u"s0"_s, u"s1"_s, u"s2"_s, u"s3"_s, u"s4"_s}));
    QCOMPARE(m_cluster.psql(u"SELECT count(*) FROM pending"_s).valueOr(QString()), u"0"_s);
}

void TestPostgresChainStore::otherStoresHearOfNewBlocks()
{
    PostgresChainStore a(m_cluster.url());
    PostgresChainStore b(m_cluster.url());
    VERIFY_RESULT(a.open());
    VERIFY_RESULT(b.open());
    VERIFY_RESULT(b.load(Difficulty));
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
    VERIFY_RESULT(a.open());
    VERIFY_RESULT(b.open());
    VERIFY_RESULT(b.load(Difficulty));
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
    VERIFY_RESULT(store.open());
    Chain chain = populate(store, 1);
    QSignalSpy availability(&store, &ChainStore::availabilityChanged);
    VERIFY_RESULT(m_cluster.stop());
    // Gone: writes fail and say so; the store notices by itself within a second or so.
    QVERIFY(!store.addPendingTransaction(Chain::transaction(u"x"_s, u"y"_s, 1)));
    QTRY_VERIFY_WITH_TIMEOUT(!store.isAvailable(), 10000);
    const auto proof = proofFor(chain);
    const auto forge = [&] {
        return store.forgeNext(chain.lastBlock(), Difficulty, [&](const Json &p) {
            return chain.forgeFrom(p, *proof, u"m"_s, 1);
        });
    };
    // Failed while open but unavailable: the database is gone for now (503), not a 500.
    const Result<std::optional<Block>> whileGone = forge();
    QVERIFY(!whileGone);
    QVERIFY(store.isOpen() && !store.isAvailable());
    VERIFY_RESULT(m_cluster.start());
    QTRY_VERIFY_WITH_TIMEOUT(store.isAvailable(), 15000);
    QCOMPARE(availability.count(), 2);
    QCOMPARE(availability.at(0).at(0).toBool(), false);
    QCOMPARE(availability.at(1).at(0).toBool(), true);
    const Result<std::optional<Block>> back = forge();
    VERIFY_RESULT(back);
    QVERIFY(*back);   // committed
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
        VERIFY_RESULT(store.open());
        chain = populate(store, 4);
        VERIFY_RESULT(store.addPendingTransaction(Chain::transaction(u"p"_s, u"q"_s, 7)));
    }
    ChainImport::Counts counts;
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
    VERIFY_RESULT(copy.open());
    const Result<Chain> loaded = copy.load(Difficulty);
    VERIFY_RESULT(loaded);
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
        VERIFY_RESULT(store.open());
        populate(store, 1);
    }
    {
        PostgresChainStore store(m_cluster.url());
        VERIFY_RESULT(store.open());
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
