#include <QTest>

#include "core/block.h"
#include "core/engines/opensslengine.h"
#include "core/engines/proofmessage.h"
#include "core/pow.h"
#include "core/sha256.h"
#include "testvectors.h"

using namespace Qt::StringLiterals;

namespace
{
// A final hash state as the lowercase hex digest.
QByteArray hexOf(const Sha256::State &state)
{
    QByteArray hex;
    for (const quint32 word : state)
        hex += QByteArray::number(word, 16).rightJustified(8, '0');
    return hex;
}
}

class TestPow final : public QObject
{
    Q_OBJECT

private slots:
    void sha256Known();
    void midstateMatchesOneShot();
    void proofHashes_data();
    void proofHashes();
    void firstValidProof_data();
    void firstValidProof();
    void sixZeroVector();
    void validProofRules();
    void proofMessageMatchesFormatting_data();
    void proofMessageMatchesFormatting();
    void searchRangeEdges();
    void meetsDifficulty();
    void fastFirstProofLayout();
};

void TestPow::sha256Known()
{
    QCOMPARE(Sha256::hexDigest(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"_ba);
    QCOMPARE(Sha256::hexDigest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"_ba);
}

void TestPow::midstateMatchesOneShot()
{
    // For every tail length, midstate + final blocks equals the one-shot digest.
    for (int length = 0; length < 200; ++length) {
        const QByteArray prefix(length, 'x');
        const Sha256::Midstate mid = Sha256::midstate(prefix);
        QCOMPARE(mid.prefixBytes + static_cast<quint64>(mid.tail.size()), static_cast<quint64>(length));
        for (const quint64 proof : {0ULL, 9ULL, 12345ULL, 9223372036854775807ULL}) {
            ProofMessage message(mid, proof);
            Sha256::State state = mid.state;
            for (int b = 0; b < message.blockCount(); ++b)
                Sha256::compress(state, message.block(b));
            const QByteArray hex = hexOf(state);
            QCOMPARE(hex, Pow::proofHash(prefix, proof));
            for (const int difficulty : {0, 1, 2, 3})
                QCOMPARE(Pow::validProof(mid, proof, difficulty),
                         Pow::validProof(prefix, proof, difficulty));
        }
    }
}

void TestPow::proofHashes_data()
{
    QTest::addColumn<QByteArray>("blockString");
    QTest::addColumn<quint64>("proof");
    QTest::addColumn<QByteArray>("hash");
    const QJsonArray vectors = TestVectors::vectors();
    int rows = 0;
    for (qsizetype i = 0; i < vectors.size(); ++i) {
        const QJsonObject v = vectors.at(i).toObject();
        const QJsonObject hashes = v.value(u"proof_hashes"_s).toObject();
        for (auto it = hashes.begin(); it != hashes.end(); ++it) {
            QTest::addRow("vector %lld proof %s", static_cast<long long>(i), qPrintable(it.key()))
                << v.value(u"block_string"_s).toString().toUtf8() << it.key().toULongLong()
                << it.value().toString().toUtf8();
            ++rows;
        }
    }
    QVERIFY(rows >= 30);
}

void TestPow::proofHashes()
{
    QFETCH(QByteArray, blockString);
    QFETCH(quint64, proof);
    QFETCH(QByteArray, hash);
    QCOMPARE(Pow::proofHash(blockString, proof), hash);
    // The engine's single-compression path agrees on validity at every difficulty.
    int zeros = 0;
    while (zeros < hash.size() && hash.at(zeros) == '0')
        ++zeros;
    QVERIFY(Pow::validProof(blockString, proof, zeros));
    QVERIFY(!Pow::validProof(blockString, proof, zeros + 1));
    const OpenSslEngine engine;
    const SearchResult found = engine.search(Sha256::midstate(blockString), zeros, proof, 1);
    QCOMPARE(found.proof, std::optional<std::uint64_t>(proof));
    QCOMPARE(found.attempts, 1u);
    QVERIFY(!engine.search(Sha256::midstate(blockString), zeros + 1, proof, 1).proof);
}

void TestPow::firstValidProof_data()
{
    QTest::addColumn<QByteArray>("blockString");
    QTest::addColumn<int>("difficulty");
    QTest::addColumn<quint64>("proof");
    const QJsonArray vectors = TestVectors::vectors();
    for (qsizetype i = 0; i < vectors.size(); ++i) {
        const QJsonObject v = vectors.at(i).toObject();
        const QJsonObject first = v.value(u"first_valid_proof"_s).toObject();
        for (auto it = first.begin(); it != first.end(); ++it) {
            if (it.key().toInt() >= 6)
                continue;   // the 6-zero vector is sixZeroVector()
            QTest::addRow("vector %lld difficulty %s", static_cast<long long>(i), qPrintable(it.key()))
                << v.value(u"block_string"_s).toString().toUtf8() << it.key().toInt()
                << static_cast<quint64>(it.value().toInteger());
        }
    }
}

void TestPow::firstValidProof()
{
    QFETCH(QByteArray, blockString);
    QFETCH(int, difficulty);
    QFETCH(quint64, proof);
    QCOMPARE(Pow::search(blockString, difficulty, 0, proof + 1000), std::optional<std::uint64_t>(proof));
    QVERIFY(Pow::validProof(blockString, proof, difficulty));
    // Nothing valid before it, and a range that stops just short finds nothing.
    QVERIFY(!Pow::search(blockString, difficulty, 0, proof));
    // A search starting after it finds a later proof, or none.
    const auto later = Pow::search(blockString, difficulty, proof + 1, 1000);
    QVERIFY(!later || *later > proof);
}

void TestPow::sixZeroVector()
{
    const QJsonArray vectors = TestVectors::vectors();
    int checked = 0;
    for (const QJsonValue &value : vectors) {
        const QJsonObject v = value.toObject();
        const QJsonObject first = v.value(u"first_valid_proof"_s).toObject();
        if (!first.contains(u"6"_s))
            continue;
        const QByteArray blockString = v.value(u"block_string"_s).toString().toUtf8();
        const quint64 proof = static_cast<quint64>(first.value(u"6"_s).toInteger());
        QCOMPARE(proof, 14986246u);
        QCOMPARE(Pow::search(blockString, 6, 0, proof + 1), std::optional<std::uint64_t>(proof));
        QVERIFY(Pow::proofHash(blockString, proof).startsWith("000000"));
        ++checked;
    }
    QCOMPARE(checked, 1);
}

void TestPow::validProofRules()
{
    const QByteArray s = "{\"index\": 1}";
    QVERIFY(Pow::validProof(s, 7, 0));                 // difficulty 0: anything goes
    QVERIFY(!Pow::validProof(s, 9223372036854775808ULL, 0));   // 2^63 is not a proof
    QVERIFY(!Pow::validProof(s, 1, -1));
    QVERIFY(!Pow::validProof(s, 1, 65));
}

void TestPow::proofMessageMatchesFormatting_data()
{
    QTest::addColumn<int>("tailLength");
    QTest::addColumn<quint64>("first");
    for (const int tail : {0, 1, 30, 44, 45, 46, 54, 55, 56, 63}) {
        for (const quint64 first : {0ULL, 95ULL, 99990ULL, 999999990ULL, 9223372036854775800ULL})
            QTest::addRow("tail %d from %llu", tail, static_cast<unsigned long long>(first)) << tail << first;
    }
}

void TestPow::proofMessageMatchesFormatting()
{
    // Digits incremented in place, across digit-count changes and the 64-byte boundary,
    // give exactly the bytes of block_string + str(proof), padded.
    QFETCH(int, tailLength);
    QFETCH(quint64, first);
    const QByteArray prefix = QByteArray(64, 'p') + QByteArray(tailLength, 't');
    const Sha256::Midstate mid = Sha256::midstate(prefix);
    ProofMessage message(mid, first);
    for (quint64 proof = first; proof < first + 20 && proof <= Pow::MaxProof; ++proof) {
        QCOMPARE(message.proof(), proof);
        const QByteArray digits = QByteArray::number(proof);
        QCOMPARE(message.digitCount(), digits.size());
        QCOMPARE(QByteArray(reinterpret_cast<const char *>(message.block(0)) + message.digitOffset(),
                            message.digitCount()),
                 digits);
        Sha256::State state = mid.state;
        for (int b = 0; b < message.blockCount(); ++b)
            Sha256::compress(state, message.block(b));
        const QByteArray hex = hexOf(state);
        QCOMPARE(hex, Pow::proofHash(prefix, proof));
        if (proof == Pow::MaxProof)
            break;
        message.increment();
    }
}

void TestPow::searchRangeEdges()
{
    const QByteArray s = "edge";
    const OpenSslEngine engine;
    const Sha256::Midstate mid = Sha256::midstate(s);
    QCOMPARE(engine.search(mid, 1, 0, 0).attempts, 0u);
    QVERIFY(!engine.search(mid, 1, Pow::MaxProof + 1, 10).attempts);
    // The range is clamped to proofs below 2^63: one attempt at 2^63 - 1, then stop.
    const SearchResult top = engine.search(mid, 64, Pow::MaxProof, ~0ULL);
    QCOMPARE(top.attempts, 1u);
    QVERIFY(!top.proof);
    // Difficulty 0: the first proof of the range.
    QCOMPARE(engine.search(mid, 0, 42, 10).proof, std::optional<std::uint64_t>(42));
}

void TestPow::meetsDifficulty()
{
    Sha256::State state{};
    state[0] = 0x000000ff;
    QVERIFY(Pow::meetsDifficulty(state, 6));
    QVERIFY(!Pow::meetsDifficulty(state, 7));
    state[0] = 0;
    state[1] = 0x0fffffff;
    QVERIFY(Pow::meetsDifficulty(state, 9));
    QVERIFY(!Pow::meetsDifficulty(state, 10));
    QCOMPARE(Pow::firstWordMask(1), 0xf0000000u);
    QCOMPARE(Pow::firstWordMask(6), 0xffffff00u);
    QCOMPARE(Pow::firstWordMask(8), 0xffffffffu);
}

void TestPow::fastFirstProofLayout()
{
    // For every tail length: the digits and padding fit one block, or at least three
    // digits reach the second block; the range ahead keeps its digit count for at least
    // 10^8 proofs (a 6-zero block needs ~1.7 * 10^7 attempts) and stays below 2^63.
    const std::uint64_t randoms[] = {0, 1, 12345678901234567ULL, ~0ULL, 0x8000000000000000ULL};
    for (int tail = 0; tail < 64; ++tail) {
        for (const std::uint64_t random : randoms) {
            const std::uint64_t proof = Pow::fastFirstProof(tail, random);
            const std::uint64_t ahead = proof + 100'000'000;
            QVERIFY(ahead <= Pow::MaxProof);
            const int digits = static_cast<int>(QByteArray::number(proof).size());
            QCOMPARE(QByteArray::number(ahead).size(), digits);
            QVERIFY2(digits >= 9, qPrintable(QString::number(tail)));
            const bool oneBlock = tail + digits + 9 <= 64;
            const bool secondHoldsThree = tail + digits >= 67;
            QVERIFY2(oneBlock || secondHoldsThree || (tail == 47 && digits == Pow::MaxProofDigits),
                     qPrintable(u"tail %1, %2 digits"_s.arg(tail).arg(digits)));
        }
    }
}

QTEST_APPLESS_MAIN(TestPow)
#include "tst_pow.moc"
