#pragma once

#include <memory>
#include <optional>

#include <QElapsedTimer>
#include <QMainWindow>
#include <QUrl>

#include "core/block.h"
#include "core/miner.h"

class QAction;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QSystemTrayIcon;
class QTimer;
class ChainServer;
class LastBlockView;
class ResponseLog;
class SearchEngine;
class Settings;

// The "Start Mining" window. It owns a Miner (created on each Start with the values
// in the form) and, when "Run a local chain server" is on, a ChainServer embedded in
// this process. Miner signals only record values; a 250 ms timer moves them into the
// widgets, so a fast stream of blocks never floods the GUI thread. Settings are read
// on construction and written back on Start and on close.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    static constexpr int RefreshIntervalMs = 250;

    explicit MainWindow(Settings &settings, QWidget *parent = nullptr);
    ~MainWindow() override;

    // What the Start/Stop button and its shortcut do.
    void startMining();
    void stopMining();
    void toggleMining();
    bool isMining() const;

    // Starts or stops the embedded chain server; false (with the reason in the log)
    // when it cannot start. While on, the miner mines on it: turning it on while
    // mining moves the miner onto it, turning it off stops the miner too.
    bool setLocalServerEnabled(bool enabled);
    bool isLocalServerRunning() const { return m_server != nullptr; }
    QUrl localServerUrl() const;

    void saveSettings();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    QWidget *createMinerGroup();
    QWidget *createServerGroup();
    QWidget *createStatsGroup();
    QWidget *createLastBlockGroup();
    QWidget *createLogGroup();
    void createActions();
    void createMenus();
    void createStatusBar();
    void createTrayIcon();
    void setTabOrders();
    void loadSettings();

    void loadMinerId();
    bool saveMinerId();
    std::optional<QUrl> minerUrl();
    const SearchEngine *chosenEngine() const;
    void chooseIdFile();
    void showError(const QString &message);
    void showInfo(const QString &message);
    void updateMiningControls();
    void updateServerControls();
    void refreshView();

    void handleMinerStarted();
    void handleMinerStopped();
    void handleSearchStarted(qint64 blockIndex, const Block &lastBlock, int difficulty);
    void handleSearchAbandoned(qint64 blockIndex);
    void handleHashRate(double attemptsPerSecond);
    void handleProofFound(quint64 proof, double seconds, quint64 attempts);
    void handleServerReply(int status, const QString &message, Miner::ReplyKind kind);
    void handleCoins(qint64 total);
    void handleCounters(int accepted, int stale, int rejected);
    void handleMinerError(const QString &message);
    void handleBlockForged(const Block &block);

    Settings &m_settings;

    // Form.
    QLineEdit *m_urlEdit = nullptr;              // children of this window
    QLineEdit *m_idEdit = nullptr;
    QLineEdit *m_idFileEdit = nullptr;
    QPushButton *m_browseIdButton = nullptr;
    QSpinBox *m_threadsSpin = nullptr;
    QComboBox *m_engineCombo = nullptr;
    QCheckBox *m_serverCheck = nullptr;
    QSpinBox *m_portSpin = nullptr;
    QSpinBox *m_difficultySpin = nullptr;
    QLabel *m_serverStateLabel = nullptr;
    QPushButton *m_startButton = nullptr;

    // Figures.
    QLabel *m_coinsLabel = nullptr;
    QLabel *m_hashRateLabel = nullptr;
    QLabel *m_elapsedLabel = nullptr;
    QLabel *m_workLabel = nullptr;
    QLabel *m_acceptedLabel = nullptr;
    QLabel *m_staleLabel = nullptr;
    QLabel *m_rejectedLabel = nullptr;
    LastBlockView *m_lastBlockView = nullptr;
    ResponseLog *m_log = nullptr;
    QLabel *m_minerStatusLabel = nullptr;
    QLabel *m_serverStatusLabel = nullptr;

    QAction *m_startAction = nullptr;
    QAction *m_serverAction = nullptr;
    QAction *m_quitAction = nullptr;
    QAction *m_aboutAction = nullptr;
    QSystemTrayIcon *m_tray = nullptr;           // only when a tray exists
    QTimer *m_refreshTimer = nullptr;

    // Values recorded by the signal handlers, shown by refreshView().
    QString m_remoteUrl;                         // the URL field while the local server runs
    QString m_minerStatus;
    QString m_workText;
    std::optional<Block> m_shownBlock;
    bool m_blockChanged = false;
    double m_hashRate = 0;
    bool m_searching = false;
    QElapsedTimer m_searchClock;
    qint64 m_lastSearchMs = 0;
    qint64 m_coinsBefore = 0;                    // of earlier Miner objects
    int m_acceptedBefore = 0;
    int m_staleBefore = 0;
    int m_rejectedBefore = 0;
    qint64 m_coins = 0;
    int m_accepted = 0;
    int m_stale = 0;
    int m_rejected = 0;

    std::unique_ptr<ChainServer> m_server;
    std::unique_ptr<Miner> m_miner;              // last: stops and joins its threads first
};
