#include "ui/mainwindow.h"

#include <algorithm>

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHostAddress>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>

#include "core/chainserver.h"
#include "core/engines/engines.h"
#include "core/engines/searchengine.h"
#include "core/settings.h"
#include "core/version.h"
#include "ui/lastblockview.h"
#include "ui/responselog.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr int MaxThreadsInForm = 256;
constexpr int MaxDifficultyInForm = 16;
constexpr int HashRateIntervalMs = 500;
constexpr int StatusMessageMs = 10000;
const QString StartText = u"Start Mining"_s;
const QString StopText = u"Stop Mining"_s;

QString hashRateText(double attemptsPerSecond)
{
    if (attemptsPerSecond >= 1e9)
        return u"%1 GH/s"_s.arg(attemptsPerSecond / 1e9, 0, 'f', 2);
    if (attemptsPerSecond >= 1e6)
        return u"%1 MH/s"_s.arg(attemptsPerSecond / 1e6, 0, 'f', 2);
    if (attemptsPerSecond >= 1e3)
        return u"%1 kH/s"_s.arg(attemptsPerSecond / 1e3, 0, 'f', 1);
    return u"%1 H/s"_s.arg(attemptsPerSecond, 0, 'f', 0);
}

QString clockText(qint64 ms)
{
    const qint64 s = ms / 1000;
    if (s >= 3600)
        return u"%1:%2:%3"_s.arg(s / 3600).arg(s / 60 % 60, 2, 10, QChar(u'0'))
            .arg(s % 60, 2, 10, QChar(u'0'));
    return u"%1:%2"_s.arg(s / 60, 2, 10, QChar(u'0')).arg(s % 60, 2, 10, QChar(u'0'));
}

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

ResponseLog::Kind logKindOf(Miner::ReplyKind kind)
{
    switch (kind) {
    case Miner::ReplyKind::Accepted:
        return ResponseLog::Kind::Accepted;
    case Miner::ReplyKind::Stale:
        return ResponseLog::Kind::Stale;
    case Miner::ReplyKind::Rejected:
        return ResponseLog::Kind::Rejected;
    case Miner::ReplyKind::Error:
        break;
    }
    return ResponseLog::Kind::Error;
}
}

MainWindow::MainWindow(Settings &settings, QWidget *parent)
    : QMainWindow{parent}
    , m_settings{settings}
    , m_refreshTimer{new QTimer(this)}
{
    setObjectName(u"mainWindow"_s);
    setWindowTitle(u"blockforge"_s);

    auto *central = new QWidget(this);
    auto *grid = new QGridLayout(central);
    auto *left = new QVBoxLayout;
    left->addWidget(createMinerGroup());
    left->addWidget(createServerGroup());

    m_startButton = new QPushButton(StartText, central);
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

    auto *right = new QVBoxLayout;
    right->addWidget(createStatsGroup());
    right->addWidget(createLastBlockGroup());

    grid->addLayout(left, 0, 0);
    grid->addLayout(right, 0, 1);
    grid->addWidget(createLogGroup(), 1, 0, 1, 2);
    grid->setColumnStretch(0, 4);
    grid->setColumnStretch(1, 5);
    grid->setRowStretch(1, 1);
    setCentralWidget(central);

    createActions();
    createMenus();
    createStatusBar();
    createTrayIcon();
    setTabOrders();
    loadSettings();

    m_refreshTimer->setInterval(RefreshIntervalMs);
    connect(m_refreshTimer, &QTimer::timeout, this, &MainWindow::refreshView);
    m_refreshTimer->start();

    m_minerStatus = u"Stopped"_s;
    m_workText = u"Press Start Mining (Ctrl+Return or F5)."_s;
    updateMiningControls();
    updateServerControls();
    refreshView();

    if (m_settings.serverEnabled())
        setLocalServerEnabled(true);
}

MainWindow::~MainWindow()
{
    // The miner first (it joins its threads), then the server it may be talking to.
    m_miner.reset();
    m_server.reset();
}

QWidget *MainWindow::createMinerGroup()
{
    auto *group = new QGroupBox(u"Miner"_s, this);
    group->setObjectName(u"minerGroup"_s);

    m_urlEdit = new QLineEdit(group);
    m_urlEdit->setObjectName(u"nodeUrlEdit"_s);
    m_urlEdit->setPlaceholderText(Settings::defaultServerUrl());
    m_urlEdit->setClearButtonEnabled(true);
    m_urlEdit->setToolTip(u"The chain server to mine on (GET /last_block, POST /mine)"_s);

    m_idEdit = new QLineEdit(group);
    m_idEdit->setObjectName(u"minerIdEdit"_s);
    m_idEdit->setPlaceholderText(u"your name: coins are paid to it"_s);
    m_idEdit->setToolTip(u"Your miner id, saved to the id file when mining starts"_s);

    m_idFileEdit = new QLineEdit(group);
    m_idFileEdit->setObjectName(u"idFileEdit"_s);
    m_idFileEdit->setToolTip(u"The file the miner id is read from and saved to"_s);
    connect(m_idFileEdit, &QLineEdit::editingFinished, this, &MainWindow::loadMinerId);
    m_browseIdButton = new QPushButton(u"Browse\u2026"_s, group);
    m_browseIdButton->setObjectName(u"browseIdFileButton"_s);
    connect(m_browseIdButton, &QPushButton::clicked, this, &MainWindow::chooseIdFile);
    auto *idFileRow = new QHBoxLayout;
    idFileRow->addWidget(m_idFileEdit, 1);
    idFileRow->addWidget(m_browseIdButton);

    m_threadsSpin = new QSpinBox(group);
    m_threadsSpin->setObjectName(u"threadsSpin"_s);
    m_threadsSpin->setRange(1, MaxThreadsInForm);
    m_threadsSpin->setToolTip(u"Proof-search threads (this machine has %1 cores)"_s.arg(
        QThread::idealThreadCount()));

    m_engineCombo = new QComboBox(group);
    m_engineCombo->setObjectName(u"engineCombo"_s);
    m_engineCombo->addItem(u"auto (%1)"_s.arg(Engines::best().name()), Settings::autoEngine());
    for (const SearchEngine *engine : Engines::available())
        m_engineCombo->addItem(engine->name(), engine->name());
    m_engineCombo->setToolTip(u"The proof-search engine; auto picks the fastest here"_s);
    auto *threadsRow = new QHBoxLayout;
    threadsRow->addWidget(m_threadsSpin);
    threadsRow->addSpacing(12);
    threadsRow->addWidget(new QLabel(u"Engine:"_s, group));
    threadsRow->addWidget(m_engineCombo, 1);

    auto *form = new QFormLayout(group);
    form->addRow(u"Node &URL:"_s, m_urlEdit);
    form->addRow(u"Miner &id:"_s, m_idEdit);
    form->addRow(u"Id &file:"_s, idFileRow);
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
    connect(m_serverCheck, &QCheckBox::toggled, this,
            [this](bool on) { setLocalServerEnabled(on); });

    m_portSpin = new QSpinBox(group);
    m_portSpin->setObjectName(u"localServerPortSpin"_s);
    m_portSpin->setRange(0, 65535);
    m_portSpin->setSpecialValueText(u"any free"_s);
    m_portSpin->setToolTip(u"The port it listens on, on 127.0.0.1 (this machine only)"_s);

    m_difficultySpin = new QSpinBox(group);
    m_difficultySpin->setObjectName(u"localServerDifficultySpin"_s);
    m_difficultySpin->setRange(1, MaxDifficultyInForm);
    m_difficultySpin->setToolTip(u"Leading zero hex digits a proof needs (6 is the classic)"_s);

    m_serverStateLabel = new QLabel(group);
    m_serverStateLabel->setObjectName(u"localServerStateLabel"_s);
    m_serverStateLabel->setTextFormat(Qt::PlainText);
    m_serverStateLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_serverStateLabel->setWordWrap(true);
    m_serverStateLabel->setAccessibleName(u"Local chain server state"_s);

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

    auto *layout = new QVBoxLayout(group);
    layout->addWidget(m_serverCheck);
    layout->addLayout(row);
    layout->addWidget(m_serverStateLabel);
    return group;
}

QWidget *MainWindow::createStatsGroup()
{
    auto *group = new QGroupBox(u"Mining"_s, this);
    group->setObjectName(u"statsGroup"_s);

    m_coinsLabel = figureLabel(u"coinsLabel"_s, 16, true, group);
    m_coinsLabel->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_hashRateLabel = figureLabel(u"hashRateLabel"_s, 4, true, group);
    m_elapsedLabel = figureLabel(u"elapsedLabel"_s, 4, true, group);
    m_elapsedLabel->setToolTip(u"Time spent on the current search"_s);
    m_workLabel = figureLabel(u"workLabel"_s, 0, false, group);
    m_workLabel->setWordWrap(true);
    m_acceptedLabel = figureLabel(u"acceptedCount"_s, 2, true, group);
    m_staleLabel = figureLabel(u"staleCount"_s, 2, true, group);
    m_rejectedLabel = figureLabel(u"rejectedCount"_s, 2, true, group);
    auto color = [](QLabel *label, const QColor &value) {
        QPalette palette = label->palette();
        palette.setColor(QPalette::WindowText, value);
        label->setPalette(palette);
    };
    m_coinsLabel->setAccessibleName(u"Coins earned"_s);
    m_hashRateLabel->setAccessibleName(u"Hash rate"_s);
    m_elapsedLabel->setAccessibleName(u"Elapsed time of the current search"_s);
    m_acceptedLabel->setAccessibleName(u"Accepted blocks"_s);
    m_staleLabel->setAccessibleName(u"Stale proofs"_s);
    m_rejectedLabel->setAccessibleName(u"Rejected proofs"_s);
    color(m_acceptedLabel, QColor(0x1b, 0x7f, 0x3b));
    color(m_staleLabel, QColor(0x9a, 0x67, 0x00));
    color(m_rejectedLabel, QColor(0xb3, 0x26, 0x1e));

    auto *grid = new QGridLayout(group);
    grid->addWidget(captionLabel(u"Coins earned"_s, group), 0, 0, 1, 2);
    grid->addWidget(m_coinsLabel, 0, 2, 2, 2);
    grid->addWidget(captionLabel(u"Hash rate"_s, group), 1, 0);
    grid->addWidget(m_hashRateLabel, 1, 1);
    grid->addWidget(captionLabel(u"Current search"_s, group), 2, 0);
    grid->addWidget(m_elapsedLabel, 2, 1);
    grid->addWidget(m_workLabel, 2, 2, 1, 2);

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
    grid->addLayout(counters, 3, 0, 1, 4);
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
    auto *layout = new QVBoxLayout(group);
    layout->addWidget(m_log);
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
    m_minerStatusLabel = new QLabel(this);
    m_minerStatusLabel->setObjectName(u"minerStatusLabel"_s);
    m_minerStatusLabel->setTextFormat(Qt::PlainText);
    m_serverStatusLabel = new QLabel(this);
    m_serverStatusLabel->setObjectName(u"serverStatusLabel"_s);
    m_serverStatusLabel->setTextFormat(Qt::PlainText);
    statusBar()->addWidget(m_minerStatusLabel, 1);
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
                                    m_startButton,   m_log};
    for (qsizetype i = 1; i < order.size(); ++i)
        setTabOrder(order[i - 1], order[i]);
    m_startButton->setFocus();
}

void MainWindow::loadSettings()
{
    m_urlEdit->setText(m_settings.serverUrl());
    m_idFileEdit->setText(m_settings.idFile());
    m_threadsSpin->setValue(std::min(m_settings.threads(), MaxThreadsInForm));
    const int engineIndex = m_engineCombo->findData(m_settings.engine());
    m_engineCombo->setCurrentIndex(std::max(0, engineIndex));
    m_portSpin->setValue(m_settings.serverPort());
    m_difficultySpin->setValue(std::min(m_settings.serverDifficulty(), MaxDifficultyInForm));
    loadMinerId();

    const QByteArray geometry = m_settings.windowGeometry();
    if (geometry.isEmpty() || !restoreGeometry(geometry))
        resize(1120, 800);
    restoreState(m_settings.windowState());
}

void MainWindow::saveSettings()
{
    m_settings.setServerUrl(isLocalServerRunning() ? m_remoteUrl : m_urlEdit->text().trimmed());
    m_settings.setIdFile(m_idFileEdit->text().trimmed());
    m_settings.setThreads(m_threadsSpin->value());
    m_settings.setEngine(m_engineCombo->currentData().toString());
    m_settings.setServerEnabled(isLocalServerRunning());
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
    QString error;
    if (const std::optional<QString> id = Miner::readId(path, &error))
        m_idEdit->setText(*id);
    else if (QFileInfo::exists(path))
        showError(error);
}

bool MainWindow::saveMinerId()
{
    const QString id = m_idEdit->text().trimmed();
    const QString path = m_idFileEdit->text().trimmed();
    if (id.isEmpty()) {
        showError(u"No miner id: type your id (e.g. your name) in the Miner id field"_s);
        m_idEdit->setFocus();
        return false;
    }
    if (path.isEmpty()) {
        showError(u"No id file: give the file the miner id is saved to"_s);
        m_idFileEdit->setFocus();
        return false;
    }
    if (Miner::readId(path) == id)
        return true;
    QSaveFile file(path);
    const QByteArray bytes = (id + u'\n').toUtf8();
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        showError(u"Cannot save the miner id to \"%1\": %2"_s.arg(path, file.errorString()));
        return false;
    }
    showInfo(u"Saved the miner id \"%1\" to %2"_s.arg(id, path));
    return true;
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

// --- Mining --------------------------------------------------------------------

std::optional<QUrl> MainWindow::minerUrl()
{
    if (m_server)
        return localServerUrl();
    const QString text = m_urlEdit->text().trimmed();
    if (text.isEmpty()) {
        showError(u"No node URL: type the chain server's address, e.g. %1"_s.arg(
            Settings::defaultServerUrl()));
        return std::nullopt;
    }
    const QUrl url = QUrl::fromUserInput(text);
    if (!url.isValid() || url.host().isEmpty()
        || (url.scheme() != u"http"_s && url.scheme() != u"https"_s)) {
        showError(u"The node URL \"%1\" is not an http:// or https:// address"_s.arg(text));
        return std::nullopt;
    }
    return url;
}

const SearchEngine *MainWindow::chosenEngine() const
{
    const QString name = m_engineCombo->currentData().toString();
    return name == Settings::autoEngine() ? nullptr : Engines::find(name);
}

void MainWindow::startMining()
{
    if (isMining())
        return;
    const std::optional<QUrl> url = minerUrl();
    if (!url || !saveMinerId())
        return;
    saveSettings();

    if (m_miner) {
        m_coinsBefore += m_miner->coins();
        m_acceptedBefore += m_miner->acceptedCount();
        m_staleBefore += m_miner->staleCount();
        m_rejectedBefore += m_miner->rejectedCount();
        m_miner.reset();
    }
    m_coins = 0;
    m_accepted = 0;
    m_stale = 0;
    m_rejected = 0;
    Miner::Config config;
    config.serverUrl = *url;
    config.idFile = m_idFileEdit->text().trimmed();
    config.threads = m_threadsSpin->value();
    config.engine = chosenEngine();
    config.hashRateIntervalMs = HashRateIntervalMs;
    m_miner = std::make_unique<Miner>(config);
    Miner *miner = m_miner.get();
    connect(miner, &Miner::started, this, &MainWindow::handleMinerStarted);
    connect(miner, &Miner::stopped, this, &MainWindow::handleMinerStopped);
    connect(miner, &Miner::searchStarted, this, &MainWindow::handleSearchStarted);
    connect(miner, &Miner::searchAbandoned, this, &MainWindow::handleSearchAbandoned);
    connect(miner, &Miner::hashRateChanged, this, &MainWindow::handleHashRate);
    connect(miner, &Miner::proofFound, this, &MainWindow::handleProofFound);
    connect(miner, &Miner::serverReplied, this, &MainWindow::handleServerReply);
    connect(miner, &Miner::coinsChanged, this, &MainWindow::handleCoins);
    connect(miner, &Miner::countersChanged, this, &MainWindow::handleCounters);
    connect(miner, &Miner::errorOccurred, this, &MainWindow::handleMinerError);
    // A failed start (missing id file) reports through errorOccurred.
    miner->start();
    updateMiningControls();
    refreshView();
}

void MainWindow::stopMining()
{
    if (m_miner)
        m_miner->stop();   // emits stopped(), which updates the window
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
    return m_miner && m_miner->isRunning();
}

void MainWindow::updateMiningControls()
{
    const bool mining = isMining();
    m_startButton->setText(mining ? StopText : StartText);
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
    m_urlEdit->setReadOnly(isLocalServerRunning());
}

// --- Local chain server ------------------------------------------------------------

QUrl MainWindow::localServerUrl() const
{
    if (!m_server)
        return {};
    QUrl url;
    url.setScheme(u"http"_s);
    url.setHost(u"127.0.0.1"_s);
    url.setPort(m_server->port());
    return url;
}

bool MainWindow::setLocalServerEnabled(bool enabled)
{
    if (enabled == isLocalServerRunning()) {
        updateServerControls();
        return true;
    }
    const bool wasMining = isMining();
    if (wasMining)
        stopMining();

    bool ok = true;
    if (enabled) {
        ChainServer::Config config;
        config.databasePath = m_settings.serverDatabasePath();
        config.difficulty = m_difficultySpin->value();
        QDir().mkpath(QFileInfo(config.databasePath).absolutePath());
        auto server = std::make_unique<ChainServer>(config);
        QString error;
        if (!server->open(&error)) {
            showError(u"Cannot start the local chain server: %1"_s.arg(error));
            ok = false;
        } else if (server->listen(QHostAddress::LocalHost,
                                  static_cast<quint16>(m_portSpin->value())) == 0) {
            showError(u"Cannot start the local chain server: %1"_s.arg(server->errorString()));
            ok = false;
        }
        if (ok) {
            connect(server.get(), &ChainServer::blockForged, this, &MainWindow::handleBlockForged);
            m_server = std::move(server);
            m_remoteUrl = m_urlEdit->text().trimmed();
            m_urlEdit->setText(localServerUrl().toString());
            m_shownBlock = m_server->chain().lastBlock();
            m_blockChanged = true;
            showInfo(u"Local chain server running at %1 (difficulty %2, %3 blocks, database %4)"_s
                         .arg(localServerUrl().toString())
                         .arg(config.difficulty)
                         .arg(m_server->chain().length())
                         .arg(QDir::toNativeSeparators(config.databasePath)));
        }
    } else {
        m_server->close();
        m_server.reset();
        m_urlEdit->setText(m_remoteUrl);
        showInfo(wasMining ? u"Local chain server stopped, and mining with it"_s
                           : u"Local chain server stopped"_s);
    }
    updateServerControls();
    updateMiningControls();
    // Turning the server on moves the miner onto it; turning it off leaves the
    // miner stopped rather than sending it to another server unasked.
    if (wasMining && (enabled || !ok))
        startMining();
    return ok;
}

void MainWindow::updateServerControls()
{
    const bool running = isLocalServerRunning();
    {
        const QSignalBlocker checkBlocker(m_serverCheck);
        const QSignalBlocker actionBlocker(m_serverAction);
        m_serverCheck->setChecked(running);
        m_serverAction->setChecked(running);
    }
    m_portSpin->setEnabled(!running);
    m_difficultySpin->setEnabled(!running);
    QString state;
    if (running) {
        state = u"Running at %1, difficulty %2, %3 blocks"_s.arg(localServerUrl().toString())
                    .arg(m_server->chain().difficulty())
                    .arg(m_server->chain().length());
        m_serverStatusLabel->setText(u"Local server: %1"_s.arg(localServerUrl().toString()));
    } else {
        state = u"Not running. Mining uses the node URL above."_s;
        m_serverStatusLabel->setText(u"Local server: off"_s);
    }
    m_serverStateLabel->setText(state);
}

// --- Miner signals: record, refreshView() shows -----------------------------------------

void MainWindow::handleMinerStarted()
{
    m_minerStatus = u"Connecting to %1 as \"%2\" (%3, %4 threads)"_s.arg(
        m_miner->config().serverUrl.toString(), m_miner->minerId(), m_miner->engineName())
        .arg(m_miner->threadCount());
    m_workText = u"Asking the server for its last block\u2026"_s;
    m_hashRate = 0;
    m_searching = false;
    m_lastSearchMs = 0;
    showInfo(u"Mining on %1 as \"%2\" with %3 threads (%4 engine)"_s.arg(
        m_miner->config().serverUrl.toString(), m_miner->minerId())
        .arg(m_miner->threadCount())
        .arg(m_miner->engineName()));
    updateMiningControls();
}

void MainWindow::handleMinerStopped()
{
    if (m_searching)
        m_lastSearchMs = m_searchClock.elapsed();
    m_searching = false;
    m_hashRate = 0;
    m_minerStatus = u"Stopped"_s;
    m_workText = u"Stopped."_s;
    showInfo(u"Stopped mining"_s);
    updateMiningControls();
    refreshView();
}

void MainWindow::handleSearchStarted(qint64 blockIndex, const Block &lastBlock, int difficulty)
{
    if (!m_shownBlock || !(*m_shownBlock == lastBlock)) {
        m_shownBlock = lastBlock;
        m_blockChanged = true;
    }
    m_searching = true;
    m_searchClock.start();
    m_workText = u"Searching a proof for block %1 at difficulty %2"_s.arg(blockIndex)
                     .arg(difficulty);
    m_minerStatus = u"Mining block %1 on %2"_s.arg(blockIndex).arg(
        m_miner->config().serverUrl.toString());
}

void MainWindow::handleSearchAbandoned(qint64 blockIndex)
{
    showInfo(u"Block %1 was forged by someone else: dropping that work"_s.arg(blockIndex));
}

void MainWindow::handleHashRate(double attemptsPerSecond)
{
    m_hashRate = attemptsPerSecond;
}

void MainWindow::handleProofFound(quint64 proof, double seconds, quint64 attempts)
{
    m_searching = false;
    m_lastSearchMs = static_cast<qint64>(seconds * 1000.0);
    m_workText = u"Found proof %1 in %2 s after %3 attempts; submitting"_s.arg(proof)
                     .arg(seconds, 0, 'f', 2)
                     .arg(QLocale().toString(attempts));
}

void MainWindow::handleServerReply(int status, const QString &message, Miner::ReplyKind kind)
{
    QString line;
    if (m_miner && m_miner->blockIndex() > 0)
        line = u"Block %1: "_s.arg(m_miner->blockIndex());
    if (status > 0)
        line += u"HTTP %1: "_s.arg(status);
    m_log->addEntry(logKindOf(kind), line + message);
}

void MainWindow::handleCoins(qint64 total)
{
    m_coins = total;
}

void MainWindow::handleCounters(int accepted, int stale, int rejected)
{
    m_accepted = accepted;
    m_stale = stale;
    m_rejected = rejected;
}

void MainWindow::handleMinerError(const QString &message)
{
    m_searching = false;
    m_workText = u"Waiting: see the log below."_s;
    showError(message);
}

void MainWindow::handleBlockForged(const Block &block)
{
    m_shownBlock = block;
    m_blockChanged = true;
}

// --- Showing ------------------------------------------------------------------

void MainWindow::showError(const QString &message)
{
    m_log->addEntry(ResponseLog::Kind::Error, message);
    statusBar()->showMessage(message, StatusMessageMs);
}

void MainWindow::showInfo(const QString &message)
{
    m_log->addEntry(ResponseLog::Kind::Info, message);
}

void MainWindow::refreshView()
{
    // The current miner's figures; earlier miners' are folded in at each Start.
    const qint64 coins = m_coinsBefore + m_coins;
    m_coinsLabel->setText(QLocale().toString(coins));
    m_acceptedLabel->setText(QString::number(m_acceptedBefore + m_accepted));
    m_staleLabel->setText(QString::number(m_staleBefore + m_stale));
    m_rejectedLabel->setText(QString::number(m_rejectedBefore + m_rejected));
    m_hashRateLabel->setText(hashRateText(m_hashRate));
    m_elapsedLabel->setText(clockText(m_searching ? m_searchClock.elapsed() : m_lastSearchMs));
    m_workLabel->setText(m_workText);
    m_minerStatusLabel->setText(m_minerStatus);
    if (m_blockChanged && m_shownBlock) {
        m_lastBlockView->setBlock(*m_shownBlock);
        m_blockChanged = false;
        if (m_server)
            updateServerControls();
    }
    // The title shows the state in the task bar too.
    const QString title = isMining() ? u"blockforge \u2014 mining, %1 coins"_s.arg(coins)
                                     : u"blockforge"_s;
    if (windowTitle() != title)
        setWindowTitle(title);
    if (m_tray)
        m_tray->setToolTip(title);
}
