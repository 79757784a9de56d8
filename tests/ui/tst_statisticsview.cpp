#include <memory>

#include <QAction>
#include <QFile>
#include <QFileDialog>
#include <QHeaderView>
#include <QImage>
#include <QLabel>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include "core/foundblocksmodel.h"
#include "core/miningmodel.h"
#include "core/miningstatistics.h"
#include "core/settings.h"
#include "ui/hashratechart.h"
#include "ui/statisticsview.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr int WaitMs = 30000;

qint64 digits(const QString &text)
{
    return QString(text).remove(QRegularExpression(u"[^0-9]"_s)).toLongLong();
}
}

// The Statistics tab on a real model mining on its real local chain server.
class TestStatisticsView final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void expectedTimeReads();
    void showsMiningAsItHappens();

private:
    template<typename T>
    T *child(QWidget *parent, const QString &name)
    {
        T *widget = parent->findChild<T *>(name);
        if (!widget)
            qWarning("No %s named %s", T::staticMetaObject.className(), qPrintable(name));
        return widget;
    }
};

void TestStatisticsView::expectedTimeReads()
{
    QCOMPARE(StatisticsView::expectedTimeText(6, 16777216.0), u"1.0 s"_s);
    QCOMPARE(StatisticsView::expectedTimeText(6, 16777216.0 / 90), u"1 min 30 s"_s);
    QCOMPARE(StatisticsView::expectedTimeText(2, 25600.0), u"10 ms"_s);
    QCOMPARE(StatisticsView::expectedTimeText(6, 0.0), u"n/a"_s);
    QCOMPARE(StatisticsView::expectedTimeText(16, 16.0 * 86400), u"about 4.2e+05 years"_s);
    QCOMPARE(StatisticsView::expectedTimeText(64, 1e9), u"about 3.7e+60 years"_s);
    QCOMPARE(StatisticsView::expectedTimeText(8, 16.0 * 16 * 16 * 16 * 16 * 16 * 16 * 16 / 259200),
             u"3.0 days"_s);
}

void TestStatisticsView::showsMiningAsItHappens()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    Settings settings(dir.filePath(u"settings.ini"_s));
    MiningModel model(ProofSearch::Priority::Normal);
    MiningStatistics statistics(model, settings);
    StatisticsView view(statistics);
    connect(&model, &MiningModel::changed, &view, [&] { view.refresh(model.snapshot()); });
    view.resize(1000, 700);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    // The tab fits a window of 800x600 (less menu, tab and status bars).
    const QSize minimum = view.minimumSizeHint();
    QVERIFY2(minimum.width() <= 780 && minimum.height() <= 480,
             qPrintable(u"%1x%2"_s.arg(minimum.width()).arg(minimum.height())));
    QCOMPARE(child<QLabel>(&view, u"chainBalanceNote"_s)->text(),
             u"Start mining to see the coins of a node and id."_s);

    MiningModel::LocalServerSetup server;
    server.databasePath = dir.filePath(u"data/chain.db"_s);
    server.difficulty = 2;
    QVERIFY(model.startLocalServer(server));
    MiningModel::MinerSetup miner;
    miner.id = u"dora"_s;
    miner.threads = 1;
    QVERIFY(model.startMining(miner));
    QTRY_VERIFY_WITH_TIMEOUT(model.snapshot().accepted >= 4, WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(
        child<QLabel>(&view, u"expectedTimeLabel"_s)->text().contains(u"(difficulty 2 at "_s),
        WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(child<QLabel>(&view, u"rate60sLabel"_s)->text().endsWith(u"H/s"_s),
                             WaitMs);
    auto *chart = child<HashRateChart>(&view, u"hashRateChart"_s);
    QTRY_VERIFY_WITH_TIMEOUT(chart->plottedPoints() >= 2 && chart->scaleMaximum() > 1, WaitMs);
    QSignalSpy stopped(&model, &MiningModel::miningStopped);
    model.stopMining();
    QTRY_COMPARE_WITH_TIMEOUT(stopped.size(), 1, WaitMs);
    const MiningSnapshot s = model.snapshot();
    view.refresh(s);

    // The coins, each labelled: this session, earned here, on the chain.
    QCOMPARE(digits(child<QLabel>(&view, u"sessionCoinsLabel"_s)->text()), s.coins);
    QCOMPARE(digits(child<QLabel>(&view, u"earnedCoinsLabel"_s)->text()), s.coins);
    QTRY_COMPARE_WITH_TIMEOUT(digits(child<QLabel>(&view, u"chainBalanceLabel"_s)->text()),
                              s.coins, WaitMs);
    QVERIFY(child<QLabel>(&view, u"chainBalanceNote"_s)->text().startsWith(
        u"\"dora\" on %1, read to block "_s.arg(model.localServerUrl().toString())));
    QCOMPARE(child<QLabel>(&view, u"expectedTimeLabel"_s)->text(), u"n/a (not mining)"_s);
    QVERIFY(QRegularExpression(u"^\\d\\d:\\d\\d \\(mining \\d\\d:\\d\\d\\)$"_s)
                .match(child<QLabel>(&view, u"uptimeLabel"_s)->text()).hasMatch());
    QVERIFY(!child<QLabel>(&view, u"earnedCoinsLabel"_s)->toolTip().isEmpty());

    // The chart draws its line (and only when there is something to draw).
    const QImage image = chart->grab().toImage();
    bool lineSeen = false;
    for (int y = 0; y < image.height() && !lineSeen; ++y) {
        for (int x = 0; x < image.width() && !lineSeen; ++x)
        {
            // The line's blue, or its antialiased blend with the background.
            const QColor c = image.pixelColor(x, y);
            lineSeen = c.blue() > c.red() + 60 && c.blue() > c.green() + 20;
        }
    }
    QVERIFY(lineSeen);

    // The table: a row per answer, sorted by a click on a header.
    auto *table = child<QTableView>(&view, u"foundBlocksTable"_s);
    const int rows = s.accepted + s.stale + s.rejected;
    QCOMPARE(table->model()->rowCount(), rows);
    table->sortByColumn(FoundBlocksModel::IndexColumn, Qt::AscendingOrder);
    QCOMPARE(table->model()->index(0, FoundBlocksModel::IndexColumn).data().toInt(), 2);
    QTest::mouseClick(table->horizontalHeader()->viewport(), Qt::LeftButton, {},
                      QPoint(table->horizontalHeader()->sectionViewportPosition(
                                 FoundBlocksModel::IndexColumn) + 5,
                             table->horizontalHeader()->height() / 2));
    QCOMPARE(table->horizontalHeader()->sortIndicatorOrder(), Qt::DescendingOrder);
    qint64 highest = 0;
    for (int row = 0; row < statistics.foundBlocks()->rowCount(); ++row)
        highest = std::max<qint64>(highest, statistics.foundBlocks()->at(row).blockIndex);
    QVERIFY(highest >= 5);
    QCOMPARE(table->model()->index(0, FoundBlocksModel::IndexColumn).data().toLongLong(),
             highest);
    QVERIFY(table->model()->index(0, FoundBlocksModel::AnswerColumn).data().toString()
                .startsWith(u"accepted: HTTP 200: New Block Forged"_s));

    // Export: the file holds a header and every row; a bad path says why.
    const QString path = dir.filePath(u"found.csv"_s);
    QVERIFY(view.exportCsv(path));
    QCOMPARE(child<QLabel>(&view, u"exportStatusLabel"_s)->text(),
             u"Saved %1 rows to %2"_s.arg(rows).arg(QDir::toNativeSeparators(path)));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = file.readAll().split('\n');
    QCOMPARE(lines.size(), rows + 2);   // header, rows, and the empty tail after the last CRLF
    QVERIFY(lines[0].startsWith("time,block,proof,attempts,search_seconds,verdict"));
    QVERIFY(lines[1].contains(",2,"));
    // Through File > Export Found Blocks: a file dialog, then the same file.
    const QString viaMenu = dir.filePath(u"via-menu.csv"_s);
    view.exportAction()->trigger();
    QFileDialog *dialog = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((dialog = view.findChild<QFileDialog *>()) != nullptr, WaitMs);
    QVERIFY(!dialog->isModal() || dialog->windowModality() != Qt::ApplicationModal);
    dialog->selectFile(viaMenu);
    QMetaObject::invokeMethod(dialog, "accept");   // the Save button
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(viaMenu), WaitMs);
    QFile menuFile(viaMenu);
    QVERIFY(menuFile.open(QIODevice::ReadOnly));
    QCOMPARE(menuFile.readAll().count('\n'), rows + 1);

    QVERIFY(!view.exportCsv(dir.filePath(u"no/such/folder/found.csv"_s)));
    QVERIFY(child<QLabel>(&view, u"exportStatusLabel"_s)->text().startsWith(u"Cannot write "_s));
    QVERIFY(child<QPushButton>(&view, u"exportCsvButton"_s)->isVisible());
}

QTEST_MAIN(TestStatisticsView)
#include "tst_statisticsview.moc"
