#include <QFile>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTemporaryDir>
#include <QTest>

#include "core/foundblocksmodel.h"

using namespace Qt::StringLiterals;

namespace
{
FoundBlock found(qint64 index, quint64 proof, quint64 attempts, double seconds,
                 FoundBlock::Verdict verdict, const QString &answer)
{
    FoundBlock b;
    b.time = QDateTime(QDate(2026, 12, 2), QTime(12, 0, static_cast<int>(index % 60)));
    b.blockIndex = index;
    b.proof = proof;
    b.attempts = attempts;
    b.seconds = seconds;
    b.verdict = verdict;
    b.answer = answer;
    b.reward = verdict == FoundBlock::Verdict::Accepted ? 1 : 0;
    b.serverUrl = QUrl(u"http://127.0.0.1:5000"_s);
    b.minerId = u"alice"_s;
    return b;
}

// RFC 4180 fields of one CSV text, line by line (quoted fields may hold commas,
// quotes and line breaks).
QList<QStringList> readCsv(const QString &text)
{
    QList<QStringList> rows;
    QStringList row;
    QString field;
    bool quoted = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (quoted) {
            if (c == u'"' && i + 1 < text.size() && text[i + 1] == u'"') {
                field += u'"';
                ++i;
            } else if (c == u'"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == u'"') {
            quoted = true;
        } else if (c == u',') {
            row << field;
            field.clear();
        } else if (c == u'\r' && i + 1 < text.size() && text[i + 1] == u'\n') {
            row << field;
            rows << row;
            row.clear();
            field.clear();
            ++i;
        } else {
            field += c;
        }
    }
    return rows;
}
}

class TestFoundBlocksModel final : public QObject
{
    Q_OBJECT

private slots:
    void showsEachProofAndItsAnswer();
    void sortsThroughAProxy();
    void exportsCsvThatReadsBack();
    void keepsTheLastRowsOnly();
};

void TestFoundBlocksModel::showsEachProofAndItsAnswer()
{
    FoundBlocksModel model;
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    model.add(found(7, 123456, 98765, 1.25, FoundBlock::Verdict::Accepted,
                    u"HTTP 200: New Block Forged"_s));
    QCOMPARE(inserted.size(), 1);
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.columnCount(), int(FoundBlocksModel::ColumnCount));
    auto cell = [&model](int column) { return model.index(0, column).data().toString(); };
    QCOMPARE(cell(FoundBlocksModel::IndexColumn), u"7"_s);
    QCOMPARE(cell(FoundBlocksModel::ProofColumn), u"123456"_s);
    QCOMPARE(model.index(0, FoundBlocksModel::AttemptsColumn)
                 .data(FoundBlocksModel::SortRole).toULongLong(), 98765u);
    QCOMPARE(cell(FoundBlocksModel::SecondsColumn), u"1.25 s"_s);
    QCOMPARE(cell(FoundBlocksModel::AnswerColumn), u"accepted: HTTP 200: New Block Forged"_s);
    QCOMPARE(model.headerData(FoundBlocksModel::AttemptsColumn, Qt::Horizontal).toString(),
             u"Attempts"_s);
    QVERIFY(!model.headerData(FoundBlocksModel::AnswerColumn, Qt::Horizontal, Qt::ToolTipRole)
                 .toString().isEmpty());

    // A server's text cannot reorder the line: bidi controls show escaped.
    model.add(found(8, 1, 1, 0.1, FoundBlock::Verdict::Error, u"HTTP 500: a\u202eb"_s));
    QCOMPARE(model.index(1, FoundBlocksModel::AnswerColumn).data().toString(),
             u"error: HTTP 500: a\\u202eb"_s);
}

void TestFoundBlocksModel::sortsThroughAProxy()
{
    FoundBlocksModel model;
    model.add(found(3, 900, 5000, 2.0, FoundBlock::Verdict::Accepted, u"ok"_s));
    model.add(found(10, 20, 70, 0.01, FoundBlock::Verdict::Stale, u"stale"_s));
    model.add(found(5, 300000, 123456789, 30.5, FoundBlock::Verdict::Rejected, u"no"_s));
    QSortFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.setSortRole(FoundBlocksModel::SortRole);
    auto column = [&proxy](int c) {
        QStringList values;
        for (int row = 0; row < proxy.rowCount(); ++row)
            values << proxy.index(row, c).data().toString();
        return values;
    };
    proxy.sort(FoundBlocksModel::IndexColumn, Qt::AscendingOrder);
    QCOMPARE(column(FoundBlocksModel::IndexColumn), QStringList({u"3"_s, u"5"_s, u"10"_s}));
    // Numbers sort as numbers, not as text ("20" < "900" < "300000").
    proxy.sort(FoundBlocksModel::ProofColumn, Qt::AscendingOrder);
    QCOMPARE(column(FoundBlocksModel::ProofColumn),
             QStringList({u"20"_s, u"900"_s, u"300000"_s}));
    proxy.sort(FoundBlocksModel::SecondsColumn, Qt::DescendingOrder);
    QCOMPARE(column(FoundBlocksModel::IndexColumn), QStringList({u"5"_s, u"3"_s, u"10"_s}));
    // A new row lands in its sorted place.
    model.add(found(4, 1, 1, 10.0, FoundBlock::Verdict::Accepted, u"ok"_s));
    QCOMPARE(column(FoundBlocksModel::IndexColumn),
             QStringList({u"5"_s, u"4"_s, u"3"_s, u"10"_s}));
}

void TestFoundBlocksModel::exportsCsvThatReadsBack()
{
    FoundBlocksModel model;
    model.add(found(2, 42, 1000, 0.5, FoundBlock::Verdict::Accepted,
                    u"HTTP 200: New Block Forged"_s));
    model.add(found(3, 43, 2000, 1.5, FoundBlock::Verdict::Rejected,
                    u"HTTP 400: \"Invalid\", proof\nsecond line"_s));
    model.add(found(4, 44, 3000, 2.5, FoundBlock::Verdict::Error,
                    u"=HYPERLINK(\"http://evil\")"_s));

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"found.csv"_s);
    const Result<void> written = model.writeCsv(path);
    QVERIFY2(written, qPrintable(written.errorMessage()));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QStringList> rows = readCsv(QString::fromUtf8(file.readAll()));
    QCOMPARE(rows.size(), 4);
    QCOMPARE(rows[0], QStringList({u"time"_s, u"block"_s, u"proof"_s, u"attempts"_s,
                                   u"search_seconds"_s, u"verdict"_s, u"reward"_s, u"answer"_s,
                                   u"node"_s, u"miner_id"_s}));
    QCOMPARE(rows[1].mid(1, 7), QStringList({u"2"_s, u"42"_s, u"1000"_s, u"0.500"_s,
                                             u"accepted"_s, u"1"_s,
                                             u"HTTP 200: New Block Forged"_s}));
    QCOMPARE(QDateTime::fromString(rows[1][0], Qt::ISODateWithMs), model.at(0).time);
    QCOMPARE(rows[1][8], u"http://127.0.0.1:5000"_s);
    QCOMPARE(rows[2][7], u"HTTP 400: \"Invalid\", proof\nsecond line"_s);
    QCOMPARE(rows[2][5], u"rejected"_s);
    // A spreadsheet would run this as a formula: it is kept as text.
    QCOMPARE(rows[3][7], u"'=HYPERLINK(\"http://evil\")"_s);

    // A folder that does not exist: an error saying where, no crash.
    const Result<void> failed = model.writeCsv(dir.filePath(u"missing/found.csv"_s));
    QVERIFY(!failed);
    QVERIFY2(failed.errorMessage().startsWith(u"Cannot write "_s), qPrintable(failed.errorMessage()));
}

void TestFoundBlocksModel::keepsTheLastRowsOnly()
{
    FoundBlocksModel model;
    for (int i = 1; i <= FoundBlocksModel::MaxRows + 5; ++i)
        model.add(found(i, 1, 1, 0.1, FoundBlock::Verdict::Accepted, u"ok"_s));
    QCOMPARE(model.rowCount(), FoundBlocksModel::MaxRows);
    QCOMPARE(model.at(0).blockIndex, 6);
    model.clear();
    QCOMPARE(model.rowCount(), 0);

    // In one insertion (as MiningStatistics adds them, once a second).
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    std::vector<FoundBlock> batch;
    for (int i = 1; i <= 3; ++i)
        batch.push_back(found(i, 1, 1, 0.1, FoundBlock::Verdict::Accepted, u"ok"_s));
    model.add(batch);
    QCOMPARE(inserted.size(), 1);
    QCOMPARE(model.rowCount(), 3);
    batch.clear();
    for (int i = 4; i <= FoundBlocksModel::MaxRows + 1; ++i)
        batch.push_back(found(i, 1, 1, 0.1, FoundBlock::Verdict::Accepted, u"ok"_s));
    model.add(batch);
    QCOMPARE(model.rowCount(), FoundBlocksModel::MaxRows);
    QCOMPARE(model.at(0).blockIndex, 2);
    QCOMPARE(model.at(FoundBlocksModel::MaxRows - 1).blockIndex, FoundBlocksModel::MaxRows + 1);
}

QTEST_GUILESS_MAIN(TestFoundBlocksModel)
#include "tst_foundblocksmodel.moc"
