#include <limits>

#include <QTest>

#include "core/chain.h"
#include "core/pow.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

class TestChain final : public QObject
{
    Q_OBJECT

private slots:
    void genesis();
    void forgeAndAppend();
    void verifyDetectsTampering();
    void verifyDetectsBrokenLink();
    void verifyDetectsBadProof();
    void staleProofRecognised();
    void staleWindowScalesWithDifficulty_data();
    void staleWindowScalesWithDifficulty();
    void randomInvalidProofsAreRarelyStale();
    void forgeTakesPendingWithinBudget();
    void proofCheckOnLargeBlock();
    void largestIndexHasNoNextBlock();
    void wireRoundTrip();

private:
    static Chain mined(int blocks, int difficulty);
};

Chain TestChain::mined(int blocks, int difficulty)
{
    Chain chain(difficulty, 1732435200.0);
    for (int i = 0; i < blocks; ++i) {
        const auto proof = Pow::search(chain.lastBlockString(), difficulty, 0, 1'000'000);
        if (!proof)
            qFatal("no proof found");
        chain.addTransaction(Chain::transaction(u"alice"_s, u"bob"_s, i + 1));
        chain.append(chain.forge(*proof, u"miner"_s, 1, 1732435201.0 + i));
    }
    return chain;
}

void TestChain::genesis()
{
    const Block block = Chain::genesis(1732435200.0);
    QCOMPARE(block.blockString(),
             "{\"index\": 1, \"previous_hash\": 1, \"proof\": 100, \"timestamp\": 1732435200.0,"
             " \"transactions\": []}"_ba);
    QCOMPARE(block.hash(), "0801ffd801047e6d851cd10bdc2f36cc79e040d332298523b09dd68366e77d05"_ba);
    const Chain chain(6, 1732435200.0);
    QCOMPARE(chain.length(), 1);
    QCOMPARE(chain.lastBlock(), block);
    QCOMPARE(chain.lastBlockString(), block.blockString());
}

void TestChain::forgeAndAppend()
{
    Chain chain(3, 1732435200.0);
    QCOMPARE(chain.addTransaction(Chain::transaction(u"a"_s, u"b"_s, 5)), 2);
    const auto proof = Pow::search(chain.lastBlockString(), 3, 0, 1'000'000);
    QVERIFY(proof);
    QCOMPARE(*proof, 25633u);   // the Python vector's first 3-zero proof for this genesis
    QVERIFY(chain.isValidProof(*proof));
    const QByteArray previousHash = chain.lastBlock().hash();
    const Block next = chain.forge(*proof, u"zoe"_s, 1, 1732435201.25);
    QCOMPARE(next.index(), 2);
    QCOMPARE(next.proof(), *proof);
    QCOMPARE(next.previousHash(), QString::fromLatin1(previousHash));
    QCOMPARE(next.transactions().size(), 2u);
    QCOMPARE(CanonicalJson::dump(next.transactions()[0]),
             CanonicalJson::dump(Chain::transaction(u"a"_s, u"b"_s, 5)));
    QCOMPARE(CanonicalJson::dump(next.transactions()[1]),
             "{\"amount\": 1, \"recipient\": \"zoe\", \"sender\": \"0\"}"_ba);
    QVERIFY(next.value.at("timestamp").is_number_float());
    chain.append(next);
    QCOMPARE(chain.length(), 2);
    QVERIFY(chain.pendingTransactions().empty());
    const Result<void> verified = Chain::verify(chain.blocks(), chain.difficulties());
    QVERIFY2(verified, qPrintable(verified.errorMessage()));
}

void TestChain::verifyDetectsTampering()
{
    const Chain chain = mined(4, 2);
    std::vector<Block> blocks = chain.blocks();
    QVERIFY(Chain::verify(blocks, chain.difficulties()));
    blocks[1].value["transactions"][0]["amount"] = 1000;   // rewrite history
    const Result<void> verified = Chain::verify(blocks, chain.difficulties());
    QVERIFY(!verified);
    QVERIFY2(verified.errorMessage().contains(u"block 3 has previous_hash"_s),
             qPrintable(verified.errorMessage()));
    const Result<Chain> loaded = Chain::fromBlocks(blocks, chain.difficulties(), 2);
    QVERIFY(!loaded);
    QCOMPARE(loaded.errorMessage(), verified.errorMessage());
}

void TestChain::verifyDetectsBrokenLink()
{
    const Chain chain = mined(3, 2);
    std::vector<Block> blocks = chain.blocks();
    blocks.erase(blocks.begin() + 1);   // a missing block
    std::vector<int> difficulties = chain.difficulties();
    difficulties.pop_back();
    const Result<void> missing = Chain::verify(blocks, difficulties);
    QVERIFY(!missing);
    QVERIFY2(missing.errorMessage().contains(u"follows block"_s),
             qPrintable(missing.errorMessage()));

    blocks = chain.blocks();
    blocks[2].value["previous_hash"] = std::string(64, 'a');
    const Result<void> wrongHash = Chain::verify(blocks, chain.difficulties());
    QVERIFY(!wrongHash);
    QVERIFY2(wrongHash.errorMessage().contains(u"previous_hash"_s),
             qPrintable(wrongHash.errorMessage()));
}

void TestChain::verifyDetectsBadProof()
{
    const Chain chain = mined(2, 3);
    std::vector<Block> blocks = chain.blocks();
    const QByteArray parent = blocks[1].blockString();
    std::uint64_t bad = blocks[2].proof() + 1;
    while (Pow::validProof(parent, bad, 3))
        ++bad;
    blocks[2].value["proof"] = bad;
    const Result<void> verified = Chain::verify(blocks, chain.difficulties());
    QVERIFY(!verified);
    QVERIFY2(verified.errorMessage().contains(u"not valid at difficulty 3"_s),
             qPrintable(verified.errorMessage()));
}

void TestChain::staleProofRecognised()
{
    Chain chain(2, 1732435200.0);
    const auto proof = Pow::search(chain.lastBlockString(), 2, 0, 1'000'000);
    QVERIFY(proof);
    QVERIFY(!chain.staleBlockFor(*proof));
    chain.append(chain.forge(*proof, u"first"_s, 1));
    // The same proof again is now for an earlier block: stale, block 2 was forged.
    QCOMPARE(chain.staleBlockFor(*proof), std::optional<std::int64_t>(2));

    // A slow miner's proof for a block up to staleWindow() blocks back is still known as
    // stale (409, not "invalid"); one older than that is not. The same holds for a chain
    // loaded from storage. Difficulty 4 has the whole window.
    constexpr int Difficulty = 4;
    const std::size_t window = Chain::staleWindow(Difficulty);
    QCOMPARE(window, Chain::MaxStaleWindow);
    const Chain longer = mined(static_cast<int>(window) + 6, Difficulty);
    const auto &blocks = longer.blocks();
    const auto loaded = Chain::fromBlocks(blocks, longer.difficulties(), Difficulty);
    QVERIFY(loaded);
    for (const std::size_t back : {std::size_t{2}, std::size_t{20}, window + 1, window + 2}) {
        const Block &earlier = blocks[blocks.size() - back];
        // A proof valid for that block but not for any block after it.
        std::uint64_t late = 0;
        for (;; ++late) {
            if (!Pow::validProof(earlier.blockString(), late, Difficulty))
                continue;
            bool laterToo = false;
            for (std::size_t k = blocks.size() - back + 1; k < blocks.size(); ++k)
                laterToo = laterToo || Pow::validProof(blocks[k].blockString(), late, Difficulty);
            if (!laterToo)
                break;
        }
        const std::optional<std::int64_t> expected =
            back <= window + 1 ? std::optional<std::int64_t>(earlier.index() + 1) : std::nullopt;
        QCOMPARE(longer.staleBlockFor(late), expected);
        QCOMPARE(loaded->staleBlockFor(late), expected);
    }
}

void TestChain::staleWindowScalesWithDifficulty_data()
{
    QTest::addColumn<int>("difficulty");
    QTest::addColumn<int>("window");
    QTest::newRow("1") << 1 << 0;
    QTest::newRow("2") << 2 << 1;
    QTest::newRow("3") << 3 << 16;
    QTest::newRow("4") << 4 << 64;
    QTest::newRow("6") << 6 << 64;
    QTest::newRow("64") << 64 << 64;
}

void TestChain::staleWindowScalesWithDifficulty()
{
    QFETCH(int, difficulty);
    QFETCH(int, window);
    QCOMPARE(Chain::staleWindow(difficulty), static_cast<std::size_t>(window));
}

void TestChain::randomInvalidProofsAreRarelyStale()
{
    // Over a long chain, count the proofs invalid for the last block that are still
    // answered "stale" (valid for one of the blocks before it): with 64 blocks in the
    // window that was 98% at difficulty 1 and 22% at difficulty 2.
    for (const int difficulty : {1, 2, 3}) {
        const Chain chain = mined(70, difficulty);
        int invalid = 0;
        int stale = 0;
        for (std::uint64_t proof = 1'000'000; invalid < 20'000; ++proof) {
            if (chain.isValidProof(proof))
                continue;
            ++invalid;
            stale += chain.staleBlockFor(proof).has_value();
        }
        // At most one in 256 on average (difficulty 1: never); 1% leaves room for chance.
        QVERIFY2(stale <= invalid / 100, qPrintable(u"difficulty %1: %2 of %3 stale"_s
                                                        .arg(difficulty).arg(stale).arg(invalid)));
        if (difficulty == 1)
            QCOMPARE(stale, 0);
    }
}

void TestChain::forgeTakesPendingWithinBudget()
{
    Chain chain(1, 1732435200.0);
    const Json small = Chain::transaction(u"a"_s, u"b"_s, 1);
    QCOMPARE(Chain::transactionBytes(small), CanonicalJson::dump(small).size() + 2);
    const Json large = Chain::transaction(u"a"_s, QString(300, u'\u00e9'), 1);   // 6 bytes each
    QCOMPARE(Chain::transactionBytes(large), CanonicalJson::dump(large).size() + 2);
    QVERIFY(Chain::transactionBytes(large) > 1800);
    chain.setPendingBudget(Chain::transactionBytes(large) + Chain::transactionBytes(small));
    chain.addTransaction(large);
    chain.addTransaction(small);
    chain.addTransaction(large);
    QCOMPARE(chain.pendingBytes(),
             2 * Chain::transactionBytes(large) + Chain::transactionBytes(small));

    // The oldest that fit: the large and the small one; the second large one waits.
    const auto proof = Pow::search(chain.lastBlockString(), 1, 0, 1'000'000);
    QVERIFY(proof);
    Block block = chain.forge(*proof, u"m"_s, 1, 1732435201.0);
    QCOMPARE(block.transactions().size(), 3u);
    QVERIFY(block.transactions()[0] == large);
    QVERIFY(block.transactions()[1] == small);
    chain.append(std::move(block));
    QCOMPARE(chain.pendingTransactions().size(), 1u);
    QCOMPARE(chain.pendingBytes(), Chain::transactionBytes(large));

    // A single transaction over the budget (stored before budgets existed) still gets a
    // block of its own, so the queue always drains.
    chain.setPendingBudget(100);
    chain.addTransaction(small);
    const auto next = Pow::search(chain.lastBlockString(), 1, 0, 1'000'000);
    QVERIFY(next);
    block = chain.forge(*next, u"m"_s, 1, 1732435202.0);
    QCOMPARE(block.transactions().size(), 2u);
    QVERIFY(block.transactions()[0] == large);
    chain.append(std::move(block));
    QCOMPARE(chain.pendingTransactions().size(), 1u);
    QCOMPARE(chain.pendingBytes(), Chain::transactionBytes(small));
    QVERIFY(Chain::verify(chain.blocks(), chain.difficulties()));
}

void TestChain::proofCheckOnLargeBlock()
{
    // The check uses the last block's midstate: right however long the block string.
    Chain chain(2, 1732435200.0);
    for (int i = 0; i < 200; ++i)
        chain.addTransaction(Chain::transaction(u"sender-%1"_s.arg(i), QString(100, u'x'), i));
    const auto proof = Pow::search(chain.lastBlockString(), 2, 0, 1'000'000);
    QVERIFY(proof);
    chain.append(chain.forge(*proof, u"m"_s, 1));
    QVERIFY(chain.lastBlockString().size() > 30'000);
    for (std::uint64_t p = 0; p < 5'000; ++p)
        QCOMPARE(chain.isValidProof(p), Pow::validProof(chain.lastBlockString(), p, 2));
}

void TestChain::largestIndexHasNoNextBlock()
{
    const Result<Block> last = Block::fromJson(
        Json{{"index", 9223372036854775807LL}, {"timestamp", 1.5}, {"transactions", Json::array()},
             {"proof", 1}, {"previous_hash", "x"}});
    QVERIFY(last);
    QCOMPARE(last->index(), std::numeric_limits<std::int64_t>::max());
    Block next = *last;
    next.value["previous_hash"] = last->hash().toStdString();
    for (const std::int64_t index : {std::numeric_limits<std::int64_t>::min(), std::int64_t{1}}) {
        next.value["index"] = index;
        const Result<void> link = Chain::verifyLink(*last, next, 1);
        QVERIFY(!link);
        QCOMPARE(link.errorMessage(), u"block 9223372036854775807 has the largest possible index: no block"
                        " can follow it"_s);
    }
}

void TestChain::wireRoundTrip()
{
    const Chain chain = mined(3, 2);
    const auto json = CanonicalJson::parse(chain.toWire());
    QVERIFY(json);
    QCOMPARE((*json)["length"].get<int>(), 4);
    std::vector<Block> blocks;
    for (const Json &item : (*json)["chain"]) {
        auto block = Block::fromJson(item);
        QVERIFY(block);
        blocks.push_back(*block);
    }
    QCOMPARE(blocks, chain.blocks());
    const auto loaded = Chain::fromBlocks(blocks, chain.difficulties(), 2);
    QVERIFY2(loaded, qPrintable(loaded.errorMessage()));
    QCOMPARE(loaded->lastBlockString(), chain.lastBlockString());
}

QTEST_APPLESS_MAIN(TestChain)
#include "tst_chain.moc"
