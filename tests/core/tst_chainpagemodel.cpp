#include <QSignalSpy>
#include <QTest>

#include "core/chainpagemodel.h"
#include "tests/verifyresult.h"
#include "forgedchain.h"
#include "scriptedserver.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr int WaitMs = 30000;
constexpr int Blocks = 3000;   // forged in a few seconds at difficulty 1

QString cell(const ChainPageModel &model, int row, int column)
{
    return model.index(row, column).data().toString();
}
}

// The chain explorer's model against a real ChainServer with thousands of blocks, over
// real sockets: pages are read only as rows are asked for.
class TestChainPageModel final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void readsOnlyThePagesAskedFor();
    void followsNewBlocks();
    void startsAgainOnAnotherChain();
    void takesAWholeChainFromAClassicServer();
    void fallsBackToPlainChainWhenTheQueryIsRefused();
    void badAnswersAreShownNotFatal();

private:
    ForgedChain m_node;
};

void TestChainPageModel::initTestCase()
{
    VERIFY_RESULT(m_node.start());
    for (int i = 0; i < Blocks; ++i) {
        if (i == 1500)
            QVERIFY(m_node.addTransaction(R"({"sender": "bob", "recipient": "carol", "amount": 7})"));
        QVERIFY(m_node.forge(i % 2 ? u"alice"_s : u"bob"_s));
    }
    QCOMPARE(m_node.server().chain().length(), Blocks + 1);
}

void TestChainPageModel::readsOnlyThePagesAskedFor()
{
    ChainPageModel model;
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    model.setNode(m_node.url());
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), Blocks + 1, WaitMs);
    QVERIFY(model.isPaged());
    QVERIFY(model.problem().isEmpty());
    QCOMPARE(model.requestCount(), 1);   // the length comes with the first page
    QCOMPARE(model.cachedBlocks(), ChainPageModel::PageSize);

    // Newest first: row 0 is the last block; its page is read when asked for.
    QCOMPARE(cell(model, 0, ChainPageModel::IndexColumn), QString::number(Blocks + 1));
    QCOMPARE(cell(model, 0, ChainPageModel::HashColumn), u"\u2026"_s);
    QTRY_COMPARE_WITH_TIMEOUT(cell(model, 0, ChainPageModel::HashColumn),
                              QString::fromLatin1(m_node.server().chain().lastBlock().hash()),
                              WaitMs);
    QCOMPARE(model.requestCount(), 2);
    QCOMPARE(cell(model, 0, ChainPageModel::MinerColumn), u"alice"_s);   // the last of 3000

    // A row deep in the chain: block 1502 holds the transfer.
    const int row = model.rowOf(1502);
    QCOMPARE(cell(model, row, ChainPageModel::IndexColumn), u"1502"_s);
    QTRY_VERIFY_WITH_TIMEOUT(model.blockAt(row).has_value(), WaitMs);
    QCOMPARE(cell(model, row, ChainPageModel::TransactionsColumn), u"2"_s);
    QCOMPARE(model.blockAt(row)->index(), 1502);
    QCOMPARE(model.blockAt(row)->hash(), m_node.server().chain().blocks()[1501].hash());
    QCOMPARE(cell(model, model.rowOf(1), ChainPageModel::ProofColumn).size() > 0, true);
    QCOMPARE(model.requestCount(), 3);
    QVERIFY(model.cachedBlocks() <= 3 * ChainPageModel::PageSize);

    // Asking for every row once keeps at most MaxCachedPages pages.
    for (int r = 0; r < model.rowCount(); r += ChainPageModel::PageSize)
        model.index(r, ChainPageModel::HashColumn).data();
    QTRY_VERIFY_WITH_TIMEOUT(model.requestCount() >= Blocks / ChainPageModel::PageSize, WaitMs);
    QTest::qWait(200);
    QVERIFY(model.cachedBlocks() <= ChainPageModel::MaxCachedPages * ChainPageModel::PageSize);
}

void TestChainPageModel::followsNewBlocks()
{
    ChainPageModel model;
    model.setNode(m_node.url());
    QTRY_COMPARE_WITH_TIMEOUT(model.length(), m_node.server().chain().length(), WaitMs);
    const qint64 before = model.length();
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QVERIFY(m_node.forge(u"carol"_s, 3));
    model.setFollowing(true);
    QTRY_COMPARE_WITH_TIMEOUT(model.length(), before + 3, WaitMs);
    QCOMPARE(inserted.size(), 1);
    QCOMPARE(inserted.first().at(1).toInt(), 0);   // at the top
    QCOMPARE(inserted.first().at(2).toInt(), 2);
    QCOMPARE(cell(model, 0, ChainPageModel::IndexColumn), QString::number(before + 3));
    QCOMPARE(cell(model, 0, ChainPageModel::MinerColumn), u"carol"_s);   // came with the refresh

    // Polled while following, without being asked.
    QVERIFY(m_node.forge(u"dave"_s));
    QTRY_COMPARE_WITH_TIMEOUT(model.length(), before + 4, WaitMs);
    QCOMPARE(cell(model, 0, ChainPageModel::MinerColumn), u"dave"_s);
    model.setFollowing(false);
    QVERIFY(!model.isFollowing());
}

void TestChainPageModel::startsAgainOnAnotherChain()
{
    ForgedChain other;
    VERIFY_RESULT(other.start());
    QVERIFY(other.forge(u"erin"_s, 5));
    ChainPageModel model;
    model.setNode(m_node.url());
    QTRY_VERIFY_WITH_TIMEOUT(model.length() > Blocks, WaitMs);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    model.setNode(other.url());
    QCOMPARE(reset.size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(model.length(), 6, WaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(cell(model, 0, ChainPageModel::MinerColumn), u"erin"_s, WaitMs);
}

void TestChainPageModel::takesAWholeChainFromAClassicServer()
{
    Chain chain(1, 1732435200.5);
    for (int i = 0; i < 20; ++i)
        chain.append(chain.forge(*Pow::search(chain.lastBlockString(), 1, 0, 1 << 20),
                                 u"frank"_s, 1));
    ScriptedServer classic;
    QVERIFY(classic.start());
    classic.defaults["/chain?start=1&limit=100"] = jsonAnswer(200, chain.toWire());
    ChainPageModel model;
    model.setNode(classic.url());
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 21, WaitMs);
    QVERIFY(!model.isPaged());
    QCOMPARE(model.cachedBlocks(), 21);   // all there already: no more requests
    QCOMPARE(cell(model, 0, ChainPageModel::HashColumn),
             QString::fromLatin1(chain.lastBlock().hash()));
    QCOMPARE(cell(model, 20, ChainPageModel::IndexColumn), u"1"_s);
    QCOMPARE(model.requestCount(), 1);
}

void TestChainPageModel::fallsBackToPlainChainWhenTheQueryIsRefused()
{
    Chain chain(1, 1732435200.5);
    for (int i = 0; i < 4; ++i)
        chain.append(chain.forge(*Pow::search(chain.lastBlockString(), 1, 0, 1 << 20),
                                 u"gail"_s, 1));
    ScriptedServer classic;   // knows "/chain" only, as tests/python/classic_server.py
    QVERIFY(classic.start());
    classic.defaults["/chain"] = jsonAnswer(200, chain.toWire());
    ChainPageModel model;
    model.setNode(classic.url());
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 5, WaitMs);
    QVERIFY(model.problem().isEmpty());
    QCOMPARE(cell(model, 0, ChainPageModel::MinerColumn), u"gail"_s);
    QCOMPARE(classic.count("/chain?start=1&limit=100"), 1);
    QCOMPARE(classic.count("/chain"), 1);
}

void TestChainPageModel::badAnswersAreShownNotFatal()
{
    ScriptedServer bad;
    QVERIFY(bad.start());
    bad.defaults["/chain?start=1&limit=100"] =
        CannedAnswer{.status = 500, .body = "<html>\u202e Internal error</html>",
                     .contentType = "text/html", .extraHeaders = {}};
    ChainPageModel model;
    QSignalSpy status(&model, &ChainPageModel::statusChanged);
    model.setNode(bad.url());
    QTRY_VERIFY_WITH_TIMEOUT(model.problem().startsWith(u"GET /chain: HTTP 500: <html>"_s), WaitMs);
    QCOMPARE(model.rowCount(), 0);

    // A length with pages that fail: rows stay placeholders, asked for at most once
    // per FollowIntervalMs each, not at every repaint.
    bad.defaults["/chain?start=1&limit=100"] =
        jsonAnswer(200, R"({"chain": [], "length": 250, "start": 1, "limit": 100})");
    bad.defaults["/chain?start=201&limit=100"] = jsonAnswer(503, R"({"message": "busy"})");
    model.refresh();
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 250, WaitMs);
    QVERIFY(model.problem().isEmpty());
    const int before = model.requestCount();
    for (int i = 0; i < 50; ++i) {
        model.index(0, ChainPageModel::HashColumn).data();
        QTest::qWait(5);
    }
    QCOMPARE(cell(model, 0, ChainPageModel::HashColumn), u"\u2026"_s);
    QVERIFY(model.requestCount() <= before + 2);
    QVERIFY(!model.problem().isEmpty());

    // A node that claims a hundred billion blocks: the newest MaxRows rows, no more.
    bad.defaults["/chain?start=251&limit=100"] =
        jsonAnswer(200, R"({"chain": [], "length": 99999999999, "start": 251, "limit": 100})");
    model.refresh();
    QTRY_COMPARE_WITH_TIMEOUT(model.length(), 99999999999LL, WaitMs);
    QCOMPARE(model.rowCount(), int(ChainPageModel::MaxRows));
    QCOMPARE(model.index(0, ChainPageModel::IndexColumn).data().toString(), u"99999999999"_s);

    ChainPageModel unreachable;
    unreachable.setNode(QUrl(u"http://127.0.0.1:%1"_s.arg(closedPort())));
    QTRY_VERIFY_WITH_TIMEOUT(unreachable.problem().contains(u"refused"_s), WaitMs);
}

QTEST_GUILESS_MAIN(TestChainPageModel)
#include "tst_chainpagemodel.moc"
