#pragma once

#include <optional>

#include <QByteArray>
#include <QMainWindow>
#include <QString>

#include "core/miningsnapshot.h"

class QAction;
class QBoxLayout;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QScrollArea;
class QSpinBox;
class QSystemTrayIcon;
class QTimer;
class ElidedLabel;
class QTabWidget;
class ChainExplorer;
class LastBlockView;
class MiningModel;
class MiningStatistics;
class ResponseLog;
class Settings;
class StatisticsView;

// The "Start Mining" window, in tabs: Mining (the form, the figures and the log),
// Statistics and Chain. Mining itself is the MiningModel's: the window hands it the
// form's values on Start, turns the local server on and off through it, and renders
// its snapshot on each (throttled) change.
// Settings are read on construction and written back on Start and on close.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    MainWindow(Settings &settings, MiningModel &model, QWidget *parent = nullptr);
    ~MainWindow() override;

    // What the Start/Stop button and its shortcut do.
    void startMining();
    void stopMining();
    void toggleMining();
    bool isMining() const;

    // Starts or stops the embedded chain server with the form's port and difficulty;
    // false (with the reason in the log) when it cannot start. While it runs the URL
    // field shows its address, and the URL typed before is what the settings keep.
    bool setLocalServerEnabled(bool enabled);

    // Shows a snapshot of the model: every figure, the state, the last block.
    void refresh(const MiningSnapshot &snapshot);
    void saveSettings();

protected:
    void closeEvent(QCloseEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    QWidget *createMiningView();
    void arrangeColumns();
    void keepWrappedTextWhole(QLabel *label);
    void fitToScreen();
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
    void chooseIdFile();
    void chooseLogFile();
    void showLogEntry(const LogEntry &entry);
    void showError(const QString &message);
    void showNote(const QString &text);   // in the status bar, for a while
    void updateControls(bool mining);

    Settings &m_settings;
    MiningModel &m_model;

    // The Mining view: the form, the figures and the log.
    QScrollArea *m_miningView = nullptr;         // children of this window
    QWidget *m_leftColumn = nullptr;
    QWidget *m_rightColumn = nullptr;
    QBoxLayout *m_columns = nullptr;
    MiningStatistics *m_statistics = nullptr;    // child of this
    QTabWidget *m_tabs = nullptr;                // central widget
    StatisticsView *m_statisticsView = nullptr;  // tabs
    ChainExplorer *m_chainExplorer = nullptr;

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
    QPushButton *m_useLocalButton = nullptr;     // shown while the node fails
    QPushButton *m_startButton = nullptr;

    // Figures.
    QLabel *m_coinsLabel = nullptr;
    QLabel *m_hashRateLabel = nullptr;
    QLabel *m_averagesLabel = nullptr;
    QLabel *m_elapsedLabel = nullptr;
    QLabel *m_workLabel = nullptr;
    QLabel *m_updatesLabel = nullptr;
    QLabel *m_acceptedLabel = nullptr;
    QLabel *m_staleLabel = nullptr;
    QLabel *m_rejectedLabel = nullptr;
    LastBlockView *m_lastBlockView = nullptr;
    ResponseLog *m_log = nullptr;
    QPushButton *m_copyLogButton = nullptr;
    QPushButton *m_clearLogButton = nullptr;
    QPushButton *m_saveLogButton = nullptr;
    ElidedLabel *m_minerStatusLabel = nullptr;
    ElidedLabel *m_serverStatusLabel = nullptr;
    ElidedLabel *m_noteLabel = nullptr;          // instead of the miner's, for a while
    QTimer *m_noteTimer = nullptr;

    QAction *m_startAction = nullptr;
    QAction *m_serverAction = nullptr;
    QAction *m_saveLogAction = nullptr;
    QAction *m_quitAction = nullptr;
    QAction *m_aboutAction = nullptr;
    QSystemTrayIcon *m_tray = nullptr;           // only when a tray exists

    QString m_remoteUrl;                         // the URL field while the local server runs
    std::optional<bool> m_shownMining;           // what the controls show
    QByteArray m_shownBlockHash;                 // the block the view shows
    bool m_hintShown = false;                    // "mine locally instead", once per run
};
