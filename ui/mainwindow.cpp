#include "ui/mainwindow.h"

#include <algorithm>

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QTabWidget>
#include <QThread>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include "core/engines/engines.h"
#include "core/engines/searchengine.h"
#include "core/minerid.h"
#include "core/miningmodel.h"
#include "core/miningstatistics.h"
#include "core/miningtext.h"
#include "core/settings.h"
#include "core/validate.h"
#include "core/version.h"
#include "ui/elidedlabel.h"
#include "ui/focusringbutton.h"
#include "ui/chainexplorer.h"
#include "ui/lastblockview.h"
#include "ui/responselog.h"
#include "ui/statisticsview.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr int MaxDifficultyInForm = 16;
constexpr int StatusMessageMs = 10000;
constexpr int FrameAllowance = 16;   // a window frame's width, before the frame is known
const QString StartText = u"Start Mining"_s;
const QString StopText = u"Stop Mining"_s;

QLabel *figureLabel(const QString &objectName, int pointSizeDelta, bool bold, QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setTextFormat(Qt::PlainText);
    QFont font = label->font();
    font.setPointSize(font.pointSize() + pointSizeDelta);
    font.setBold(bold);
    label->setFont(font);
    return label;
}

QLabel *captionLabel(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    label->setTextFormat(Qt::PlainText);
    QPalette palette = label->palette();
    palette.setColor(QPalette::WindowText, palette.color(QPalette::PlaceholderText));
    label->setPalette(palette);
    return label;
}

// The "Current search" line: what is searched, found or awaited.
QString workText(const MiningSnapshot &s)
{
    using State = MiningSnapshot::State;
    switch (s.state) {
    case State::Stopped:
        return s.miningMs > 0 ? u"Stopped."_s : u"Press Start Mining (Ctrl+Return or F5)."_s;
    case State::Searching:
        return u"Block %1 at difficulty %2: %3"_s.arg(s.blockIndex)
            .arg(s.difficulty)
            .arg(MiningText::activity(s));
    case State::Submitting:
        if (s.lastProof)
            return u"Found proof %1 in %2 s after %3 attempts; submitting"_s
                .arg(s.lastProof->proof)
                .arg(s.lastProof->seconds, 0, 'f', 2)
                .arg(QLocale().toString(s.lastProof->attempts));
        break;
    case State::Fetching:
    case State::Retrying:
    case State::Stopping:
        break;
    }
    QString text = MiningText::activity(s);
    text[0] = text[0].toUpper();
    return text + (s.state == State::Fetching ? u"\u2026"_s : u"."_s);
}

// A label's text, and its tooltip, which keeps the whole of it when it is elided.
void setTextAndTip(QLabel *label, const QString &text)
{
    if (label->text() == text)
        return;
    label->setText(text);
    label->setToolTip(text);
}

// The status bar's account of the miner.
QString minerStatus(const MiningSnapshot &s)
{
    using State = MiningSnapshot::State;
    if (s.state == State::Stopped)
        return u"Stopped"_s;
    if (s.state == State::Fetching && s.blockIndex == 0)
        return u"Connecting to %1 as \"%2\" (%3, %4)"_s.arg(
            s.serverUrl.toString(), s.minerId, s.engine, MiningText::threads(s.threads));
    if (s.state == State::Searching && s.updates == MiningSnapshot::Updates::Unknown)
        return u"Mining block %1 on %2: %3"_s.arg(s.blockIndex)
            .arg(s.serverUrl.toString(), MiningText::activity(s));
    if (s.state == State::Searching)
        return u"Mining block %1 on %2 (%3): %4"_s.arg(s.blockIndex)
            .arg(s.serverUrl.toString(),
                 s.updates == MiningSnapshot::Updates::Push ? u"push"_s : u"polling"_s,
                 MiningText::activity(s));
    return u"%1: %2"_s.arg(s.serverUrl.toString(), MiningText::activity(s));
}
}

MainWindow::MainWindow(Settings &settings, MiningModel &model, QWidget *parent)
    : QMainWindow{parent}
    , m_settings{settings}
    , m_model{model}
{
    setObjectName(u"mainWindow"_s);
    setWindowTitle(u"blockforge"_s);

    // Tabs: mining (the form, the figures, the log), statistics, the chain.
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(u"mainTabs"_s);
    m_tabs->setDocumentMode(true);
    m_statistics = new MiningStatistics(m_model, m_settings, this);
    m_statisticsView = new StatisticsView(*m_statistics, m_tabs);
    m_chainExplorer = new ChainExplorer(m_tabs);
    m_tabs->addTab(createMiningView(), u"Mining"_s);
    // The dashboard tabs scroll too, so that no tab sets the window's minimum size
    // above a small screen (800x600, or 1280x800 at scale 2).
    const auto scrolling = [this](QWidget *page, const QString &name) {
        auto *area = new QScrollArea(m_tabs);
        area->setObjectName(name);
        area->setFrameShape(QFrame::NoFrame);
        area->setWidgetResizable(true);
        area->setWidget(page);
        return area;
    };
    m_tabs->addTab(scrolling(m_statisticsView, u"statisticsScroll"_s), u"Statistics"_s);
    m_tabs->addTab(scrolling(m_chainExplorer, u"chainScroll"_s), u"Chain"_s);
    setCentralWidget(m_tabs);

    createActions();
    createMenus();
    createStatusBar();
    createTrayIcon();
    setTabOrders();
    loadSettings();

    connect(&m_model, &MiningModel::changed, this, [this] { refresh(m_model.snapshot()); });
    connect(&m_model, &MiningModel::logged, this, &MainWindow::showLogEntry);
    refresh(m_model.snapshot());
    if (m_settings.serverEnabled())
        setLocalServerEnabled(true);
}

MainWindow::~MainWindow() = default;

QWidget *MainWindow::createMiningView()
{
    // The form and figures in a scroll area, in two columns where they fit and in one
    // where they do not: usable on a small screen or at a large scale factor.
    m_miningView = new QScrollArea(this);
    m_miningView->setObjectName(u"miningView"_s);
    m_miningView->setWidgetResizable(true);
    m_miningView->setFrameShape(QFrame::NoFrame);
    auto *content = new QWidget(m_miningView);
    content->setObjectName(u"miningViewContent"_s);

    m_leftColumn = new QWidget(content);
    auto *left = new QVBoxLayout(m_leftColumn);
    left->setContentsMargins({});
    left->addWidget(createMinerGroup());
    left->addWidget(createServerGroup());

    m_startButton = new FocusRingButton(StartText, m_leftColumn);
    m_startButton->setObjectName(u"startStopButton"_s);
    m_startButton->setMinimumHeight(64);
    QFont buttonFont = m_startButton->font();
    buttonFont.setPointSize(buttonFont.pointSize() + 6);
    buttonFont.setBold(true);
    m_startButton->setFont(buttonFont);
    m_startButton->setDefault(true);
    connect(m_startButton, &QPushButton::clicked, this, &MainWindow::toggleMining);
    left->addWidget(m_startButton);
    left->addStretch();

    m_rightColumn = new QWidget(content);
    auto *right = new QVBoxLayout(m_rightColumn);
    right->setContentsMargins({});
    right->addWidget(createStatsGroup());
    right->addWidget(createLastBlockGroup());

    m_columns = new QBoxLayout(QBoxLayout::LeftToRight);
    m_columns->addWidget(m_leftColumn, 4);
    m_columns->addWidget(m_rightColumn, 5);
    auto *layout = new QVBoxLayout(content);
    layout->addLayout(m_columns);
    layout->addWidget(createLogGroup(), 1);
    m_miningView->setWidget(content);
    m_miningView->installEventFilter(this);
    m_workLabel->installEventFilter(this);
    m_serverStateLabel->installEventFilter(this);
    return m_miningView;
}

bool MainWindow::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_miningView && event->type() == QEvent::Resize)
        arrangeColumns();
    if (event->type() == QEvent::Resize
        && (watched == m_workLabel || watched == m_serverStateLabel))
        keepWrappedTextWhole(static_cast<QLabel *>(watched));
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::arrangeColumns()
{
    const int spacing = std::max(0, m_columns->spacing());
    const QMargins margins = m_miningView->widget()->layout()->contentsMargins();
    const int needed = m_leftColumn->sizeHint().width() + m_rightColumn->sizeHint().width()
        + spacing + margins.left() + margins.right()
        + m_miningView->verticalScrollBar()->sizeHint().width();
    const auto direction = m_miningView->width() >= needed ? QBoxLayout::LeftToRight
                                                           : QBoxLayout::TopToBottom;
    if (m_columns->direction() == direction)
        return;
    m_columns->setDirection(direction);
    // In one column the big button comes first, where a small screen shows it.
    auto *left = static_cast<QBoxLayout *>(m_leftColumn->layout());
    left->removeWidget(m_startButton);
    left->insertWidget(direction == QBoxLayout::TopToBottom ? 0 : 2, m_startButton);
}

void MainWindow::keepWrappedTextWhole(QLabel *label)
{
    // Side by side, the columns' layouts do not ask wrapped labels for their height:
    // a minimum height for the width they have keeps every line (the view scrolls).
    const int before = label->minimumHeight();
    label->setMinimumHeight(0);   // QLabel's heightForWidth() is at least its minimum
    const int height = label->heightForWidth(label->width());
    label->setMinimumHeight(height > 0 ? height : before);
}

QWidget *MainWindow::createMinerGroup()
{
    auto *group = new QGroupBox(u"Miner"_s, this);
    group->setObjectName(u"minerGroup"_s);

    m_urlEdit = new QLineEdit(group);
    m_urlEdit->setObjectName(u"nodeUrlEdit"_s);
    m_urlEdit->setPlaceholderText(Settings::defaultServerUrl());
    m_urlEdit->setClearButtonEnabled(true);
    for (QToolButton *clear : m_urlEdit->findChildren<QToolButton *>()) {
        clear->setToolTip(u"Clear the node URL"_s);
        clear->setAccessibleName(u"Clear the node URL"_s);
    }
    m_urlEdit->setToolTip(u"The chain server to mine on (GET /last_block, POST /mine); empty: "
                          "%1"_s.arg(Settings::defaultServerUrl()));
    m_urlEdit->setAccessibleName(u"Node URL"_s);

    m_idEdit = new QLineEdit(group);
    m_idEdit->setObjectName(u"minerIdEdit"_s);
    m_idEdit->setPlaceholderText(u"your name: coins are paid to it"_s);
    m_idEdit->setToolTip(u"Your miner id, saved to the id file when mining starts"_s);
    m_idEdit->setAccessibleName(u"Miner id"_s);

    m_idFileEdit = new QLineEdit(group);
    m_idFileEdit->setObjectName(u"idFileEdit"_s);
    m_idFileEdit->setToolTip(u"The file the miner id is read from and saved to"_s);
    m_idFileEdit->setAccessibleName(u"Id file"_s);
    connect(m_idFileEdit, &QLineEdit::textChanged, this, [this](const QString &path) {
        m_idFileEdit->setToolTip(u"The file the miner id is read from and saved to:\n%1"_s.arg(
            path));
    });
    connect(m_idFileEdit, &QLineEdit::editingFinished, this, &MainWindow::loadMinerId);
    m_browseIdButton = new QPushButton(u"&Browse\u2026"_s, group);
    m_browseIdButton->setObjectName(u"browseIdFileButton"_s);
    m_browseIdButton->setToolTip(u"Choose the id file"_s);
    m_browseIdButton->setAccessibleName(u"Browse for the id file"_s);
    connect(m_browseIdButton, &QPushButton::clicked, this, &MainWindow::chooseIdFile);
    auto *idFileRow = new QHBoxLayout;
    idFileRow->addWidget(m_idFileEdit, 1);
    idFileRow->addWidget(m_browseIdButton);

    m_threadsSpin = new QSpinBox(group);
    m_threadsSpin->setObjectName(u"threadsSpin"_s);
    m_threadsSpin->setRange(1, Validate::MaxThreads);
    m_threadsSpin->setToolTip(u"Proof-search threads (this machine has %1 cores)"_s.arg(
        QThread::idealThreadCount()));
    m_threadsSpin->setAccessibleName(u"Threads"_s);

    m_engineCombo = new QComboBox(group);
    m_engineCombo->setObjectName(u"engineCombo"_s);
    m_engineCombo->addItem(u"auto (%1)"_s.arg(Engines::best().name()), Settings::autoEngine());
    for (const SearchEngine *engine : Engines::available())
        m_engineCombo->addItem(engine->name(), engine->name());
    m_engineCombo->setToolTip(u"The proof-search engine; auto picks the fastest here"_s);
    m_engineCombo->setAccessibleName(u"Engine"_s);
    auto *engineLabel = new QLabel(u"E&ngine:"_s, group);
    engineLabel->setBuddy(m_engineCombo);
    auto *threadsRow = new QHBoxLayout;
    threadsRow->addWidget(m_threadsSpin);
    threadsRow->addSpacing(12);
    threadsRow->addWidget(engineLabel);
    threadsRow->addWidget(m_engineCombo, 1);

    auto *form = new QFormLayout(group);
    form->addRow(u"Node &URL:"_s, m_urlEdit);
    form->addRow(u"Miner &id:"_s, m_idEdit);
    form->addRow(u"Id fil&e:"_s, idFileRow);
    form->addRow(u"&Threads:"_s, threadsRow);
    for (QWidget *field : {static_cast<QWidget *>(m_urlEdit), static_cast<QWidget *>(m_idEdit),
                           static_cast<QWidget *>(m_idFileEdit),
                           static_cast<QWidget *>(m_threadsSpin)}) {
        if (auto *label = qobject_cast<QLabel *>(form->labelForField(field)))
            label->setBuddy(field);
    }
    if (auto *label = qobject_cast<QLabel *>(form->labelForField(idFileRow)))
        label->setBuddy(m_idFileEdit);
    if (auto *label = qobject_cast<QLabel *>(form->labelForField(threadsRow)))
        label->setBuddy(m_threadsSpin);
    return group;
}

QWidget *MainWindow::createServerGroup()
{
    auto *group = new QGroupBox(u"Local chain server"_s, this);
    group->setObjectName(u"serverGroup"_s);

    m_serverCheck = new QCheckBox(u"&Run a local chain server"_s, group);
    m_serverCheck->setObjectName(u"localServerCheck"_s);
    m_serverCheck->setToolTip(u"Run the chain server inside this window and mine on it"_s);
    m_serverCheck->setAccessibleName(u"Run a local chain server"_s);
    connect(m_serverCheck, &QCheckBox::toggled, this,
            [this](bool on) { setLocalServerEnabled(on); });

    m_portSpin = new QSpinBox(group);
    m_portSpin->setObjectName(u"localServerPortSpin"_s);
    m_portSpin->setRange(0, 65535);
    m_portSpin->setSpecialValueText(u"any free"_s);
    m_portSpin->setToolTip(u"The port it listens on, on 127.0.0.1 (this machine only); "
                           "when it is taken, any free one"_s);
    m_portSpin->setAccessibleName(u"Local server port"_s);

    m_difficultySpin = new QSpinBox(group);
    m_difficultySpin->setObjectName(u"localServerDifficultySpin"_s);
    m_difficultySpin->setRange(1, MaxDifficultyInForm);
    m_difficultySpin->setToolTip(u"Leading zero hex digits a proof needs (6 is the classic)"_s);
    m_difficultySpin->setAccessibleName(u"Local server difficulty"_s);

    m_serverStateLabel = new QLabel(group);
    m_serverStateLabel->setObjectName(u"localServerStateLabel"_s);
    m_serverStateLabel->setTextFormat(Qt::PlainText);
    m_serverStateLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_serverStateLabel->setWordWrap(true);
    m_serverStateLabel->setAccessibleName(u"Local chain server state"_s);
    m_serverStateLabel->setToolTip(u"Where the local chain server listens, and its chain"_s);

    auto *row = new QHBoxLayout;
    auto *portLabel = new QLabel(u"&Port:"_s, group);
    portLabel->setBuddy(m_portSpin);
    auto *difficultyLabel = new QLabel(u"&Difficulty:"_s, group);
    difficultyLabel->setBuddy(m_difficultySpin);
    row->addWidget(portLabel);
    row->addWidget(m_portSpin);
    row->addSpacing(12);
    row->addWidget(difficultyLabel);
    row->addWidget(m_difficultySpin);
    row->addStretch();

    m_useLocalButton = new QPushButton(u"Mine on the l&ocal server instead"_s, group);
    m_useLocalButton->setObjectName(u"useLocalServerButton"_s);
    m_useLocalButton->setToolTip(u"The node does not answer: run the chain server inside this "
                                 "window and mine on it"_s);
    m_useLocalButton->setAccessibleName(u"Mine on the local server instead"_s);
    m_useLocalButton->setVisible(false);
    connect(m_useLocalButton, &QPushButton::clicked, this,
            [this] { setLocalServerEnabled(true); });

    auto *layout = new QVBoxLayout(group);
    layout->addWidget(m_serverCheck);
    layout->addLayout(row);
    layout->addWidget(m_serverStateLabel);
    layout->addWidget(m_useLocalButton);
    return group;
}

QWidget *MainWindow::createStatsGroup()
{
    auto *group = new QGroupBox(u"Mining"_s, this);
    group->setObjectName(u"statsGroup"_s);

    m_coinsLabel = figureLabel(u"coinsLabel"_s, 16, true, group);
    m_coinsLabel->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_hashRateLabel = figureLabel(u"hashRateLabel"_s, 4, true, group);
    m_hashRateLabel->setToolTip(u"Attempts per second over the last second, all threads"_s);
    m_averagesLabel = figureLabel(u"hashRateAveragesLabel"_s, 0, false, group);
    m_averagesLabel->setToolTip(u"Average hash rate over the last 10 s, 60 s and 15 min"_s);
    m_elapsedLabel = figureLabel(u"elapsedLabel"_s, 4, true, group);
    m_elapsedLabel->setToolTip(u"Time spent on the current search"_s);
    m_workLabel = figureLabel(u"workLabel"_s, 0, false, group);
    m_workLabel->setWordWrap(true);
    m_workLabel->setAccessibleName(u"Current search"_s);
    m_workLabel->setToolTip(u"What the miner searches, found or awaits"_s);
    m_updatesLabel = figureLabel(u"updatesLabel"_s, 0, false, group);
    m_updatesLabel->setToolTip(u"How new blocks reach the miner: pushed by the server the moment"
                               " it has one (long poll), or asked for every second (polling)"_s);
    m_updatesLabel->setAccessibleName(u"How new blocks arrive"_s);
    m_acceptedLabel = figureLabel(u"acceptedCount"_s, 2, true, group);
    m_staleLabel = figureLabel(u"staleCount"_s, 2, true, group);
    m_rejectedLabel = figureLabel(u"rejectedCount"_s, 2, true, group);
    auto color = [](QLabel *label, const QColor &value) {
        QPalette palette = label->palette();
        palette.setColor(QPalette::WindowText, value);
        label->setPalette(palette);
    };
    m_coinsLabel->setAccessibleName(u"Coins earned"_s);
    m_coinsLabel->setToolTip(u"Coins paid to your id for the blocks accepted this session"_s);
    m_acceptedLabel->setToolTip(u"Proofs the server accepted: blocks forged by you"_s);
    m_staleLabel->setToolTip(u"Proofs someone else was first with"_s);
    m_rejectedLabel->setToolTip(u"Proofs the server refused"_s);
    m_hashRateLabel->setAccessibleName(u"Hash rate"_s);
    m_averagesLabel->setAccessibleName(u"Average hash rates"_s);
    m_elapsedLabel->setAccessibleName(u"Elapsed time of the current search"_s);
    m_acceptedLabel->setAccessibleName(u"Accepted blocks"_s);
    m_staleLabel->setAccessibleName(u"Stale proofs"_s);
    m_rejectedLabel->setAccessibleName(u"Rejected proofs"_s);
    color(m_acceptedLabel, QColor(0x1b, 0x7f, 0x3b));
    color(m_staleLabel, QColor(0x9a, 0x67, 0x00));
    color(m_rejectedLabel, QColor(0xb3, 0x26, 0x1e));

    auto *grid = new QGridLayout(group);
    grid->addWidget(captionLabel(u"Coins this session"_s, group), 0, 0, 1, 2);
    grid->addWidget(m_coinsLabel, 0, 2, 2, 2);
    grid->addWidget(captionLabel(u"Hash rate"_s, group), 1, 0);
    grid->addWidget(m_hashRateLabel, 1, 1);
    grid->addWidget(m_averagesLabel, 2, 0, 1, 2);
    grid->addWidget(captionLabel(u"Current search"_s, group), 3, 0);
    grid->addWidget(m_elapsedLabel, 3, 1);
    grid->addWidget(m_workLabel, 3, 2, 1, 2);

    auto *counters = new QHBoxLayout;
    counters->addWidget(captionLabel(u"Accepted"_s, group));
    counters->addWidget(m_acceptedLabel);
    counters->addSpacing(16);
    counters->addWidget(captionLabel(u"Stale"_s, group));
    counters->addWidget(m_staleLabel);
    counters->addSpacing(16);
    counters->addWidget(captionLabel(u"Rejected"_s, group));
    counters->addWidget(m_rejectedLabel);
    counters->addStretch();
    grid->addLayout(counters, 4, 0, 1, 4);
    grid->addWidget(captionLabel(u"New blocks"_s, group), 5, 0);
    grid->addWidget(m_updatesLabel, 5, 1, 1, 3);
    grid->setColumnStretch(2, 1);
    return group;
}

QWidget *MainWindow::createLastBlockGroup()
{
    auto *group = new QGroupBox(u"Last block"_s, this);
    group->setObjectName(u"lastBlockGroup"_s);
    m_lastBlockView = new LastBlockView(group);
    m_lastBlockView->setObjectName(u"lastBlockView"_s);
    auto *layout = new QVBoxLayout(group);
    layout->addWidget(m_lastBlockView);
    return group;
}

QWidget *MainWindow::createLogGroup()
{
    auto *group = new QGroupBox(u"Server responses"_s, this);
    group->setObjectName(u"logGroup"_s);
    m_log = new ResponseLog(group);
    m_log->setObjectName(u"responseLog"_s);
    m_log->setMinimumHeight(120);
    m_log->setAccessibleName(u"Server responses"_s);
    m_log->setToolTip(u"Every answer to POST /mine and every problem, newest last"_s);

    auto button = [group](const QString &text, const QString &name, const QString &tip) {
        auto *b = new QPushButton(text, group);
        b->setObjectName(name);
        b->setToolTip(tip);
        b->setAccessibleName(QString(text).remove(u'&').remove(u'\u2026'));
        return b;
    };
    m_copyLogButton = button(u"&Copy"_s, u"copyLogButton"_s,
                             u"Copy the selected lines, or all of them, to the clipboard"_s);
    connect(m_copyLogButton, &QPushButton::clicked, m_log, &ResponseLog::copyToClipboard);
    m_clearLogButton = button(u"C&lear"_s, u"clearLogButton"_s, u"Empty the log"_s);
    connect(m_clearLogButton, &QPushButton::clicked, m_log, &ResponseLog::clearLog);
    m_saveLogButton = button(u"Sa&ve\u2026"_s, u"saveLogButton"_s,
                             u"Save the log to a text file"_s);
    connect(m_saveLogButton, &QPushButton::clicked, this, &MainWindow::chooseLogFile);
    auto *buttons = new QHBoxLayout;
    buttons->addStretch();
    buttons->addWidget(m_copyLogButton);
    buttons->addWidget(m_clearLogButton);
    buttons->addWidget(m_saveLogButton);

    auto *layout = new QVBoxLayout(group);
    layout->addWidget(m_log);
    layout->addLayout(buttons);
    return group;
}

void MainWindow::createActions()
{
    m_startAction = new QAction(StartText, this);
    m_startAction->setObjectName(u"startStopAction"_s);
    m_startAction->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_Return),
                                 QKeySequence(Qt::CTRL | Qt::Key_Enter),
                                 QKeySequence(Qt::Key_F5)});
    m_startAction->setShortcutContext(Qt::ApplicationShortcut);
    connect(m_startAction, &QAction::triggered, this, &MainWindow::toggleMining);

    m_serverAction = new QAction(u"Run a &local chain server"_s, this);
    m_serverAction->setObjectName(u"localServerAction"_s);
    m_serverAction->setCheckable(true);
    connect(m_serverAction, &QAction::toggled, this,
            [this](bool on) { setLocalServerEnabled(on); });

    m_saveLogAction = new QAction(u"&Save the log\u2026"_s, this);
    m_saveLogAction->setObjectName(u"saveLogAction"_s);
    m_saveLogAction->setShortcut(QKeySequence::Save);
    connect(m_saveLogAction, &QAction::triggered, this, &MainWindow::chooseLogFile);

    m_quitAction = new QAction(u"&Quit"_s, this);
    m_quitAction->setObjectName(u"quitAction"_s);
    m_quitAction->setShortcut(QKeySequence::Quit);
    m_quitAction->setMenuRole(QAction::QuitRole);
    connect(m_quitAction, &QAction::triggered, this, &QWidget::close);

    m_aboutAction = new QAction(u"&About blockforge"_s, this);
    m_aboutAction->setObjectName(u"aboutAction"_s);
    m_aboutAction->setMenuRole(QAction::AboutRole);
    connect(m_aboutAction, &QAction::triggered, this, [this] {
        // Non-modal: no nested event loop on the GUI thread.
        auto *box = new QMessageBox(QMessageBox::Information, u"About blockforge"_s,
                                    u"blockforge %1\n\nA proof-of-work miner and the chain server "
                                    "miners talk to, speaking the classic Python client-mining "
                                    "protocol (GET /last_block, POST /mine)."_s.arg(Version::Text),
                                    QMessageBox::Close, this);
        box->setIconPixmap(windowIcon().pixmap(64, 64));
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    });
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(u"&File"_s);
    file->setObjectName(u"fileMenu"_s);
    file->addAction(m_saveLogAction);
    file->addAction(m_statisticsView->exportAction());
    file->addSeparator();
    file->addAction(m_quitAction);
    QMenu *mining = menuBar()->addMenu(u"&Mining"_s);
    mining->addAction(m_startAction);
    QMenu *server = menuBar()->addMenu(u"&Server"_s);
    server->addAction(m_serverAction);
    QMenu *help = menuBar()->addMenu(u"&Help"_s);
    help->addAction(m_aboutAction);
}

void MainWindow::createStatusBar()
{
    // Elided, never wider than the bar: no text is drawn over another.
    m_minerStatusLabel = new ElidedLabel(this);
    m_minerStatusLabel->setObjectName(u"minerStatusLabel"_s);
    m_minerStatusLabel->setAccessibleName(u"Miner status"_s);
    m_serverStatusLabel = new ElidedLabel(this);
    m_serverStatusLabel->setObjectName(u"serverStatusLabel"_s);
    m_serverStatusLabel->setAccessibleName(u"Local chain server status"_s);
    m_serverStatusLabel->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    // A note (the last error, a file saved) takes the miner's place for a while: a
    // widget of the bar's own layout, never text painted over another's.
    m_noteLabel = new ElidedLabel(this);
    m_noteLabel->setObjectName(u"statusNoteLabel"_s);
    m_noteLabel->setAccessibleName(u"Last problem or event"_s);
    m_noteLabel->setToolTip(u"The last problem or event"_s);
    m_noteLabel->hide();
    m_noteTimer = new QTimer(this);
    m_noteTimer->setSingleShot(true);
    m_noteTimer->setInterval(StatusMessageMs);
    connect(m_noteTimer, &QTimer::timeout, this, [this] {
        m_noteLabel->hide();
        m_minerStatusLabel->show();
    });
    statusBar()->addWidget(m_minerStatusLabel, 1);
    statusBar()->addWidget(m_noteLabel, 1);
    statusBar()->addPermanentWidget(m_serverStatusLabel);
}

void MainWindow::createTrayIcon()
{
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return;
    m_tray = new QSystemTrayIcon(QApplication::windowIcon(), this);
    m_tray->setObjectName(u"trayIcon"_s);
    auto *menu = new QMenu(this);
    QAction *show = menu->addAction(u"Show window"_s);
    connect(show, &QAction::triggered, this, [this] {
        showNormal();
        raise();
        activateWindow();
    });
    menu->addAction(m_startAction);
    menu->addAction(m_serverAction);
    menu->addSeparator();
    menu->addAction(m_quitAction);
    m_tray->setContextMenu(menu);
    connect(m_tray, &QSystemTrayIcon::activated, this,
            [this](QSystemTrayIcon::ActivationReason reason) {
                if (reason == QSystemTrayIcon::Trigger) {
                    showNormal();
                    raise();
                    activateWindow();
                }
            });
    m_tray->show();
}

void MainWindow::setTabOrders()
{
    const QList<QWidget *> order = {m_urlEdit,       m_idEdit,        m_idFileEdit,
                                    m_browseIdButton, m_threadsSpin,  m_engineCombo,
                                    m_serverCheck,   m_portSpin,      m_difficultySpin,
                                    m_useLocalButton, m_startButton,  m_log,
                                    m_copyLogButton, m_clearLogButton, m_saveLogButton};
    for (qsizetype i = 1; i < order.size(); ++i)
        setTabOrder(order[i - 1], order[i]);
    m_startButton->setFocus();
}

void MainWindow::loadSettings()
{
    m_urlEdit->setText(m_settings.hasServerUrl() ? m_settings.serverUrl() : QString());
    const QString idFile = QFileInfo(m_settings.idFile()).absoluteFilePath();
    m_idFileEdit->setText(QDir::toNativeSeparators(idFile));
    m_threadsSpin->setValue(m_settings.threads());
    const int engineIndex = m_engineCombo->findData(m_settings.engine());
    m_engineCombo->setCurrentIndex(std::max(0, engineIndex));
    m_portSpin->setValue(m_settings.serverPort());
    m_difficultySpin->setValue(std::min(m_settings.serverDifficulty(), MaxDifficultyInForm));
    loadMinerId();

    const QByteArray geometry = m_settings.windowGeometry();
    if (geometry.isEmpty() || !restoreGeometry(geometry))
        resize(1120, 800);
    restoreState(m_settings.windowState());
    fitToScreen();
}

void MainWindow::fitToScreen()
{
    // Whatever was saved or is the default, the window starts on its screen, frame
    // included (its size is not known before it shows, so it is allowed for).
    const QScreen *where = screen();
    if (!where)
        return;
    const QRect available = where->availableGeometry();
    const QSize room = (available.size() - QSize(FrameAllowance, 2 * FrameAllowance))
                           .expandedTo(minimumSizeHint());
    const QSize size = this->size().boundedTo(room);
    if (size != this->size())
        resize(size);
    QRect frame(pos(), size + QSize(FrameAllowance, 2 * FrameAllowance));
    if (!available.contains(frame)) {
        frame.moveCenter(available.center());
        move(std::max(frame.left(), available.left()), std::max(frame.top(), available.top()));
    }
}

void MainWindow::saveSettings()
{
    m_settings.setServerUrl(m_model.isLocalServerRunning() ? m_remoteUrl
                                                           : m_urlEdit->text().trimmed());
    m_settings.setIdFile(m_idFileEdit->text().trimmed());
    m_settings.setThreads(m_threadsSpin->value());
    m_settings.setEngine(m_engineCombo->currentData().toString());
    m_settings.setServerEnabled(m_model.isLocalServerRunning());
    m_settings.setServerPort(m_portSpin->value());
    m_settings.setServerDifficulty(m_difficultySpin->value());
    m_settings.setWindowGeometry(saveGeometry());
    m_settings.setWindowState(saveState());
    m_settings.sync();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveSettings();
    stopMining();
    if (m_tray)
        m_tray->hide();
    event->accept();
}

// --- Miner id ------------------------------------------------------------------

void MainWindow::loadMinerId()
{
    const QString path = m_idFileEdit->text().trimmed();
    if (path.isEmpty())
        return;
    if (const Result<QString> id = MinerId::read(path)) {
        m_idEdit->setText(*id);
        return;
    } else if (QFileInfo::exists(path)) {
        showError(id.errorMessage());
        return;
    }
    if (!m_idEdit->text().trimmed().isEmpty())
        return;
    // No id yet. A my_id.txt in the working directory (the terminal miner's, and the
    // window's before it kept its own) is taken over; else the account's name is a
    // start. Either is saved to the id file when mining starts.
    const QString legacy = QDir::current().absoluteFilePath(MinerId::defaultFileName());
    if (const Result<QString> id = MinerId::read(legacy); id && legacy != path) {
        m_idEdit->setText(*id);
        showLogEntry(LogEntry{QDateTime::currentDateTime(), LogEntry::Kind::Info,
                              u"Miner id \"%1\" read from %2; Start Mining saves it to %3"_s.arg(
                                  *id, QDir::toNativeSeparators(legacy), path), 0});
        return;
    }
    QString account = qEnvironmentVariable("USER").trimmed();
    if (account.isEmpty())
        account = qEnvironmentVariable("LOGNAME").trimmed();
    if (account.isEmpty())
        account = QDir::home().dirName();   // e.g. started without a login environment
    if (account.isEmpty())
        return;
    m_idEdit->setText(account);
    showLogEntry(LogEntry{QDateTime::currentDateTime(), LogEntry::Kind::Info,
                          u"Miner id \"%1\" (your account name) until you type another; Start "
                          "Mining saves it to %2"_s.arg(account, path), 0});
}

void MainWindow::chooseLogFile()
{
    auto *dialog = new QFileDialog(this, u"Save the log"_s,
                                   QDir::home().filePath(u"blockforge-log.txt"_s));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setNameFilters({u"Text files (*.txt)"_s, u"All files (*)"_s});
    connect(dialog, &QFileDialog::fileSelected, this, [this](const QString &path) {
        if (const Result<void> saved = m_log->saveTo(path); !saved)
            showError(saved.errorMessage());
        else
            showNote(u"Log saved to %1"_s.arg(QDir::toNativeSeparators(path)));
    });
    dialog->open();
}

void MainWindow::chooseIdFile()
{
    auto *dialog = new QFileDialog(this, u"Miner id file"_s, m_idFileEdit->text());
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setOption(QFileDialog::DontConfirmOverwrite);
    dialog->setNameFilters({u"Text files (*.txt)"_s, u"All files (*)"_s});
    connect(dialog, &QFileDialog::fileSelected, this, [this](const QString &path) {
        m_idFileEdit->setText(QDir::toNativeSeparators(path));
        loadMinerId();
    });
    dialog->open();
}

// --- Mining and the local server: the model does it ----------------------------------

void MainWindow::startMining()
{
    if (isMining())
        return;
    MiningModel::MinerSetup setup;
    setup.nodeUrl = m_urlEdit->text().trimmed().isEmpty() ? Settings::defaultServerUrl()
                                                          : m_urlEdit->text();
    setup.id = m_idEdit->text();
    setup.idFile = m_idFileEdit->text().trimmed();
    setup.threads = m_threadsSpin->value();
    setup.engine = m_engineCombo->currentData().toString();
    saveSettings();
    m_hintShown = false;
    if (const Result<void> started = m_model.startMining(setup); !started) {
        showError(started.errorMessage());
        if (setup.id.trimmed().isEmpty())
            m_idEdit->setFocus();
        else if (setup.idFile.isEmpty())
            m_idFileEdit->setFocus();
    }
    refresh(m_model.snapshot());
}

void MainWindow::stopMining()
{
    m_model.stopMining();
    refresh(m_model.snapshot());
}

void MainWindow::toggleMining()
{
    if (isMining())
        stopMining();
    else
        startMining();
}

bool MainWindow::isMining() const
{
    return m_model.isMining();
}

bool MainWindow::setLocalServerEnabled(bool enabled)
{
    bool ok = true;
    if (enabled && !m_model.isLocalServerRunning()) {
        MiningModel::LocalServerSetup setup;
        setup.databasePath = m_settings.serverDatabasePath();
        setup.port = m_portSpin->value();
        setup.anyPortIfTaken = true;
        setup.difficulty = m_difficultySpin->value();
        const QString remoteUrl = m_urlEdit->text().trimmed();
        if (const Result<void> started = m_model.startLocalServer(setup); !started) {
            showError(started.errorMessage());
            ok = false;
        } else {
            m_remoteUrl = remoteUrl;
            m_urlEdit->setText(m_model.localServerUrl().toString());
        }
    } else if (!enabled && m_model.isLocalServerRunning()) {
        m_model.stopLocalServer();
        m_urlEdit->setText(m_remoteUrl);
    }
    const bool running = m_model.isLocalServerRunning();
    {
        const QSignalBlocker checkBlocker(m_serverCheck);
        const QSignalBlocker actionBlocker(m_serverAction);
        m_serverCheck->setChecked(running);
        m_serverAction->setChecked(running);
    }
    m_portSpin->setEnabled(!running);
    m_difficultySpin->setEnabled(!running);
    m_urlEdit->setReadOnly(running);
    refresh(m_model.snapshot());
    return ok;
}

// --- Showing ------------------------------------------------------------------

void MainWindow::showLogEntry(const LogEntry &entry)
{
    // Searches and proofs show in the figures; the log keeps answers and problems.
    if (entry.kind == LogEntry::Kind::Work || entry.kind == LogEntry::Kind::Proof)
        return;
    m_log->addEntry(entry);
    if (entry.kind == LogEntry::Kind::Error)
        showNote(entry.text);
}

void MainWindow::showNote(const QString &text)
{
    setTextAndTip(m_noteLabel, text);
    m_minerStatusLabel->hide();
    m_noteLabel->show();
    m_noteTimer->start();
}

void MainWindow::showError(const QString &message)
{
    showLogEntry(LogEntry{QDateTime::currentDateTime(), LogEntry::Kind::Error, message, 0});
}

void MainWindow::updateControls(bool mining)
{
    if (m_shownMining == mining)
        return;
    m_shownMining = mining;
    m_startButton->setText(mining ? StopText : StartText);
    m_startButton->setAccessibleName(mining ? StopText : StartText);
    m_startButton->setToolTip(
        u"%1 (Ctrl+Return or F5)"_s.arg(mining ? u"Stop mining"_s : u"Start mining"_s));
    m_startAction->setText(mining ? u"&Stop Mining"_s : u"&Start Mining"_s);
    QPalette palette = QApplication::palette(m_startButton);
    if (mining) {
        palette.setColor(QPalette::Button, QColor(0xf3, 0xc1, 0xbd));
        palette.setColor(QPalette::ButtonText, QColor(0x7a, 0x12, 0x0c));
    } else {
        palette.setColor(QPalette::Button, QColor(0xc8, 0xeb, 0xcf));
        palette.setColor(QPalette::ButtonText, QColor(0x0e, 0x4d, 0x22));
    }
    m_startButton->setPalette(palette);
    for (QWidget *field : {static_cast<QWidget *>(m_urlEdit), static_cast<QWidget *>(m_idEdit),
                           static_cast<QWidget *>(m_idFileEdit),
                           static_cast<QWidget *>(m_browseIdButton),
                           static_cast<QWidget *>(m_threadsSpin),
                           static_cast<QWidget *>(m_engineCombo)})
        field->setEnabled(!mining);
}

void MainWindow::refresh(const MiningSnapshot &s)
{
    m_statisticsView->refresh(s);
    m_chainExplorer->followNode(s.localServer ? s.localServerUrl : s.serverUrl);
    updateControls(s.isMining());
    m_coinsLabel->setText(QLocale().toString(s.coins));
    m_acceptedLabel->setText(QString::number(s.accepted));
    m_staleLabel->setText(QString::number(s.stale));
    m_rejectedLabel->setText(QString::number(s.rejected));
    m_hashRateLabel->setText(MiningText::hashRate(s.hashRate));
    m_averagesLabel->setText(MiningText::averages(s));
    m_elapsedLabel->setText(MiningText::clock(s.searchMs));
    if (const QString work = workText(s); m_workLabel->text() != work) {
        m_workLabel->setText(work);
        keepWrappedTextWhole(m_workLabel);
    }
    m_updatesLabel->setText(MiningText::updates(s));
    setTextAndTip(m_minerStatusLabel, minerStatus(s));
    if (s.lastBlock && s.lastBlock->hash() != m_shownBlockHash) {
        m_shownBlockHash = s.lastBlock->hash();
        m_lastBlockView->setBlock(*s.lastBlock);
    }
    if (s.localServer) {
        QString state = u"Running at %1, difficulty %2, %3 blocks."_s
                            .arg(s.localServerUrl.toString())
                            .arg(s.localServerDifficulty)
                            .arg(s.localServerBlocks);
        if (!m_settings.hasServerUrl() && m_remoteUrl.isEmpty())
            state += u" No node URL is set, so Start Mining mines on this local chain (coins "
                     "count on it only). To mine on a node, untick the box and type its URL."_s;
        if (m_serverStateLabel->text() != state) {
            m_serverStateLabel->setText(state);
            keepWrappedTextWhole(m_serverStateLabel);
        }
        setTextAndTip(m_serverStatusLabel,
                      u"Local server: %1"_s.arg(s.localServerUrl.toString()));
    } else {
        m_serverStateLabel->setText(u"Not running. Mining uses the node URL above."_s);
        keepWrappedTextWhole(m_serverStateLabel);
        setTextAndTip(m_serverStatusLabel, u"Local server: off"_s);
    }
    // A node that does not answer: say how to mine here instead, once per run.
    const bool nodeFails = s.isMining() && !s.localServer && !s.problem.isEmpty();
    m_useLocalButton->setVisible(nodeFails);
    if (nodeFails && !m_hintShown) {
        m_hintShown = true;
        m_log->addEntry(LogEntry{QDateTime::currentDateTime(), LogEntry::Kind::Info,
                                 u"%1 does not answer as a chain server. To mine on this "
                                 "computer instead, click \"Mine on the local server instead\" "
                                 "or tick \"Run a local chain server\" (Server menu)."_s.arg(
                                     s.serverUrl.toString()), 0});
    }

    // The title shows the state in the task bar too.
    const QString title = s.isMining() ? u"blockforge \u2014 mining, %1 coins"_s.arg(s.coins)
                                       : u"blockforge"_s;
    if (windowTitle() != title)
        setWindowTitle(title);
    if (m_tray)
        m_tray->setToolTip(title);
}
