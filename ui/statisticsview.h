#pragma once

#include <QWidget>

class QAction;
class QLabel;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class HashRateChart;
class MiningStatistics;
struct MiningSnapshot;

// The "Statistics" tab: the coins (this session, earned here over every launch, and
// the balance on the node's chain, each labelled), the hash-rate chart of the last 15
// minutes with the 10 s / 60 s / 15 min averages, the expected time per block at the
// current rate and difficulty, the uptime, and the found-blocks table (sortable,
// exported as CSV). It renders what the MiningModel's snapshot and MiningStatistics
// hold; it keeps no figures of its own.
class StatisticsView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StatisticsView)

public:
    explicit StatisticsView(MiningStatistics &statistics, QWidget *parent = nullptr);
    ~StatisticsView() override;

    void refresh(const MiningSnapshot &snapshot);

    // "Export found blocks…": asks for a file (non-modal), then exportCsv().
    QAction *exportAction() const { return m_exportAction; }
    void chooseExportFile();
    bool exportCsv(const QString &path);   // says how it went below the table

    // "2.1 s", "3 h 10 min", "about 5.4e+09 years": 16^d / rate, or "n/a".
    static QString expectedTimeText(int difficulty, double attemptsPerSecond);

private:
    QWidget *createCoinsGroup();
    QWidget *createRateGroup();
    QWidget *createFoundGroup();
    void showCoins();
    void showUptime();

    MiningStatistics &m_statistics;
    HashRateChart *m_chart = nullptr;            // children of this
    QLabel *m_sessionCoins = nullptr;
    QLabel *m_earnedCoins = nullptr;
    QLabel *m_chainCoins = nullptr;
    QLabel *m_chainNote = nullptr;
    QLabel *m_rate10s = nullptr;
    QLabel *m_rate60s = nullptr;
    QLabel *m_rate15m = nullptr;
    QLabel *m_expected = nullptr;
    QLabel *m_uptime = nullptr;
    QTableView *m_foundTable = nullptr;
    QSortFilterProxyModel *m_foundProxy = nullptr;
    QPushButton *m_exportButton = nullptr;
    QLabel *m_exportStatus = nullptr;
    QAction *m_exportAction = nullptr;
    qint64 m_miningMs = 0;                       // from the last snapshot
    bool m_coinsChanged = false;                 // not shown yet
};
