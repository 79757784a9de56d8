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
    QString error;
    QVERIFY2(Chain::verify(chain.blocks(), chain.difficulties(), &error), qPrintable(error));
}

void TestChain::verifyDetectsTampering()
{
    const Chain chain = mined(4, 2);
    std::vector<Block> blocks = chain.blocks();
    QVERIFY(Chain::verify(blocks, chain.difficulties()));
    blocks[1].value["transactions"][0]["amount"] = 1000;   // rewrite history
    QString error;
    QVERIFY(!Chain::verify(blocks, chain.difficulties(), &error));
    QVERIFY2(error.contains(u"block 3 has previous_hash"_s), qPrintable(error));
    QVERIFY(!Chain::fromBlocks(blocks, chain.difficulties(), 2, &error));
}

void TestChain::verifyDetectsBrokenLink()
{
    const Chain chain = mined(3, 2);
    std::vector<Block> blocks = chain.blocks();
    blocks.erase(blocks.begin() + 1);   // a missing block
    std::vector<int> difficulties = chain.difficulties();
    difficulties.pop_back();
    QString error;
    QVERIFY(!Chain::verify(blocks, difficulties, &error));
    QVERIFY2(error.contains(u"follows block"_s), qPrintable(error));

    blocks = chain.blocks();
    blocks[2].value["previous_hash"] = std::string(64, 'a');
    QVERIFY(!Chain::verify(blocks, chain.difficulties(), &error));
    QVERIFY2(error.contains(u"previous_hash"_s), qPrintable(error));
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
    QString error;
    QVERIFY(!Chain::verify(blocks, chain.difficulties(), &error));
    QVERIFY2(error.contains(u"not valid at difficulty 3"_s), qPrintable(error));
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

    // A slow miner's proof for a block up to StaleWindow blocks back is still known as
    // stale (409, not "invalid"); one older than that is not. The same holds for a chain
    // loaded from storage.
    const Chain longer = mined(static_cast<int>(Chain::StaleWindow) + 6, 1);
    const auto &blocks = longer.blocks();
    const auto loaded = Chain::fromBlocks(blocks, longer.difficulties(), 1);
    QVERIFY(loaded);
    for (const std::size_t back : {std::size_t{2}, std::size_t{20}, Chain::StaleWindow + 1,
                                   Chain::StaleWindow + 2}) {
        const Block &earlier = blocks[blocks.size() - back];
        // A proof valid for that block but not for any block after it.
        std::uint64_t late = 0;
        for (;; ++late) {
            if (!Pow::validProof(earlier.blockString(), late, 1))
                continue;
            bool laterToo = false;
            for (std::size_t k = blocks.size() - back + 1; k < blocks.size(); ++k)
                laterToo = laterToo || Pow::validProof(blocks[k].blockString(), late, 1);
            if (!laterToo)
                break;
        }
        const std::optional<std::int64_t> expected =
            back <= Chain::StaleWindow + 1 ? std::optional<std::int64_t>(earlier.index() + 1)
                                           : std::nullopt;
        QCOMPARE(longer.staleBlockFor(late), expected);
        QCOMPARE(loaded->staleBlockFor(late), expected);
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
    QString error;
    const auto loaded = Chain::fromBlocks(blocks, chain.difficulties(), 2, &error);
    QVERIFY2(loaded, qPrintable(error));
    QCOMPARE(loaded->lastBlockString(), chain.lastBlockString());
}

QTEST_APPLESS_MAIN(TestChain)
#include "tst_chain.moc"
