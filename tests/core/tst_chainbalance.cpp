#include <QSignalSpy>
#include <QTest>

#include "core/chainbalance.h"
#include "core/chainpage.h"
#include "tests/verifyresult.h"
#include "forgedchain.h"
#include "scriptedserver.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr int WaitMs = 30000;

// Waits until the balance has finished reading.
bool settle(ChainBalance &balance)
{
    return QTest::qWaitFor([&balance] { return !balance.isReading(); }, WaitMs);
}
}

// ChainBalance against a real ChainServer over real sockets (paged), and against a
// scripted classic server that answers every /chain with the whole chain.
class TestChainBalance final : public QObject
{
    Q_OBJECT

private slots:
    void parsesPagesAndRefusesBadOnes();
    void countsWhatTheChainPaysAPageAtATime();
    void resumesFromSavedProgress();
    void startsAgainWhenTheChainWasReplaced();
    void readsAWholeChainFromAClassicServer();
    void fallsBackToPlainChainWhenTheQueryIsRefused();
    void badAnswersAreProblemsNotCrashes();
};

void TestChainBalance::parsesPagesAndRefusesBadOnes()
{
    Chain chain(1, 1732435200.5);
    chain.append(chain.forge(*Pow::search(chain.lastBlockString(), 1, 0, 1 << 20), u"alice"_s, 1));
    const QByteArray whole = chain.toWire();
    Result<ChainPage::Page> page = ChainPage::parse(200, whole, 5);
    QVERIFY2(page, qPrintable(page.errorMessage()));
    QVERIFY(!page->paged);   // no "start": a whole chain, whatever was asked
    QCOMPARE(page->length, 2);
    QCOMPARE(page->blocks.size(), 2u);
    QCOMPARE(page->firstIndex(), 1);

    page = ChainPage::parse(200, R"({"chain": [], "length": 7, "start": 8, "limit": 5})", 8);
    QVERIFY(page);
    QVERIFY(page->paged);
    QCOMPARE(page->length, 7);

    QCOMPARE(ChainPage::path(1001, 500), u"chain?start=1001&limit=500"_s);
    QVERIFY(ChainPage::parse(404, "<h1>Not Found</h1>", 1).errorMessage()
                .startsWith(u"HTTP 404: <h1>Not Found</h1>"_s));
    QVERIFY(ChainPage::parse(200, "garbage", 1).errorMessage().startsWith(
        u"the answer is not JSON"_s));
    QVERIFY(ChainPage::parse(200, R"({"length": 3})", 1).errorMessage().contains(
        u"no \"chain\" list"_s));
    // A gap: block 2 where block 3 was due.
    QByteArray gap = whole;
    gap.replace("{\"chain\": [", "{\"start\": 3, \"chain\": [");
    QVERIFY(ChainPage::parse(200, gap, 3).errorMessage().contains(u"block 3 is missing"_s));
}

void TestChainBalance::countsWhatTheChainPaysAPageAtATime()
{
    ForgedChain node;
    VERIFY_RESULT(node.start());
    for (int i = 0; i < 450; ++i)
        QVERIFY(node.forge(i % 3 == 0 ? u"bob"_s : u"alice"_s));   // alice: 300
    QVERIFY(node.addTransaction(R"({"sender": "alice", "recipient": "carol", "amount": 5})"));
    QVERIFY(node.addTransaction(R"({"sender": "dave", "recipient": "alice", "amount": 2.5})"));
    QVERIFY(node.forge(u"bob"_s));
    QCOMPARE(node.server().chain().length(), 452);

    ChainBalance balance;
    QSignalSpy updated(&balance, &ChainBalance::updated);
    balance.setAccount(node.url(), u"alice"_s, {});
    balance.update();
    QVERIFY(balance.isReading());
    QVERIFY(settle(balance));
    QVERIFY2(balance.problem().isEmpty(), qPrintable(balance.problem()));
    QVERIFY(balance.isPaged());
    QCOMPARE(balance.progress().balance, 297.5);
    QCOMPARE(balance.progress().blocks, 452);
    QCOMPARE(balance.progress().lastHash, node.server().chain().lastBlock().hash());
    QCOMPARE(balance.requestCount(), 3);   // 1-200, 201-400, 401-452: never the whole chain

    // New blocks: only they are read, in one page.
    QVERIFY(node.forge(u"alice"_s, 3));
    balance.update();
    QVERIFY(settle(balance));
    QCOMPARE(balance.progress().balance, 300.5);
    QCOMPARE(balance.progress().blocks, 455);
    QCOMPARE(balance.requestCount(), 4);

    // Nothing new: one short request, nothing changes.
    balance.update();
    QVERIFY(settle(balance));
    QCOMPARE(balance.progress().balance, 300.5);
    QCOMPARE(balance.requestCount(), 5);
    QVERIFY(updated.size() >= 4);

    // Another id on the same chain.
    ChainBalance bob;
    bob.setAccount(node.url(), u"bob"_s, {});
    bob.update();
    QVERIFY(settle(bob));
    QCOMPARE(bob.progress().balance, 151.0);
}

void TestChainBalance::resumesFromSavedProgress()
{
    ForgedChain node;
    VERIFY_RESULT(node.start());
    QVERIFY(node.forge(u"alice"_s, 250));
    ChainBalance first;
    first.setAccount(node.url(), u"alice"_s, {});
    first.update();
    QVERIFY(settle(first));
    QCOMPARE(first.progress().balance, 250.0);
    const ChainBalance::Progress saved = first.progress();

    // As after a restart: the saved progress, then the blocks forged since.
    QVERIFY(node.forge(u"alice"_s, 2));
    ChainBalance second;
    second.setAccount(node.url(), u"alice"_s, saved);
    QCOMPARE(second.progress().balance, 250.0);
    second.update();
    QVERIFY(settle(second));
    QCOMPARE(second.progress().balance, 252.0);
    QCOMPARE(second.progress().blocks, 253);
    QCOMPARE(second.requestCount(), 1);
}

void TestChainBalance::startsAgainWhenTheChainWasReplaced()
{
    ForgedChain longChain;
    ForgedChain shortChain;
    VERIFY_RESULT(longChain.start());
    VERIFY_RESULT(shortChain.start());
    QVERIFY(longChain.forge(u"alice"_s, 30));
    QVERIFY(shortChain.forge(u"alice"_s, 4));

    ChainBalance balance;
    balance.setAccount(longChain.url(), u"alice"_s, {});
    balance.update();
    QVERIFY(settle(balance));
    QCOMPARE(balance.progress().balance, 30.0);

    // The node now has a shorter chain (a new database): counted again from block 1.
    balance.setAccount(shortChain.url(), u"alice"_s, balance.progress());
    balance.update();
    QVERIFY(settle(balance));
    QVERIFY2(balance.problem().isEmpty(), qPrintable(balance.problem()));
    QCOMPARE(balance.progress().balance, 4.0);
    QCOMPARE(balance.progress().blocks, 5);

    // And a longer, different one: block 6 does not follow the block 5 read.
    balance.setAccount(longChain.url(), u"alice"_s, balance.progress());
    balance.update();
    QVERIFY(settle(balance));
    QCOMPARE(balance.progress().balance, 30.0);
    QCOMPARE(balance.progress().lastHash, longChain.server().chain().lastBlock().hash());
}

void TestChainBalance::readsAWholeChainFromAClassicServer()
{
    Chain chain(1, 1732435200.5);
    for (int i = 0; i < 12; ++i) {
        const auto proof = Pow::search(chain.lastBlockString(), 1, 0, 1 << 20);
        chain.append(chain.forge(*proof, i % 2 ? u"alice"_s : u"bob"_s, 1));
    }
    ScriptedServer classic;
    QVERIFY(classic.start());
    // Flask's /chain ignores the query: the whole chain, without "start".
    classic.defaults["/chain?start=1&limit=200"] = jsonAnswer(200, chain.toWire());
    ChainBalance balance;
    balance.setAccount(classic.url(), u"alice"_s, {});
    balance.update();
    QVERIFY(settle(balance));
    QVERIFY2(balance.problem().isEmpty(), qPrintable(balance.problem()));
    QVERIFY(!balance.isPaged());
    QCOMPARE(balance.progress().balance, 6.0);
    QCOMPARE(balance.progress().blocks, 13);

    // Two more blocks: the whole chain again, but only the new blocks count.
    for (int i = 0; i < 2; ++i)
        chain.append(chain.forge(*Pow::search(chain.lastBlockString(), 1, 0, 1 << 20),
                                 u"alice"_s, 100));
    classic.defaults["/chain?start=14&limit=200"] = jsonAnswer(200, chain.toWire());
    // Not at once: a whole chain is read at most every WholeChainIntervalMs.
    balance.update();
    QVERIFY(!balance.isReading());
    QVERIFY(balance.isWaiting());
    QCOMPARE(classic.count("/chain?start=14&limit=200"), 0);
    balance.setWholeChainInterval(300);
    balance.update();
    QTRY_VERIFY_WITH_TIMEOUT(classic.count("/chain?start=14&limit=200") == 1, WaitMs);
    QVERIFY(settle(balance));
    QVERIFY2(balance.problem().isEmpty(), qPrintable(balance.problem()));
    QCOMPARE(balance.progress().balance, 206.0);
    QCOMPARE(balance.progress().blocks, 15);
    QCOMPARE(classic.count("/chain?start=14&limit=200"), 1);
}

void TestChainBalance::fallsBackToPlainChainWhenTheQueryIsRefused()
{
    Chain chain(1, 1732435200.5);
    for (int i = 0; i < 3; ++i)
        chain.append(chain.forge(*Pow::search(chain.lastBlockString(), 1, 0, 1 << 20),
                                 u"alice"_s, 1));
    // A classic server that matches the path with its query: only "/chain" is known.
    ScriptedServer classic;
    QVERIFY(classic.start());
    classic.defaults["/chain"] = jsonAnswer(200, chain.toWire());
    ChainBalance balance;
    balance.setAccount(classic.url(), u"alice"_s, {});
    balance.update();
    QVERIFY(settle(balance));
    QVERIFY2(balance.problem().isEmpty(), qPrintable(balance.problem()));
    QCOMPARE(balance.progress().balance, 3.0);
    QCOMPARE(classic.count("/chain?start=1&limit=200"), 1);   // asked once, 404
    QCOMPARE(classic.count("/chain"), 1);
    balance.setWholeChainInterval(0);
    balance.update();
    QVERIFY(settle(balance));
    QCOMPARE(classic.count("/chain"), 2);   // and plain /chain from then on
    QCOMPARE(classic.count("/chain?start=5&limit=200"), 0);
    QCOMPARE(balance.progress().balance, 3.0);
}

void TestChainBalance::badAnswersAreProblemsNotCrashes()
{
    ScriptedServer bad;
    QVERIFY(bad.start());
    ChainBalance balance;
    balance.setAccount(bad.url(), u"alice"_s, {});
    const QList<CannedAnswer> answers = {
        CannedAnswer{.status = 500, .body = "<html>Internal Server Error</html>", .contentType = "text/html", .extraHeaders = {}},
        jsonAnswer(200, "{\"chain\": 5}"),
        jsonAnswer(200, "{\"chain\": [{\"index\": \"x\"}], \"length\": 1}"),
        CannedAnswer{.status = 200, .body = "\x01\x02 garbage", .contentType = "text/plain", .extraHeaders = {}},
    };
    const QStringList expected = {u"GET /chain: HTTP 500: <html>Internal Server Error</html>"_s,
                                  u"GET /chain: the answer has no \"chain\" list"_s,
                                  u"GET /chain: block 1 is not a block"_s,
                                  u"GET /chain: the answer is not JSON"_s};
    for (qsizetype i = 0; i < answers.size(); ++i) {
        bad.queued["/chain?start=1&limit=200"].enqueue(answers[i]);
        balance.update();
        QVERIFY(settle(balance));
        QVERIFY2(balance.problem().startsWith(expected[i]), qPrintable(balance.problem()));
        QCOMPARE(balance.progress().blocks, 0);
        QCOMPARE(balance.progress().balance, 0.0);
    }

    ChainBalance unreachable;
    unreachable.setAccount(QUrl(u"http://127.0.0.1:%1"_s.arg(closedPort())), u"alice"_s, {});
    unreachable.update();
    QVERIFY(settle(unreachable));
    QVERIFY2(unreachable.problem().contains(u"refused"_s), qPrintable(unreachable.problem()));
}

QTEST_GUILESS_MAIN(TestChainBalance)
#include "tst_chainbalance.moc"
