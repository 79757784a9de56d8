#pragma once

#include <QWidget>

struct MiningSnapshot;

// The "Statistics" tab: how mining has gone so far (coins, the hash rate over time,
// the expected time per block, uptime and the blocks found). It renders what core
// hands it; it keeps no figures of its own.
class StatisticsView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StatisticsView)

public:
    explicit StatisticsView(QWidget *parent = nullptr);
    ~StatisticsView() override;

    void refresh(const MiningSnapshot &snapshot);
};
