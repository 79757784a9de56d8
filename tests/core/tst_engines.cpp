#include <random>

#include <QTest>

#include "core/engines/emulatedengines.h"
#include "core/engines/engines.h"
#include "core/engines/opensslengine.h"
#include "core/engines/searchengine.h"
#include "core/pow.h"
#include "core/sha256.h"
#include "testvectors.h"

using namespace Qt::StringLiterals;

// Every engine this CPU runs, and the emulated build of every SIMD kernel source (which
// runs anywhere), against the Python vectors and the portable engine. An engine that is
// built but that this CPU cannot run has no rows: its kernel source is verified by its
// emulated twin (registry() checks that every SIMD engine has one and names what this
// CPU leaves unchecked), and nothing is ever skipped into a pass.
class TestEngines final : public QObject
{
    Q_OBJECT

private slots:
    void registry();
    void everyKernelHasAnEmulatedTwin();
    void selfTest_data();
    void selfTest();
    void selfTestCatchesAWrongEngine();
    void proofHashes_data();
    void proofHashes();
    void firstValidProof_data();
    void firstValidProof();
    void sixZeroVector_data();
    void sixZeroVector();
    void matchesPortableOnRandomStrings_data();
    void matchesPortableOnRandomStrings();
    void digitCountChanges_data();
    void digitCountChanges();
    void everyTailLength_data();
    void everyTailLength();
    void longBlockStrings_data();
    void longBlockStrings();
    void rangeEdges_data();
    void rangeEdges();

private:
    static void addEngineRows(bool emulated = true);
};

namespace
{
const OpenSslEngine Portable;

// Walks [first, last] with both engines, restarting after every proof found, so
// every hit and the attempts to it must agree.
bool sameProofs(const SearchEngine &engine, const QByteArray &blockString, int difficulty,
                std::uint64_t first, std::uint64_t last, int *found = nullptr)
{
    const Sha256::Midstate mid = Sha256::midstate(blockString);
    std::uint64_t start = first;
    while (start <= last) {
        const SearchResult want = Portable.search(mid, difficulty, start, last - start + 1);
        const SearchResult got = engine.search(mid, difficulty, start, last - start + 1);
        if (got.proof != want.proof || got.attempts != want.attempts) {
            qWarning("%s: block string of %lld bytes, difficulty %d, from %llu: got %lld after"
                     " %llu attempts, want %lld after %llu",
                     qPrintable(engine.name()), static_cast<long long>(blockString.size()),
                     difficulty, static_cast<unsigned long long>(start),
                     got.proof ? static_cast<long long>(*got.proof) : -1LL,
                     static_cast<unsigned long long>(got.attempts),
                     want.proof ? static_cast<long long>(*want.proof) : -1LL,
                     static_cast<unsigned long long>(want.attempts));
            return false;
        }
        if (!want.proof)
            break;
        if (found)
            ++*found;
        if (*want.proof == last)
            break;
        start = *want.proof + 1;
    }
    return true;
}

QByteArray randomString(std::mt19937_64 &random, int length)
{
    QByteArray s(length, Qt::Uninitialized);
    for (char &c : s)
        c = static_cast<char>(' ' + random() % 95);
    return s;
}

// The engines under test: those this CPU runs, and every emulated kernel.
std::vector<const SearchEngine *> enginesUnderTest()
{
    std::vector<const SearchEngine *> engines = Engines::available();
    for (const SearchEngine *emulated : EmulatedEngines::all())
        engines.push_back(emulated);
    return engines;
}

const SearchEngine *engineNamed(const QString &name)
{
    for (const SearchEngine *engine : enginesUnderTest()) {
        if (engine->name() == name)
            return engine;
    }
    return nullptr;
}

// Every engine under test; without the emulated ones for the searches of millions of
// proofs (they hash about 1 M proofs/s), which the other comparisons cover for them.
QStringList engineNames(bool emulated = true)
{
    QStringList names;
    for (const SearchEngine *engine : emulated ? enginesUnderTest() : Engines::available())
        names << engine->name();
    return names;
}
}

void TestEngines::addEngineRows(bool emulated)
{
    QTest::addColumn<QString>("engineName");
    for (const QString &name : engineNames(emulated))
        QTest::newRow(qPrintable(name)) << name;
}

// Rows exist only for engines under test, so a missing one is a failure.
#define ENGINE_UNDER_TEST(name) \
    const SearchEngine *engine = engineNamed(name); \
    QVERIFY2(engine, qPrintable(u"no engine %1"_s.arg(name)));

void TestEngines::registry()
{
    const QStringList built = Engines::builtNames();
    QVERIFY(built.contains(u"openssl"_s));
    QVERIFY(!Engines::available().empty());
    for (const SearchEngine *engine : Engines::available()) {
        QVERIFY(built.contains(engine->name()));
        QCOMPARE(Engines::find(engine->name()), engine);
        QVERIFY(Engines::calibrate(*engine, 5) > 0);
    }
    QCOMPARE(Engines::find(u"no-such-engine"_s), nullptr);
    QCOMPARE(Engines::find(u"shani-x2"_s), Engines::find(u"shani-x3"_s));   // retired name
    const SearchEngine &best = Engines::best();
    QCOMPARE(Engines::find(best.name()), &best);
    QCOMPARE(&Engines::best(), &best);   // chosen once
    QCOMPARE(Engines::selfTestFailure(best), QString());
    // Its calibrated rate is kept, so ProofSearch's chunk sizing measures nothing again.
    const double bestRate = Engines::rate(best);
    QVERIFY(bestRate > 0);
    QCOMPARE(Engines::rate(best), bestRate);
}

void TestEngines::everyKernelHasAnEmulatedTwin()
{
    // Every SIMD engine built in has its kernel source verified on any CPU; the ones this
    // CPU runs are also verified as built (their rows below).
    QStringList unchecked;
    for (const QString &name : Engines::builtNames()) {
        if (name == Engines::portable().name())
            continue;
        QVERIFY2(engineNamed(name + u"-emulated"_s),
                 qPrintable(u"engine %1 has no emulated twin"_s.arg(name)));
        if (!Engines::find(name))
            unchecked << name;
    }
    QCOMPARE(EmulatedEngines::all().size() + 1,
             static_cast<std::size_t>(Engines::builtNames().size()));
    if (!unchecked.isEmpty()) {
        qInfo("This CPU cannot run %s: their kernel sources are verified through their emulated"
              " twins; their intrinsics are verified only on a CPU that runs them",
              qPrintable(unchecked.join(u", "_s)));
    }
}

void TestEngines::selfTest_data()
{
    addEngineRows();
}

void TestEngines::selfTest()
{
    QFETCH(QString, engineName);
    ENGINE_UNDER_TEST(engineName)
    QCOMPARE(Engines::selfTestFailure(*engine), QString());
    QString why;
    QCOMPARE(&Engines::checked(*engine, &why), engine);
    QCOMPARE(why, QString());
}

namespace
{
// The portable engine with a lane off by one: every proof it reports is the next one.
class OffByOneEngine final : public SearchEngine
{
public:
    QString name() const override { return u"off-by-one"_s; }
    SearchResult search(const Sha256::Midstate &midstate, int difficulty, std::uint64_t first,
                        std::uint64_t count) const override
    {
        SearchResult r = Portable.search(midstate, difficulty, first, count);
        if (r.proof)
            ++*r.proof;
        return r;
    }
};

// The portable engine that stops early: it never looks past the first 1000 proofs.
class ShortSightedEngine final : public SearchEngine
{
public:
    QString name() const override { return u"short-sighted"_s; }
    SearchResult search(const Sha256::Midstate &midstate, int difficulty, std::uint64_t first,
                        std::uint64_t count) const override
    {
        return Portable.search(midstate, difficulty, first, std::min<std::uint64_t>(count, 1000));
    }
};
}

void TestEngines::selfTestCatchesAWrongEngine()
{
    const OffByOneEngine offByOne;
    const ShortSightedEngine shortSighted;
    for (const SearchEngine *wrong : {static_cast<const SearchEngine *>(&offByOne),
                                      static_cast<const SearchEngine *>(&shortSighted)}) {
        const QString failure = Engines::selfTestFailure(*wrong);
        QVERIFY2(failure.startsWith(u"engine %1 failed its self-test: "_s.arg(wrong->name())),
                 qPrintable(failure));
        QString why;
        QCOMPARE(&Engines::checked(*wrong, &why), &Engines::portable());
        QCOMPARE(why, failure + u"; mining with openssl instead"_s);
    }
}

void TestEngines::proofHashes_data()
{
    QTest::addColumn<QString>("engineName");
    QTest::addColumn<QByteArray>("blockString");
    QTest::addColumn<quint64>("proof");
    QTest::addColumn<int>("zeros");
    const QJsonArray vectors = TestVectors::vectors();
    for (const QString &name : engineNames()) {
        for (qsizetype i = 0; i < vectors.size(); ++i) {
            const QJsonObject v = vectors.at(i).toObject();
            const QJsonObject hashes = v.value(u"proof_hashes"_s).toObject();
            for (auto it = hashes.begin(); it != hashes.end(); ++it) {
                const QString hash = it.value().toString();
                int zeros = 0;
                while (zeros < hash.size() && hash.at(zeros) == u'0')
                    ++zeros;
                QTest::addRow("%s vector %lld proof %s", qPrintable(name),
                              static_cast<long long>(i), qPrintable(it.key()))
                    << name << v.value(u"block_string"_s).toString().toUtf8()
                    << it.key().toULongLong() << zeros;
            }
        }
    }
}

void TestEngines::proofHashes()
{
    QFETCH(QString, engineName);
    QFETCH(QByteArray, blockString);
    QFETCH(quint64, proof);
    QFETCH(int, zeros);
    ENGINE_UNDER_TEST(engineName)
    const Sha256::Midstate mid = Sha256::midstate(blockString);
    // One proof on its own, and the same proof at every lane position of a group.
    const SearchResult alone = engine->search(mid, zeros, proof, 1);
    QCOMPARE(alone.proof, std::optional<std::uint64_t>(proof));
    QCOMPARE(alone.attempts, 1u);
    const SearchResult none = engine->search(mid, zeros + 1, proof, 1);
    QVERIFY(!none.proof);
    QCOMPARE(none.attempts, 1u);
    for (std::uint64_t before = 1; before <= 17 && before <= proof; ++before) {
        const SearchResult r = engine->search(mid, zeros, proof - before, 2 * before + 1);
        QVERIFY(r.proof && *r.proof <= proof);
        QCOMPARE(r.attempts, *r.proof - (proof - before) + 1);
        QVERIFY(Pow::validProof(blockString, *r.proof, zeros));
    }
}

void TestEngines::firstValidProof_data()
{
    QTest::addColumn<QString>("engineName");
    QTest::addColumn<QByteArray>("blockString");
    QTest::addColumn<int>("difficulty");
    QTest::addColumn<quint64>("proof");
    const QJsonArray vectors = TestVectors::vectors();
    for (const QString &name : engineNames(false)) {
        for (qsizetype i = 0; i < vectors.size(); ++i) {
            const QJsonObject v = vectors.at(i).toObject();
            const QJsonObject first = v.value(u"first_valid_proof"_s).toObject();
            for (auto it = first.begin(); it != first.end(); ++it) {
                const int difficulty = it.key().toInt();
                if (difficulty < 3 || difficulty > 5)
                    continue;
                QTest::addRow("%s vector %lld difficulty %d", qPrintable(name),
                              static_cast<long long>(i), difficulty)
                    << name << v.value(u"block_string"_s).toString().toUtf8() << difficulty
                    << static_cast<quint64>(it.value().toInteger());
            }
        }
    }
}

void TestEngines::firstValidProof()
{
    QFETCH(QString, engineName);
    QFETCH(QByteArray, blockString);
    QFETCH(int, difficulty);
    QFETCH(quint64, proof);
    ENGINE_UNDER_TEST(engineName)
    const Sha256::Midstate mid = Sha256::midstate(blockString);
    const SearchResult found = engine->search(mid, difficulty, 0, proof + 1000);
    QCOMPARE(found.proof, std::optional<std::uint64_t>(proof));
    QCOMPARE(found.attempts, proof + 1);
    const SearchResult before = engine->search(mid, difficulty, 0, proof);
    QVERIFY(!before.proof);
    QCOMPARE(before.attempts, proof);
    // Started just before it, from every lane offset.
    for (std::uint64_t offset = 0; offset < 20 && offset <= proof; ++offset)
        QCOMPARE(engine->search(mid, difficulty, proof - offset, 100).proof,
                 std::optional<std::uint64_t>(proof));
}

void TestEngines::sixZeroVector_data()
{
    addEngineRows(false);
}

void TestEngines::sixZeroVector()
{
    QFETCH(QString, engineName);
    ENGINE_UNDER_TEST(engineName)
    int checked = 0;
    for (const QJsonValue &value : TestVectors::vectors()) {
        const QJsonObject v = value.toObject();
        const QJsonObject first = v.value(u"first_valid_proof"_s).toObject();
        if (!first.contains(u"6"_s))
            continue;
        const QByteArray blockString = v.value(u"block_string"_s).toString().toUtf8();
        const auto proof = static_cast<quint64>(first.value(u"6"_s).toInteger());
        const SearchResult found = engine->search(Sha256::midstate(blockString), 6, 0, proof + 1);
        QCOMPARE(found.proof, std::optional<std::uint64_t>(proof));
        QCOMPARE(found.attempts, proof + 1);
        ++checked;
    }
    QCOMPARE(checked, 1);
}

void TestEngines::matchesPortableOnRandomStrings_data()
{
    addEngineRows();
}

void TestEngines::matchesPortableOnRandomStrings()
{
    QFETCH(QString, engineName);
    ENGINE_UNDER_TEST(engineName)
    std::mt19937_64 random(20261125);
    int found = 0;
    for (int round = 0; round < 150; ++round) {
        const QByteArray s = randomString(random, static_cast<int>(random() % 400));
        const int digits = 1 + static_cast<int>(random() % 19);
        std::uint64_t scale = 1;
        for (int i = 1; i < digits; ++i)
            scale *= 10;
        const std::uint64_t first = std::min(Pow::MaxProof, scale + random() % (9 * scale));
        const std::uint64_t length = 1 + random() % 3000;
        const std::uint64_t last = first + std::min(length - 1, Pow::MaxProof - first);
        const int difficulty = 1 + static_cast<int>(random() % 3);
        QVERIFY(sameProofs(*engine, s, difficulty, first, last, &found));
    }
    QVERIFY(found > 1000);   // the walk really compared many hits
}

void TestEngines::digitCountChanges_data()
{
    addEngineRows();
}

void TestEngines::digitCountChanges()
{
    QFETCH(QString, engineName);
    ENGINE_UNDER_TEST(engineName)
    const QByteArray s =
        "{\"index\": 7, \"previous_hash\": \"0f\", \"proof\": 1, \"transactions\": []}";
    std::uint64_t power = 10;
    for (int digits = 2; digits <= 19; ++digits, power *= 10) {
        // 9..9 -> 10..0 inside the range, with the range starting at odd offsets.
        for (const std::uint64_t before : {1ULL, 7ULL, 33ULL, 2500ULL})
            QVERIFY(sameProofs(*engine, s, 1, power - std::min(before, power - 1), power + 40));
    }
    // The top of the range: proofs stop at 2^63 - 1.
    QVERIFY(sameProofs(*engine, s, 1, Pow::MaxProof - 3000, Pow::MaxProof));
}

void TestEngines::everyTailLength_data()
{
    addEngineRows();
}

void TestEngines::everyTailLength()
{
    QFETCH(QString, engineName);
    ENGINE_UNDER_TEST(engineName)
    // Every tail length puts the digits somewhere else in the final block(s): inside
    // one block, across the 64-byte boundary, or pushing the length into a second.
    for (int tail = 0; tail < 64; ++tail) {
        const QByteArray s = QByteArray(128, 'b') + QByteArray(tail, 't');
        for (const std::uint64_t first : {123'456ULL, 99'999'000ULL, 4'000'000'000'123ULL,
                                          9'000'000'000'000'000'000ULL}) {
            QVERIFY2(sameProofs(*engine, s, 1, first, first + 1200),
                     qPrintable(u"tail %1 from %2"_s.arg(tail).arg(first)));
        }
    }
}

void TestEngines::longBlockStrings_data()
{
    addEngineRows();
}

void TestEngines::longBlockStrings()
{
    QFETCH(QString, engineName);
    ENGINE_UNDER_TEST(engineName)
    std::mt19937_64 random(7);
    for (const int length : {4096, 5000, 8191, 9000}) {
        QByteArray s = "{\"index\": 3, \"transactions\": [";
        while (s.size() < length) {
            s += "{\"amount\": " + QByteArray::number(static_cast<qulonglong>(random() % 1000))
                + ", \"recipient\": \"" + randomString(random, 12).replace('"', 'q')
                + "\", \"sender\": \"x\"}, ";
        }
        s.truncate(length);
        QVERIFY(sameProofs(*engine, s, 2, 1'000'000, 1'004'000));
    }
}

void TestEngines::rangeEdges_data()
{
    addEngineRows();
}

void TestEngines::rangeEdges()
{
    QFETCH(QString, engineName);
    ENGINE_UNDER_TEST(engineName)
    const Sha256::Midstate mid = Sha256::midstate("edge");
    QCOMPARE(engine->search(mid, 1, 0, 0).attempts, 0u);
    QCOMPARE(engine->search(mid, 1, Pow::MaxProof + 1, 10).attempts, 0u);
    const SearchResult top = engine->search(mid, 64, Pow::MaxProof, ~0ULL);
    QCOMPARE(top.attempts, 1u);
    QVERIFY(!top.proof);
    QCOMPARE(engine->search(mid, 0, 123'456, 10).proof, std::optional<std::uint64_t>(123'456));
    // Nothing found: attempts is the whole range; difficulty above 8 checks beyond word 0.
    const SearchResult none = engine->search(mid, 9, 5'000'000, 100'000);
    QCOMPARE(none.attempts, Portable.search(mid, 9, 5'000'000, 100'000).attempts);
    QCOMPARE(none.proof, Portable.search(mid, 9, 5'000'000, 100'000).proof);
    QCOMPARE(engine->search(mid, 65, 20'000, 50).attempts, 50u);
}

QTEST_APPLESS_MAIN(TestEngines)
#include "tst_engines.moc"
