#include "ui/statisticsview.h"

#include <cmath>

#include <QAction>
#include <QDir>
#include <QFileDialog>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QTableView>
#include <QVBoxLayout>

#include "core/miningsnapshot.h"
#include "core/miningstatistics.h"
#include "core/miningtext.h"
#include "core/printable.h"
#include "ui/hashratechart.h"

using namespace Qt::StringLiterals;

namespace
{
QLabel *valueLabel(const QString &objectName, const QString &toolTip, bool big, QWidget *parent)
{
    auto *label = new QLabel(u"\u2014"_s, parent);
    label->setObjectName(objectName);
    label->setTextFormat(Qt::PlainText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setToolTip(toolTip);
    if (big) {
        QFont font = label->font();
        font.setPointSize(font.pointSize() + 4);
        font.setBold(true);
        label->setFont(font);
    }
    return label;
}

QLabel *caption(const QString &text, QLabel *buddy, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    label->setTextFormat(Qt::PlainText);
    label->setToolTip(buddy->toolTip());
    buddy->setAccessibleName(QString(text).remove(u':'));
    return label;
}

QString coinsText(double coins)
{
    if (std::abs(coins) < 1e15 && coins == std::floor(coins))
        return QLocale().toString(static_cast<qint64>(coins));
    return QLocale().toString(coins, 'g', 12);
}
}

StatisticsView::StatisticsView(MiningStatistics &statistics, QWidget *parent)
    : QWidget{parent}
    , m_statistics{statistics}
{
    setObjectName(u"statisticsView"_s);
    m_exportAction = new QAction(u"&Export Found Blocks\u2026"_s, this);
    m_exportAction->setObjectName(u"exportFoundBlocksAction"_s);
    m_exportAction->setToolTip(u"Save the found-blocks table as a CSV file"_s);
    connect(m_exportAction, &QAction::triggered, this, &StatisticsView::chooseExportFile);

    auto *layout = new QGridLayout(this);
    layout->addWidget(createCoinsGroup(), 0, 0);
    layout->addWidget(createRateGroup(), 0, 1);
    layout->addWidget(createFoundGroup(), 1, 0, 1, 2);
    layout->setColumnStretch(0, 2);
    layout->setColumnStretch(1, 5);
    layout->setRowStretch(0, 3);
    layout->setRowStretch(1, 2);

    // Coins change with every block: shown at the next refresh (at most 4 a second).
    connect(&m_statistics, &MiningStatistics::coinsChanged, this, [this] { m_coinsChanged = true; });
    connect(&m_statistics, &MiningStatistics::sampled, this, [this] {
        showUptime();
        if (m_coinsChanged)
            showCoins();
    });
    showCoins();
    showUptime();
}

StatisticsView::~StatisticsView() = default;

QWidget *StatisticsView::createCoinsGroup()
{
    auto *group = new QGroupBox(u"Coins"_s, this);
    group->setObjectName(u"coinsGroup"_s);
    m_sessionCoins = valueLabel(u"sessionCoinsLabel"_s,
                                u"Coins the server paid for blocks mined since this window "
                                "opened"_s, true, group);
    m_earnedCoins = valueLabel(u"earnedCoinsLabel"_s,
                               u"Coins this computer earned on this node for this id, over "
                               "every launch"_s, true, group);
    m_chainCoins = valueLabel(u"chainBalanceLabel"_s,
                              u"What the node's chain holds for this id: every payment to it "
                              "(rewards included) less what it sent. Read from GET /chain, "
                              "new blocks only"_s, true, group);
    m_chainNote = valueLabel(u"chainBalanceNote"_s, m_chainCoins->toolTip(), false, group);
    m_chainNote->setWordWrap(true);

    auto *form = new QGridLayout(group);
    form->addWidget(caption(u"This session:"_s, m_sessionCoins, group), 0, 0);
    form->addWidget(m_sessionCoins, 0, 1);
    form->addWidget(caption(u"Earned here, all launches:"_s, m_earnedCoins, group), 1, 0);
    form->addWidget(m_earnedCoins, 1, 1);
    form->addWidget(caption(u"Balance on the chain:"_s, m_chainCoins, group), 2, 0);
    form->addWidget(m_chainCoins, 2, 1);
    form->addWidget(m_chainNote, 3, 0, 1, 2);
    form->setRowStretch(4, 1);
    form->setColumnStretch(1, 1);
    return group;
}

QWidget *StatisticsView::createRateGroup()
{
    auto *group = new QGroupBox(u"Hash rate, last 15 minutes"_s, this);
    group->setObjectName(u"hashRateGroup"_s);
    m_chart = new HashRateChart(m_statistics, group);
    m_rate10s = valueLabel(u"rate10sLabel"_s, u"Average hash rate over the last 10 s"_s, false,
                           group);
    m_rate60s = valueLabel(u"rate60sLabel"_s, u"Average hash rate over the last 60 s"_s, false,
                           group);
    m_rate15m = valueLabel(u"rate15mLabel"_s, u"Average hash rate over the last 15 min"_s,
                           false, group);
    m_expected = valueLabel(u"expectedTimeLabel"_s,
                            u"Mean time to find a block: 16^difficulty attempts at the 60 s "
                            "average rate (10 s, or the last second, while there is less)"_s,
                            false, group);
    m_uptime = valueLabel(u"uptimeLabel"_s,
                          u"Time since the window opened, and the part of it spent mining"_s,
                          false, group);

    auto *figures = new QGridLayout;
    figures->addWidget(caption(u"10 s:"_s, m_rate10s, group), 0, 0);
    figures->addWidget(m_rate10s, 0, 1);
    figures->addWidget(caption(u"60 s:"_s, m_rate60s, group), 0, 2);
    figures->addWidget(m_rate60s, 0, 3);
    figures->addWidget(caption(u"15 min:"_s, m_rate15m, group), 0, 4);
    figures->addWidget(m_rate15m, 0, 5);
    figures->addWidget(caption(u"Expected time per block:"_s, m_expected, group), 1, 0, 1, 2);
    figures->addWidget(m_expected, 1, 2, 1, 4);
    figures->addWidget(caption(u"Uptime:"_s, m_uptime, group), 2, 0, 1, 2);
    figures->addWidget(m_uptime, 2, 2, 1, 4);
    figures->setColumnStretch(5, 1);

    auto *layout = new QVBoxLayout(group);
    layout->addWidget(m_chart, 1);
    layout->addLayout(figures);
    return group;
}

QWidget *StatisticsView::createFoundGroup()
{
    auto *group = new QGroupBox(u"Found blocks"_s, this);
    group->setObjectName(u"foundBlocksGroup"_s);
    m_foundProxy = new QSortFilterProxyModel(this);
    m_foundProxy->setSourceModel(m_statistics.foundBlocks());
    m_foundProxy->setSortRole(FoundBlocksModel::SortRole);
    m_foundTable = new QTableView(group);
    m_foundTable->setObjectName(u"foundBlocksTable"_s);
    m_foundTable->setAccessibleName(u"Found blocks"_s);
    m_foundTable->setModel(m_foundProxy);
    m_foundTable->setSortingEnabled(true);
    m_foundTable->sortByColumn(FoundBlocksModel::TimeColumn, Qt::DescendingOrder);
    m_foundTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_foundTable->setAlternatingRowColors(true);
    m_foundTable->setWordWrap(false);
    m_foundTable->verticalHeader()->hide();
    m_foundTable->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_foundTable->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_foundTable->horizontalHeader()->setStretchLastSection(false);
    m_foundTable->horizontalHeader()->setSectionResizeMode(FoundBlocksModel::AnswerColumn,
                                                           QHeaderView::Stretch);
    // Room for a 19-digit proof, attempts in the billions and a whole date and time.
    const QFontMetrics metrics = m_foundTable->fontMetrics();
    const int pad = 3 * metrics.averageCharWidth();
    m_foundTable->setColumnWidth(FoundBlocksModel::IndexColumn,
                                 metrics.horizontalAdvance(u"00000000"_s) + pad);
    m_foundTable->setColumnWidth(FoundBlocksModel::ProofColumn,
                                 metrics.horizontalAdvance(u"0000000000000000000"_s) + pad);
    m_foundTable->setColumnWidth(FoundBlocksModel::AttemptsColumn,
                                 metrics.horizontalAdvance(u"0,000,000,000"_s) + pad);
    m_foundTable->setColumnWidth(FoundBlocksModel::TimeColumn,
                                 metrics.horizontalAdvance(u"0000-00-00 00:00:00"_s) + pad);

    m_exportButton = new QPushButton(u"E&xport CSV\u2026"_s, group);
    m_exportButton->setObjectName(u"exportCsvButton"_s);
    m_exportButton->setToolTip(m_exportAction->toolTip());
    connect(m_exportButton, &QPushButton::clicked, this, &StatisticsView::chooseExportFile);
    m_exportStatus = new QLabel(group);
    m_exportStatus->setObjectName(u"exportStatusLabel"_s);
    m_exportStatus->setTextFormat(Qt::PlainText);
    m_exportStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_exportStatus, 1);
    buttons->addWidget(m_exportButton);
    auto *layout = new QVBoxLayout(group);
    layout->addWidget(m_foundTable, 1);
    layout->addLayout(buttons);
    return group;
}

void StatisticsView::refresh(const MiningSnapshot &s)
{
    if (m_coinsChanged)
        showCoins();
    m_sessionCoins->setText(QLocale().toString(s.coins));
    m_rate10s->setText(MiningText::hashRate(s.hashRate10s));
    m_rate60s->setText(MiningText::hashRate(s.hashRate60s));
    m_rate15m->setText(MiningText::hashRate(s.hashRate15m));
    const double rate = s.hashRate60s ? *s.hashRate60s
        : s.hashRate10s                ? *s.hashRate10s
                                       : s.hashRate;
    m_expected->setText(s.isMining() && s.difficulty > 0
                            ? u"%1 (difficulty %2 at %3)"_s.arg(
                                  expectedTimeText(s.difficulty, rate))
                                  .arg(s.difficulty)
                                  .arg(MiningText::hashRate(rate))
                            : u"n/a (not mining)"_s);
    if (m_miningMs != s.miningMs) {
        m_miningMs = s.miningMs;
        showUptime();
    }
}

QString StatisticsView::expectedTimeText(int difficulty, double attemptsPerSecond)
{
    const std::optional<double> seconds =
        MiningStatistics::expectedSeconds(difficulty, attemptsPerSecond);
    if (!seconds)
        return u"n/a"_s;
    constexpr double Year = 365.25 * 86400;
    if (*seconds >= 100 * Year)
        return u"about %1 years"_s.arg(*seconds / Year, 0, 'g', 2);
    if (*seconds >= 2 * 86400)
        return u"%1 days"_s.arg(*seconds / 86400, 0, 'f', 1);
    if (*seconds < 0.1)
        return u"%1 ms"_s.arg(*seconds * 1000, 0, 'g', 2);
    return MiningText::duration(static_cast<std::int64_t>(std::llround(*seconds * 1000)));
}

void StatisticsView::showCoins()
{
    m_coinsChanged = false;
    const QString id = Printable::escaped(m_statistics.accountId());
    const QString node = m_statistics.accountNode().toString();
    if (id.isEmpty()) {
        m_earnedCoins->setText(u"\u2014"_s);
        m_chainCoins->setText(u"\u2014"_s);
        m_chainNote->setText(u"Start mining to see the coins of a node and id."_s);
        return;
    }
    m_earnedCoins->setText(QLocale().toString(m_statistics.earnedCoins()));
    const ChainBalance &balance = m_statistics.chainBalance();
    const ChainBalance::Progress &progress = balance.progress();
    m_chainCoins->setText(progress.blocks > 0 ? coinsText(progress.balance) : u"\u2014"_s);
    QString note = u"\"%1\" on %2"_s.arg(id, node);
    if (progress.blocks > 0)
        note += u", read to block %1"_s.arg(progress.blocks);
    if (balance.isReading())
        note += u"; reading\u2026"_s;
    else if (!balance.problem().isEmpty())
        note += u"; cannot read it now: %1"_s.arg(Printable::escaped(balance.problem()));
    m_chainNote->setText(note);
}

void StatisticsView::showUptime()
{
    m_uptime->setText(u"%1 (mining %2)"_s.arg(MiningText::clock(m_statistics.uptimeMs()),
                                              MiningText::clock(m_miningMs)));
}

void StatisticsView::chooseExportFile()
{
    const QString folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    auto *dialog = new QFileDialog(this, u"Export found blocks"_s,
                                   QDir(folder).filePath(u"blockforge-found-blocks.csv"_s));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setDefaultSuffix(u"csv"_s);
    dialog->setNameFilters({u"CSV files (*.csv)"_s, u"All files (*)"_s});
    connect(dialog, &QFileDialog::fileSelected, this,
            [this](const QString &path) { exportCsv(path); });
    dialog->open();   // non-modal: no nested event loop
}

bool StatisticsView::exportCsv(const QString &path)
{
    const Result<void> written = m_statistics.foundBlocks()->writeCsv(path);
    m_exportStatus->setText(written ? u"Saved %1 rows to %2"_s.arg(
                                          m_statistics.foundBlocks()->rowCount())
                                          .arg(QDir::toNativeSeparators(path))
                                    : written.errorMessage());
    return written.ok();
}
